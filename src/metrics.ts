import client from 'prom-client';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

export const httpDuration = new client.Histogram({
  name: 'coffer_http_request_duration_seconds',
  help: 'HTTP requests by method, route and status: latency histogram (its _count counts requests)',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

export const charges = new client.Counter({
  name: 'coffer_charges_total',
  help: 'Usage charges by outcome (succeeded, insufficient_funds, replayed, other)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const chargeBatchSize = new client.Histogram({
  name: 'coffer_charge_batch_size',
  help: 'Charges committed together in one transaction on one balance',
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
  registers: [registry],
});

export const creditCallSize = new client.Histogram({
  name: 'coffer_webhook_credit_call_size',
  help: 'Webhook credits sent to PostgreSQL in one round trip (each still its own transaction)',
  buckets: [1, 2, 4, 8, 16, 32, 64],
  registers: [registry],
});

export const ledgerTransfers = new client.Counter({
  name: 'coffer_ledger_transfers_total',
  help: 'Ledger transfers posted by kind',
  labelNames: ['kind'] as const,
  registers: [registry],
});
