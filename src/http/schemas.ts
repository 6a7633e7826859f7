import { Type, type TSchema } from '@sinclair/typebox';
import type { TopupFilters } from '../topups/index.js';

/** A positive safe integer in minor units. */
export const Amount = Type.Integer({
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'Positive integer in minor units of the currency',
});
export const Currency = Type.String({
  pattern: '^[A-Z][A-Z0-9]{2,9}$',
  description: 'ISO 4217 code or crypto asset code, upper case',
});
export const BalanceName = Type.String({
  pattern: '^[a-z][a-z0-9_-]{0,31}$',
  description: '"wallet" or a product code',
});
export const CustomerId = Type.String({ pattern: '^cus_[0-9a-z]{26}$' });
export const HoldId = Type.String({ pattern: '^hold_[0-9a-z]{26}$' });
export const Description = Type.String({ maxLength: 1000 });
export const Metadata = Type.Record(
  Type.String({ maxLength: 40 }),
  Type.Union([Type.String({ maxLength: 500 }), Type.Number(), Type.Boolean(), Type.Null()]),
  {
    maxProperties: 50,
    // TypeBox drops the key schema's maxLength from a Record; enforce it on the keys explicitly.
    propertyNames: { maxLength: 40 },
    description: 'Up to 50 keys of your own; values are strings, numbers, booleans or null',
  },
);

export const ListQuery = {
  limit: Type.Optional(Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: '1–100, default 20' })),
  starting_after: Type.Optional(Type.String({ maxLength: 100 })),
};

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
});

export const BalanceAfter = Type.Object({ posted: Type.Integer(), held: Type.Integer(), available: Type.Integer() });
export const BalanceSchema = Type.Object({
  balance: Type.String(),
  currency: Type.String(),
  posted: Type.Integer(),
  held: Type.Integer(),
  available: Type.Integer(),
});

/** Documents the responses of a route (the bodies are produced by the use cases). */
export function responses(ok: Record<number, TSchema>, errors: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = { ...ok };
  for (const status of errors) out[status] = ErrorBody;
  return out;
}

export const limitOf = (q: { limit?: string }): number => (q.limit ? Number(q.limit) : 20);

export const OrderId = Type.String({ pattern: '^ord_[0-9a-z]{26}$' });
export const TopupMethod = Type.Union([
  Type.Literal('card'),
  Type.Literal('crypto'),
  Type.Literal('bank_transfer'),
  Type.Literal('balance'),
]);
export const OrderStatus = Type.Union(
  ['pending', 'processing', 'succeeded', 'failed', 'expired', 'cancelled'].map((s) => Type.Literal(s)),
);

/** The recharge history's filters (both audiences; the platform adds `customer`). */
export const HistoryFilters = {
  status: Type.Optional(OrderStatus),
  method: Type.Optional(TopupMethod),
  balance: Type.Optional(BalanceName),
  created_gte: Type.Optional(Type.String({ format: 'date-time' })),
  created_lt: Type.Optional(Type.String({ format: 'date-time' })),
};

/** Proofs of payment arrive as the raw body in one of these types (what they are is checked from their bytes). */
export const PROOF_TYPES = ['image/png', 'image/jpeg', 'application/pdf', 'application/octet-stream'];

export function historyFiltersOf(q: Partial<Record<keyof typeof HistoryFilters | 'customer', string>>): TopupFilters {
  return {
    customer: q.customer,
    status: q.status,
    method: q.method,
    balance: q.balance,
    createdGte: q.created_gte ? new Date(q.created_gte) : undefined,
    createdLt: q.created_lt ? new Date(q.created_lt) : undefined,
  };
}
