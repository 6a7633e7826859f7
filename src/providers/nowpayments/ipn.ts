import crypto from 'node:crypto';
import { WebhookRejected } from '../contract.js';

/**
 * NOWPayments signs an IPN over its body re-serialised with the keys sorted, not over the bytes it
 * sends: `x-nowpayments-sig` = hex HMAC-SHA512 of `JSON.stringify(sortObject(body))`, keyed with the
 * IPN secret. The sort is recursive (the `fee` object inside an IPN is sorted too) and arrays keep
 * their order, each element sorted in turn. We rebuild that string exactly as NOWPayments' own Node
 * sample does — sorted plain objects handed to JSON.stringify — so numbers and strings print the way
 * its signer printed them.
 */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeysDeep((value as Record<string, unknown>)[key]);
  return out;
}

export const signedString = (body: unknown): string => JSON.stringify(sortKeysDeep(body));

export function ipnSignature(secret: string, body: unknown): string {
  return crypto.createHmac('sha512', secret).update(signedString(body)).digest('hex');
}

/**
 * Parses and verifies an IPN: the header must be 128 hex digits and equal (in constant time) the
 * HMAC of the sorted re-serialisation. Returns the parsed body; throws WebhookRejected otherwise.
 */
export function verifyIpn(
  secret: string,
  rawBody: Buffer,
  header: string | string[] | undefined,
): Record<string, unknown> {
  if (typeof header !== 'string' || header.length === 0) throw new WebhookRejected('missing x-nowpayments-sig header');
  if (!/^[0-9a-fA-F]{128}$/.test(header))
    throw new WebhookRejected('x-nowpayments-sig is not an HMAC-SHA512 hex digest');
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new WebhookRejected('body is not JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new WebhookRejected('body must be a JSON object');
  let expected: Buffer;
  try {
    expected = Buffer.from(ipnSignature(secret, body), 'hex');
  } catch {
    // nested deeper than the sort can recurse: no signer produced it
    throw new WebhookRejected('body is nested too deeply');
  }
  if (!crypto.timingSafeEqual(Buffer.from(header, 'hex'), expected))
    throw new WebhookRejected('x-nowpayments-sig does not match the body');
  return body as Record<string, unknown>;
}
