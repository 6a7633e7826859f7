import crypto from 'node:crypto';
import { formatDecimal } from '../../money/index.js';
import {
  WebhookRejected,
  type CreatedPayment,
  type PaymentProvider,
  type PaymentRequest,
  type PaymentState,
  type ProviderEvent,
} from '../contract.js';

export interface BankAccount {
  beneficiary: string;
  bank_name: string;
  account_number: string;
  swift?: string;
  branch?: string;
}

// Crockford base32 without I, L, O, U: nothing a customer can mistype for something else.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
// Crockford's check symbols: value mod 37 over the 32 digits plus five extra symbols.
const CHECK = `${ALPHABET}*~$=U`;

/** `CF-XXXX-XXXX-C`: 40 random bits in two groups of four and a mod-37 check character. */
export function newBankReference(): string {
  const digits = Array.from(crypto.randomBytes(8), (b) => ALPHABET[b & 31]).join('');
  return `CF-${digits.slice(0, 4)}-${digits.slice(4)}-${checkChar(digits)}`;
}

function checkChar(digits: string): string {
  let n = 0n;
  for (const d of digits) n = n * 32n + BigInt(ALPHABET.indexOf(d));
  return CHECK[Number(n % 37n)];
}

/** Accepts what a customer typed (any case, spaces or dashes anywhere) if its check character is right. */
export function normaliseBankReference(typed: string): string | null {
  const s = typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  const m = /^CF([0-9A-HJKMNP-TV-Z]{8})([0-9A-HJKMNP-TV-Z*~$=U])$/.exec(s);
  if (!m || checkChar(m[1]) !== m[2]) return null;
  return `CF-${m[1].slice(0, 4)}-${m[1].slice(4)}-${m[2]}`;
}

/**
 * Bank transfer: the customer sends money to the operator's account quoting the order's reference;
 * staff confirm what arrived. There is no provider API, so no webhooks and nothing to re-fetch.
 */
export class ManualBankProvider implements PaymentProvider {
  readonly name = 'manual';
  readonly acceptsWebhooks = false;

  constructor(private readonly accounts: Record<string, BankAccount>) {}

  async createPayment(req: PaymentRequest): Promise<CreatedPayment> {
    const account = this.accounts[req.currency];
    if (!account) throw new Error(`no receiving bank account for ${req.currency}`);
    const reference = newBankReference();
    return {
      paymentId: reference,
      nextAction: {
        type: 'bank_transfer',
        currency: req.currency,
        amount: Number(req.amountMinor),
        amount_decimal: formatDecimal(req.amountMinor, req.currency),
        reference,
        account,
      },
    };
  }

  hasAccount(currency: string): boolean {
    return Boolean(this.accounts[currency]);
  }

  async parseWebhook(): Promise<ProviderEvent> {
    throw new WebhookRejected('bank transfers have no webhooks; staff confirm them');
  }

  async retrievePayment(): Promise<PaymentState | null> {
    return null;
  }

  async refund(
    paymentId: string,
    _amountMinor: bigint,
    _currency: string,
    key: string,
  ): Promise<{ refundId: string; status: 'pending' }> {
    // Staff send the money back by bank; the refund waits for them to mark it done.
    return { refundId: `manual_${paymentId}_${key}`.slice(0, 120), status: 'pending' };
  }
}
