/**
 * The error catalogue: every expected failure has a stable code (the API's error codes) and an
 * HTTP status. Anything else is a bug and becomes a 500 without details.
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  unauthenticated: 401,
  insufficient_funds: 402,
  forbidden: 403,
  customer_frozen: 403,
  payment_password_required: 403,
  payment_password_wrong: 403,
  payment_password_locked: 403,
  not_found: 404,
  request_timeout: 408,
  idempotency_key_reused: 409,
  idempotency_key_in_use: 409,
  hold_not_active: 409,
  invalid_state: 409,
  payload_too_large: 413,
  uri_too_long: 414,
  amount_below_minimum: 422,
  amount_above_maximum: 422,
  currency_not_supported: 422,
  currency_mismatch: 422,
  method_not_available: 422,
  unknown_balance: 422,
  refund_exceeds_refundable: 422,
  rate_limited: 429,
  headers_too_large: 431,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class CofferError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.status = ERROR_STATUS[code];
  }

  toBody(): { error: { code: string; message: string; details?: Record<string, unknown> } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

export const invalidRequest = (field: string, problem: string): CofferError =>
  new CofferError('invalid_request', `${field} ${problem}.`, { fields: [{ field, problem }] });

export const notFound = (what: string, id: string): CofferError =>
  new CofferError('not_found', `No ${what} with id ${id}.`, { id });
