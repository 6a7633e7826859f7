// The customer portal's use cases (docs/portal.md). Routes: src/http/portal.
export { createPortalService, portalSecret, type PortalService } from './service.js';
export { createSigninLink, LINK_TTL_SECONDS } from './links.js';
export {
  signIn,
  authenticate,
  unauthenticated,
  listSessions,
  revokeSession,
  setLocale,
  SESSION_ABSOLUTE_SECONDS,
  SESSION_IDLE_SECONDS,
  type PortalSession,
  type PortalCustomer,
} from './sessions.js';
export { emailSigninLinks, emailPinResetLink } from './email-links.js';
export { portalMailRenderers } from './mail.js';
export {
  checkPaymentPassword,
  setPaymentPassword,
  paymentPasswordStatus,
  PIN_MAX_ATTEMPTS,
  PIN_LOCK_SECONDS,
} from './payment-password.js';
export { homeData, statementCharts } from './home.js';
export { quoteForCustomer } from './quote.js';
export {
  ownOrder,
  customerOrder,
  customerTopup,
  customerTransfer,
  customerCancel,
  customerMarkPaid,
  customerProofs,
  customerProof,
} from './orders.js';
export { OrderWatcher, type Watch } from './watch.js';
export { portalConfig } from './public-config.js';
