export { readBalances, ensureAccounts, resetSystemAccountCache, unknownBalance, type BalanceView } from './accounts.js';
export {
  createHold,
  captureHold,
  voidHold,
  getHold,
  sweepExpiredHolds,
  HOLD_MAX_SECONDS,
  HOLD_DEFAULT_SECONDS,
  HOLD_TRANSITIONS,
} from './holds.js';
export { createGrant, createWalletTransfer } from './movements.js';
export { statement, presentEntry, type Page } from './statement.js';
export { verifyLedger, type VerifyReport } from './verify.js';
// For other use cases that move money in their own transaction (top-ups): lock, then post.
export { lockBalance, lockBalances, systemAccount, available, type LockedAccount } from './accounts.js';
export { postTransfer } from './post.js';
export { assertCanSpend, insufficientFunds, revenueAccountCode } from './rules.js';
