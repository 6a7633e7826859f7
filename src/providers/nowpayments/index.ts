import { CofferError } from '../../errors.js';
import { isoTime } from '../../lib/json.js';
import { formatDecimal } from '../../money/index.js';
import {
  WebhookRejected,
  type CreatedPayment,
  type PaymentProvider,
  type PaymentRequest,
  type PaymentState,
  type ProviderEvent,
} from '../contract.js';
import { depositAddressProblem } from '../crypto-address.js';
import type { PaymentNews } from '../contract.js';
import { amountMinor, amountNumber, assetOfPayCurrency, decimalText, payCurrencyFor } from './amounts.js';
import { NowPaymentsClient, NowPaymentsError } from './client.js';
import { verifyIpn } from './ipn.js';
import { statusMeaning } from './status.js';

export { NowPaymentsError, NOWPAYMENTS_LIVE_URL } from './client.js';
export { ipnSignature, signedString, sortKeysDeep } from './ipn.js';
export { PAY_CURRENCIES, amountMinor, decimalText, payCurrencyFor } from './amounts.js';
export { STATUS_TABLE, statusMeaning, type NowPaymentsStatus } from './status.js';

export interface NowPaymentsOptions {
  apiKey: string;
  ipnSecret: string;
  /** base URL of the NOWPayments API (a local double in tests); null = NOWPayments' own */
  apiUrl: string | null;
  publicUrl: string;
}

type Json = Record<string, unknown>;

/** NOWPayments' ids are numbers in some answers and digit strings in others; ours are strings. */
function paymentIdOf(value: unknown): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return String(value);
  if (typeof value === 'string' && /^[1-9]\d{0,19}$/.test(value)) return value;
  return null;
}

const asObject = (value: unknown, what: string): Json => {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new NowPaymentsError(`NOWPayments answered ${what} with something that is not a payment`, 200);
  return value as Json;
};

/** A memo / destination tag the network needs, when NOWPayments gives one. */
function memoOf(value: unknown): string | null {
  const text =
    typeof value === 'number' && Number.isSafeInteger(value)
      ? String(value)
      : typeof value === 'string'
        ? value.trim()
        : '';
  return /^[\x21-\x7e]{1,100}$/.test(text) ? text : null;
}

/**
 * NOWPayments for `crypto`, over its REST API (`x-api-key`) and its HMAC-SHA512 IPN.
 *
 * Pricing: a Coffer order has already locked its quote — the customer pays exactly `pay_amount` of
 * the asset. The payment is therefore priced in the asset itself (`price_currency` = `pay_currency`
 * = the asset-network code) and `pay_amount` is stated too, so NOWPayments never re-quotes at its
 * own USD rate and the address screen shows the same amount as the order. An answer asking for any
 * other amount or currency is refused rather than shown.
 *
 * NOWPayments has no idempotency key: a create whose answer was lost may leave a payment there that
 * Coffer never attached. Its address was never shown, so nobody pays it; it expires at NOWPayments.
 * (An IPN for it finds no order and is recorded as `unknown payment`.)
 */
export class NowPaymentsProvider implements PaymentProvider {
  readonly name = 'nowpayments';
  readonly acceptsWebhooks = true;
  private readonly client: NowPaymentsClient;

  constructor(private readonly opts: NowPaymentsOptions) {
    this.client = new NowPaymentsClient(opts.apiKey, opts.apiUrl);
  }

  async createPayment(req: PaymentRequest): Promise<CreatedPayment> {
    const payCurrency = req.method === 'crypto' ? payCurrencyFor(req.currency, req.network) : null;
    if (!payCurrency)
      throw new Error(
        `NOWPayments is not set up for ${req.method} in ${req.currency}${req.network ? ` on ${req.network}` : ''}`,
      );
    const network = req.network!;
    const amount = amountNumber(req.amountMinor, req.currency);
    const p = asObject(
      await this.client.request('POST', '/v1/payment', {
        price_amount: amount,
        price_currency: payCurrency,
        pay_amount: amount,
        pay_currency: payCurrency,
        order_id: req.orderId,
        order_description: `Top-up ${req.orderId}: ${formatDecimal(req.amountMinor, req.currency)} ${req.currency} on ${network}`,
        ipn_callback_url: `${this.opts.publicUrl}/webhooks/nowpayments`,
      }),
      'the new payment',
    );
    const paymentId = paymentIdOf(p.payment_id);
    if (!paymentId) throw new NowPaymentsError('NOWPayments answered without a payment id', 200);
    const refuse = (why: string) => new NowPaymentsError(`NOWPayments payment ${paymentId} was not shown: ${why}`, 200);
    if (typeof p.order_id === 'string' && p.order_id !== req.orderId)
      throw refuse(`it belongs to order ${p.order_id.slice(0, 40)}`);
    if (typeof p.pay_currency !== 'string' || p.pay_currency.toLowerCase() !== payCurrency)
      throw refuse(`it asks for ${String(p.pay_currency).slice(0, 20)} instead of ${payCurrency}`);
    const asked = amountMinor(p.pay_amount, req.currency);
    if (asked !== req.amountMinor) {
      throw refuse(
        `it asks for ${decimalText(p.pay_amount) ?? 'an unreadable amount'} instead of ${formatDecimal(req.amountMinor, req.currency)} ${req.currency}`,
      );
    }
    const problem = depositAddressProblem(network, p.pay_address);
    if (problem) throw refuse(`its deposit address is not a valid ${network} address (${problem})`);
    const memo = memoOf(p.payin_extra_id);
    // the earlier of NOWPayments' own estimate and the order's expiry: both end the offer
    const estimate = typeof p.expiration_estimate_date === 'string' ? new Date(p.expiration_estimate_date) : null;
    const expiresAt =
      estimate && !Number.isNaN(estimate.getTime()) && estimate < req.expiresAt ? estimate : req.expiresAt;
    return {
      paymentId,
      nextAction: {
        type: 'crypto_transfer',
        asset: req.currency,
        network,
        address: p.pay_address as string,
        amount: formatDecimal(req.amountMinor, req.currency),
        expires_at: isoTime(expiresAt),
        ...(memo ? { memo } : {}),
      },
    };
  }

  async parseWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): Promise<ProviderEvent> {
    const body = verifyIpn(this.opts.ipnSecret, rawBody, headers['x-nowpayments-sig']);
    const paymentId = paymentIdOf(body.payment_id);
    if (!paymentId) throw new WebhookRejected('payment_id must be a NOWPayments payment id');
    const status = body.payment_status;
    if (typeof status !== 'string' || !/^[a-z_]{1,40}$/.test(status))
      throw new WebhookRejected('payment_status must be a status name');
    const paid =
      body.actually_paid === undefined || body.actually_paid === null ? null : decimalText(body.actually_paid);
    if (body.actually_paid !== undefined && body.actually_paid !== null && paid === null)
      throw new WebhookRejected('actually_paid must be a decimal amount');
    // NOWPayments sends one IPN per change of a payment: its status, or for the same status the
    // amount received so far (a second partial deposit). Those three name the event; a redelivery
    // of the same IPN has the same three and is recorded once.
    const eventId = `${paymentId}:${status}:${paid ?? '-'}`;
    const orderId = typeof body.order_id === 'string' && body.order_id.length <= 100 ? body.order_id : null;
    return { eventId, type: status, paymentId, orderId, news: newsOf(status, body) };
  }

  /**
   * The payment as NOWPayments holds it now: succeeded once the funds settled (finished, or
   * partially_paid for less), for `actually_paid` in the asset's minor units. A payment NOWPayments
   * does not know, or an answer that cannot be read, throws (503: NOWPayments retries its IPN) —
   * never null, which would let the IPN be trusted on its own.
   */
  async retrievePayment(paymentId: string): Promise<PaymentState | null> {
    if (!paymentIdOf(paymentId))
      throw new CofferError('unavailable', `"${paymentId.slice(0, 40)}" is not a NOWPayments payment id.`);
    let p: Json;
    try {
      p = asObject(await this.client.request('GET', `/v1/payment/${paymentId}`), `payment ${paymentId}`);
    } catch (err) {
      const why = err instanceof NowPaymentsError ? err.message : 'NOWPayments could not be asked';
      throw new CofferError('unavailable', `Could not confirm NOWPayments payment ${paymentId}; retry later. (${why})`);
    }
    if (paymentIdOf(p.payment_id) !== paymentId)
      throw new CofferError('unavailable', `NOWPayments answered for another payment than ${paymentId}.`);
    const status = typeof p.payment_status === 'string' ? p.payment_status : '';
    const asset = assetOfPayCurrency(p.pay_currency);
    const state = statusMeaning(status).state;
    const paid = asset ? amountMinor(p.actually_paid, asset.asset) : null;
    return {
      paymentId,
      status: state,
      // an amount Coffer cannot read (an asset it does not offer) is never credited
      amountMinor: paid,
      currency:
        asset?.asset ??
        String(p.pay_currency ?? '')
          .toUpperCase()
          .slice(0, 20),
      network: asset?.network ?? null,
    };
  }

  /**
   * NOWPayments has no refund API for merchants' incoming payments: the funds are already in the
   * merchant's wallet. A refund is recorded as pending and staff send the asset back by hand (from
   * the payout wallet, to an address the customer gives), then mark it done.
   */
  async refund(
    paymentId: string,
    _amountMinor: bigint,
    _currency: string,
    key: string,
  ): Promise<{ refundId: string; status: 'pending' }> {
    return { refundId: `nprefund_${paymentId}_${key}`.slice(0, 120), status: 'pending' };
  }
}

/** The news one verified IPN carries (the table in status.ts), with amounts in minor units. */
function newsOf(status: string, body: Json): PaymentNews | null {
  const meaning = statusMeaning(status);
  if (meaning.news === 'none') return null;
  if (meaning.news === 'processing') return { kind: 'processing' };
  if (meaning.news === 'expired') return { kind: 'expired' };
  if (meaning.news === 'failed') return { kind: 'failed', reason: 'NOWPayments reported the payment as failed' };
  // An asset Coffer does not offer cannot be read into minor units: recorded, not acted on.
  const asset = assetOfPayCurrency(body.pay_currency);
  if (!asset) return null;
  const paid = amountMinor(body.actually_paid, asset.asset);
  if (meaning.news === 'succeeded') {
    if (paid === null) throw new WebhookRejected('actually_paid is missing');
    return { kind: 'succeeded', amountMinor: paid, currency: asset.asset, network: asset.network };
  }
  // refunded: the whole payment went back — what arrived, or what was asked when nothing is stated
  const total = paid !== null && paid > 0n ? paid : amountMinor(body.pay_amount, asset.asset);
  if (total === null) throw new WebhookRejected('refunded IPN states no amount');
  return { kind: 'refunded', totalRefundedMinor: total, currency: asset.asset };
}
