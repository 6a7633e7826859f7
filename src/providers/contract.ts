/**
 * The one contract every payment provider implements (sandbox, manual bank transfer, and later
 * Stripe and NOWPayments). A provider translates between its own API and these shapes; it never
 * touches the ledger or the orders table — the top-up use cases do, from what it reports.
 */
export interface PaymentProvider {
  readonly name: string;
  /** Whether the provider reports payments by webhook (`POST /webhooks/<name>`). */
  readonly acceptsWebhooks: boolean;
  /** Starts a payment for an order; repeating it for the same order returns the same payment. */
  createPayment(request: PaymentRequest): Promise<CreatedPayment>;
  /** Verifies a webhook on its raw body and headers and normalises it; throws WebhookRejected. */
  parseWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): Promise<ProviderEvent>;
  /** The payment as the provider sees it now (re-fetched before any credit), or null if unknown. */
  retrievePayment(paymentId: string): Promise<PaymentState | null>;
  /** Returns money to the payer (used by refunds); `key` makes a retried refund a no-op. */
  refund(
    paymentId: string,
    amountMinor: bigint,
    currency: string,
    key: string,
  ): Promise<{ refundId: string; status: 'succeeded' | 'pending' | 'failed' }>;
}

export interface PaymentRequest {
  orderId: string;
  customerId: string;
  method: string;
  /** what the customer pays, fee included, in minor units of `currency` */
  amountMinor: bigint;
  currency: string;
  network: string | null;
  expiresAt: Date;
  returnUrl: string | null;
}

export type NextAction =
  | { type: 'redirect'; url: string }
  | {
      type: 'crypto_transfer';
      asset: string;
      network: string;
      address: string;
      amount: string;
      expires_at: string;
      /** memo / destination tag / extra id, on networks that need one beside the address */
      memo?: string;
      simulator_url?: string;
    }
  | {
      type: 'bank_transfer';
      currency: string;
      amount: number;
      amount_decimal: string;
      reference: string;
      account: { beneficiary: string; bank_name: string; account_number: string; swift?: string; branch?: string };
    };

export interface CreatedPayment {
  paymentId: string;
  nextAction: NextAction | null;
}

/** A verified provider event: `eventId` is the dedupe key; `news` is null for events we ignore. */
export interface ProviderEvent {
  eventId: string;
  type: string;
  paymentId: string | null;
  /** our order id when the provider carries it (metadata) but not our payment id (refund, dispute events) */
  orderId?: string | null;
  news: PaymentNews | null;
}

export interface PaymentState {
  paymentId: string;
  status: 'requires_payment' | 'processing' | 'succeeded' | 'failed';
  amountMinor: bigint | null;
  currency: string;
  network: string | null;
}

/** A webhook that failed verification or parsing: answered 400, nothing recorded. */
export class WebhookRejected extends Error {}

/** A provider's news about a payment, normalised (providers translate their own statuses). */
export type PaymentNews =
  | { kind: 'processing' }
  | { kind: 'failed'; reason: string }
  | { kind: 'expired' }
  | { kind: 'succeeded'; amountMinor: bigint; currency: string; network: string | null }
  | ReversalNews;

/** Money going back after success: handled by reversals.ts, not by the status table. */
export type ReversalNews =
  /** the provider's cumulative refunded total for this payment, in the paying currency */
  | { kind: 'refunded'; totalRefundedMinor: bigint; currency: string }
  | { kind: 'dispute_opened'; disputeId: string; amountMinor: bigint; currency: string; reason: string }
  | { kind: 'dispute_closed'; disputeId: string; won: boolean };
