import type { PaymentProvider } from './contract.js';

export type {
  PaymentProvider,
  PaymentRequest,
  CreatedPayment,
  NextAction,
  ProviderEvent,
  PaymentState,
  PaymentNews,
  ReversalNews,
} from './contract.js';
export { WebhookRejected } from './contract.js';
export { signatureHeader, verifySignature } from './signature.js';
export { StripeProvider, type StripeOptions } from './stripe/index.js';
export { NowPaymentsProvider, type NowPaymentsOptions } from './nowpayments/index.js';
export { ManualBankProvider, newBankReference, normaliseBankReference, type BankAccount } from './manual/index.js';

/** Which provider object executes each provider name that payment methods refer to. */
export class ProviderRegistry {
  private readonly byName = new Map<string, PaymentProvider>();

  constructor(providers: PaymentProvider[]) {
    for (const p of providers) this.byName.set(p.name, p);
  }

  get(name: string): PaymentProvider {
    const p = this.byName.get(name);
    if (!p) throw new Error(`payment provider "${name}" is not configured`);
    return p;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }
}
