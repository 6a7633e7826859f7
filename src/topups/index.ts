export {
  createTopup,
  checkMethod,
  getTopup,
  listTopups,
  filteredOrders,
  cancelTopup,
  confirmTopup,
  expireTopup,
  presentById,
  type TopupDeps,
  type TopupInput,
  type TopupFilters,
  type MethodUse,
} from './orders.js';
export { ingestProviderEvent, WebhookIngest, type IngestResult } from './ingest.js';
export {
  listMethods,
  getMethod,
  seedMethods,
  defaultMethods,
  servesBalance,
  payingCurrencies,
  METHOD_NAMES,
  type PaymentMethod,
  type MethodName,
} from './methods.js';
export { quoteTopup, creditFor, convertWith, type Quote } from './quote.js';
export { ORDER_TRANSITIONS, decide, canMove } from './states.js';
export { presentOrder, type PresentedOrder } from './present.js';
export { paymentMethodCatalog, type CatalogQuery } from './catalog.js';
export { ordersCsv } from './csv.js';
