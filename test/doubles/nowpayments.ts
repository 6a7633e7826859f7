import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { keccak_256 } from '@noble/hashes/sha3';

/**
 * A local stand-in for NOWPayments' REST API (node:http), speaking its documented shapes:
 *
 * - `POST /v1/payment` (x-api-key) → 201 with the payment object: `payment_id` as a digit string,
 *   `payment_status: "waiting"`, a deposit address valid for the network, `pay_amount`,
 *   `pay_currency`, `price_*`, `order_id`, `payin_extra_id: null`, `created_at`,
 *   `expiration_estimate_date` and the other fields NOWPayments sends.
 * - `GET /v1/payment/:id` → 200 with the status object (`payment_id` a number, `actually_paid`, …).
 * - errors as NOWPayments answers them: `{ status: false, statusCode, code, message }`
 *   (403 INVALID_API_KEY, 400 INVALID_REQUEST_PARAMS, 404 NOT_FOUND).
 *
 * Controls let a test move a payment (status, actually_paid), make the next requests fail (any
 * status and body, or a dropped connection), hand out an invalid address or a memo, and build IPN
 * bodies signed as NOWPayments signs them (HMAC-SHA512 over the keys sorted at every depth).
 * Nothing here imports Coffer's code: the signing and the addresses are computed independently.
 */

export type Failure = { status: number; body?: unknown } | 'drop';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

export interface DoublePayment {
  payment_id: string;
  payment_status: string;
  pay_address: string;
  payin_extra_id: string | null;
  price_amount: number;
  price_currency: string;
  pay_amount: number;
  actually_paid: number;
  pay_currency: string;
  order_id: string | null;
  order_description: string | null;
  ipn_callback_url: string | null;
  purchase_id: string;
  created_at: string;
  updated_at: string;
  expiration_estimate_date: string;
}

const NETWORKS: Record<string, { kind: 'tron' | 'evm'; network: string }> = {
  usdttrc20: { kind: 'tron', network: 'trx' },
  usdterc20: { kind: 'evm', network: 'eth' },
  usdtbsc: { kind: 'evm', network: 'bsc' },
};

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest();

function base58(bytes: Buffer): string {
  let n = BigInt(`0x${bytes.toString('hex')}`);
  let out = '';
  while (n > 0n) {
    out = BASE58[Number(n % 58n)] + out;
    n /= 58n;
  }
  return out;
}

/** A TRON base58check address (version 0x41) for 20 random bytes. */
export function tronAddress(body = crypto.randomBytes(20)): string {
  const payload = Buffer.concat([Buffer.from([0x41]), body]);
  return base58(Buffer.concat([payload, sha256(sha256(payload)).subarray(0, 4)]));
}

/** An EIP-55 checksummed EVM address for 20 random bytes. */
export function evmAddress(body = crypto.randomBytes(20)): string {
  const lower = body.toString('hex');
  const hash = Buffer.from(keccak_256(Buffer.from(lower, 'ascii'))).toString('hex');
  return `0x${[...lower].map((c, i) => (parseInt(hash[i], 16) >= 8 ? c.toUpperCase() : c)).join('')}`;
}

/** An address of the right shape with one character changed, so its checksum fails. */
export function corrupt(address: string): string {
  if (address.startsWith('T')) {
    const i = 10;
    const c = address[i] === 'a' ? 'b' : 'a';
    return address.slice(0, i) + c + address.slice(i + 1);
  }
  // flip the case of the first letter of a checksummed address: still hex, checksum now wrong
  const i = [...address.slice(2)].findIndex((c) => /[a-fA-F]/.test(c)) + 2;
  const c = address[i] === address[i].toLowerCase() ? address[i].toUpperCase() : address[i].toLowerCase();
  return address.slice(0, i) + c + address.slice(i + 1);
}

/** NOWPayments' signature, computed here on its own: keys sorted at every depth, arrays in order. */
export function signIpn(secret: string, body: object): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
          )
        : v;
  return crypto
    .createHmac('sha512', secret)
    .update(JSON.stringify(sorted(body)))
    .digest('hex');
}

const errorBody = (statusCode: number, code: string, message: string) => ({ status: false, statusCode, code, message });

export interface NowPaymentsDouble {
  url: string;
  requests: RecordedRequest[];
  payments: Map<string, DoublePayment>;
  /** the next `count` requests (only those to `only`, if given) fail this way */
  failNext(count: number, failure: Failure, only?: 'create' | 'get'): void;
  /** the next created payment gets an address that fails its network's checksum */
  invalidAddressNext(): void;
  /** the next created payment carries this payin_extra_id (memo) */
  extraIdNext(extraId: string): void;
  /** the next created payment asks for this pay_amount instead of the one requested */
  payAmountNext(amount: number): void;
  /** moves a payment as NOWPayments would (status, amount received) */
  set(paymentId: string, patch: Partial<Pick<DoublePayment, 'payment_status' | 'actually_paid'>>): void;
  /** the GET shape of a payment (what GET /v1/payment/:id answers) */
  statusBody(paymentId: string): Record<string, unknown>;
  /** an IPN for the payment as it now is (plus overrides), serialised in NOWPayments' own key order, and its signature */
  ipn(paymentId: string, overrides?: Record<string, unknown>): { raw: string; signature: string };
  sign(body: object): string;
  close(): Promise<void>;
}

export async function startNowPaymentsDouble(opts: { apiKey: string; ipnSecret: string }): Promise<NowPaymentsDouble> {
  const requests: RecordedRequest[] = [];
  const payments = new Map<string, DoublePayment>();
  const failures: { failure: Failure; only?: 'create' | 'get' }[] = [];
  let invalidAddress = false;
  let extraId: string | null = null;
  let payAmountOverride: number | null = null;

  const statusBody = (id: string): Record<string, unknown> => {
    const p = payments.get(id);
    if (!p) throw new Error(`no payment ${id}`);
    return {
      payment_id: Number(p.payment_id),
      invoice_id: null,
      payment_status: p.payment_status,
      pay_address: p.pay_address,
      payin_extra_id: p.payin_extra_id,
      price_amount: p.price_amount,
      price_currency: p.price_currency,
      pay_amount: p.pay_amount,
      actually_paid: p.actually_paid,
      actually_paid_at_fiat: p.actually_paid,
      pay_currency: p.pay_currency,
      order_id: p.order_id,
      order_description: p.order_description,
      purchase_id: p.purchase_id,
      created_at: p.created_at,
      updated_at: p.updated_at,
      outcome_amount: p.actually_paid,
      outcome_currency: p.pay_currency,
      payout_hash: null,
      payin_hash: p.actually_paid > 0 ? crypto.randomBytes(32).toString('hex') : null,
      burning_percent: null,
      type: 'crypto2crypto',
      payment_extra_ids: p.actually_paid > 0 ? [Number(p.purchase_id)] : [],
    };
  };

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };

  const create = (body: any, res: http.ServerResponse) => {
    const problems: string[] = [];
    if (typeof body?.price_amount !== 'number' || !(body.price_amount > 0))
      problems.push('"price_amount" must be a positive number');
    if (typeof body?.price_currency !== 'string') problems.push('"price_currency" is required');
    if (typeof body?.pay_currency !== 'string' || !NETWORKS[body.pay_currency])
      problems.push('"pay_currency" is not supported');
    if (body?.pay_amount !== undefined && (typeof body.pay_amount !== 'number' || !(body.pay_amount > 0)))
      problems.push('"pay_amount" must be a positive number');
    if (problems.length > 0) return send(res, 400, errorBody(400, 'INVALID_REQUEST_PARAMS', problems.join('; ')));
    const net = NETWORKS[body.pay_currency];
    let address = net.kind === 'tron' ? tronAddress() : evmAddress();
    if (invalidAddress) {
      address = corrupt(address);
      invalidAddress = false;
    }
    const now = new Date();
    const p: DoublePayment = {
      payment_id: String(4_000_000_000 + crypto.randomInt(999_999_999)),
      payment_status: 'waiting',
      pay_address: address,
      payin_extra_id: extraId,
      price_amount: body.price_amount,
      price_currency: body.price_currency,
      // priced in the asset itself (or with pay_amount stated) the amount is taken as given
      pay_amount: payAmountOverride ?? body.pay_amount ?? body.price_amount,
      actually_paid: 0,
      pay_currency: body.pay_currency,
      order_id: typeof body.order_id === 'string' ? body.order_id : null,
      order_description: typeof body.order_description === 'string' ? body.order_description : null,
      ipn_callback_url: typeof body.ipn_callback_url === 'string' ? body.ipn_callback_url : null,
      purchase_id: String(5_000_000_000 + crypto.randomInt(999_999_999)),
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
      expiration_estimate_date: new Date(now.getTime() + 24 * 3600 * 1000).toISOString(),
    };
    extraId = null;
    payAmountOverride = null;
    payments.set(p.payment_id, p);
    send(res, 201, {
      payment_id: p.payment_id,
      payment_status: p.payment_status,
      pay_address: p.pay_address,
      price_amount: p.price_amount,
      price_currency: p.price_currency,
      pay_amount: p.pay_amount,
      amount_received: null,
      pay_currency: p.pay_currency,
      order_id: p.order_id,
      order_description: p.order_description,
      ipn_callback_url: p.ipn_callback_url,
      created_at: p.created_at,
      updated_at: p.updated_at,
      purchase_id: p.purchase_id,
      smart_contract: '',
      network: net.network,
      network_precision: 6,
      time_limit: null,
      burning_percent: null,
      expiration_estimate_date: p.expiration_estimate_date,
      is_fixed_rate: false,
      is_fee_paid_by_user: false,
      valid_until: p.expiration_estimate_date,
      type: 'crypto2crypto',
      payin_extra_id: p.payin_extra_id,
    });
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://double');
      let body: any = null;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        body = raw;
      }
      requests.push({ method: req.method ?? '', path: url.pathname, headers: req.headers, body });
      const kind =
        req.method === 'POST' && url.pathname === '/v1/payment'
          ? 'create'
          : req.method === 'GET' && /^\/v1\/payment\/[^/]+$/.test(url.pathname)
            ? 'get'
            : null;
      const i = failures.findIndex((f) => !f.only || f.only === kind);
      if (i >= 0) {
        const [{ failure }] = failures.splice(i, 1);
        if (failure === 'drop') return req.socket.destroy();
        return send(
          res,
          failure.status,
          failure.body ?? errorBody(failure.status, 'INTERNAL_ERROR', 'Internal server error'),
        );
      }
      if (req.headers['x-api-key'] !== opts.apiKey)
        return send(res, 403, errorBody(403, 'INVALID_API_KEY', 'Invalid api key'));
      if (kind === 'create') return create(body, res);
      if (kind === 'get') {
        const id = url.pathname.split('/')[3];
        if (!payments.has(id)) return send(res, 404, errorBody(404, 'NOT_FOUND', 'Payment not found'));
        return send(res, 200, statusBody(id));
      }
      send(res, 404, errorBody(404, 'NOT_FOUND', `Cannot ${req.method} ${url.pathname}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    payments,
    failNext(count, failure, only) {
      for (let n = 0; n < count; n++) failures.push({ failure, only });
    },
    invalidAddressNext() {
      invalidAddress = true;
    },
    extraIdNext(id) {
      extraId = id;
    },
    payAmountNext(amount) {
      payAmountOverride = amount;
    },
    set(id, patch) {
      const p = payments.get(id);
      if (!p) throw new Error(`no payment ${id}`);
      Object.assign(p, patch, { updated_at: new Date().toISOString() });
    },
    statusBody,
    ipn(id, overrides = {}) {
      // NOWPayments' IPN is the status object plus a nested fee; keys in its own (unsorted) order
      const body = {
        ...statusBody(id),
        fee: { currency: payments.get(id)!.pay_currency, depositFee: 0, withdrawalFee: 0.5, serviceFee: 0.1 },
        ...overrides,
      };
      return { raw: JSON.stringify(body), signature: signIpn(opts.ipnSecret, body) };
    },
    sign: (body) => signIpn(opts.ipnSecret, body),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
