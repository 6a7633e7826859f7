import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WebhookRejected } from '../../src/providers/contract.js';
import { ipnSignature, signedString, sortKeysDeep } from '../../src/providers/nowpayments/index.js';
import { verifyIpn } from '../../src/providers/nowpayments/ipn.js';

const SECRET = 'ipn_x';
const hmac = (text: string, secret = SECRET) => crypto.createHmac('sha512', secret).update(text).digest('hex');

// keys out of order at every depth, an array of objects, an array in an array, null, true, a float
const NESTED = { b: 1.5, a: { d: [{ z: 1, y: 2 }, 3, [{ b: null, a: true }]], c: 'x' } };
// the same, written out by hand with every object's keys sorted and every array in its order
const NESTED_SORTED = '{"a":{"c":"x","d":[{"y":2,"z":1},3,[{"a":true,"b":null}]]},"b":1.5}';

describe('sorted-keys re-serialisation', () => {
  it('sorts keys at every depth and keeps arrays in order', () => {
    expect(signedString(NESTED)).toBe(NESTED_SORTED);
    expect(
      sortKeysDeep([
        { b: 1, a: 2 },
        { d: 3, c: 4 },
      ]),
    ).toEqual([
      { a: 2, b: 1 },
      { c: 4, d: 3 },
    ]);
    expect(JSON.stringify(sortKeysDeep([{ b: 1, a: 2 }]))).toBe('[{"a":2,"b":1}]');
  });

  it('leaves scalars alone and is the same for any key order of the input', () => {
    expect(sortKeysDeep(null)).toBeNull();
    expect(sortKeysDeep('x')).toBe('x');
    const reordered = { a: { c: 'x', d: [{ y: 2, z: 1 }, 3, [{ a: true, b: null }]] }, b: 1.5 };
    expect(signedString(reordered)).toBe(NESTED_SORTED);
  });

  it('prints numbers as NOWPayments’ Node signer prints them', () => {
    expect(signedString({ pay_amount: 19.36121163, actually_paid: 0, price_amount: 25, x: 1e-7 })).toBe(
      '{"actually_paid":0,"pay_amount":19.36121163,"price_amount":25,"x":1e-7}',
    );
  });
});

describe('x-nowpayments-sig', () => {
  it('is hex HMAC-SHA512 of the sorted string keyed with the IPN secret (a vector computed here with node:crypto)', () => {
    expect(ipnSignature(SECRET, NESTED)).toBe(hmac(NESTED_SORTED));
    // pinned, so a change to either side shows
    expect(ipnSignature(SECRET, NESTED)).toBe(
      'aa0bf4efe8d91fd91bbd444fae834f8b3ff58b5793cd553c92d826bf376703794d11fe048b4ec7bcfeffcca9a6665704bab5bce5621278366b84bff2d8677b02',
    );
  });

  const raw = Buffer.from(JSON.stringify(NESTED));
  const good = hmac(NESTED_SORTED);

  it('verifies the raw body it was computed for, in any key order or spacing, and in upper-case hex', () => {
    expect(verifyIpn(SECRET, raw, good)).toEqual(NESTED);
    expect(verifyIpn(SECRET, Buffer.from(JSON.stringify(NESTED, null, 2)), good)).toEqual(NESTED);
    expect(verifyIpn(SECRET, Buffer.from(NESTED_SORTED), good.toUpperCase())).toEqual(NESTED);
  });

  const rejects = (body: Buffer, header: string | string[] | undefined, reason: string) => {
    let error: unknown;
    try {
      verifyIpn(SECRET, body, header);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(WebhookRejected);
    expect((error as Error).message).toBe(reason);
  };

  it('refuses signatures made over other serialisations', () => {
    const mismatch = 'x-nowpayments-sig does not match the body';
    // the raw bytes as sent, unsorted
    rejects(raw, hmac(JSON.stringify(NESTED)), mismatch);
    // only the top level sorted (the old `JSON.stringify(params, Object.keys(params).sort())` drops nested keys)
    rejects(raw, hmac(JSON.stringify(NESTED, Object.keys(NESTED).sort())), mismatch);
    // arrays turned into objects while sorting
    const flatten = (v: unknown): unknown =>
      v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, flatten((v as Record<string, unknown>)[k])]),
          )
        : v;
    rejects(raw, hmac(JSON.stringify(flatten(NESTED))), mismatch);
    // another secret
    rejects(raw, hmac(NESTED_SORTED, 'another'), mismatch);
  });

  it('refuses an altered body: a nested value, an array element, an added key', () => {
    const mismatch = 'x-nowpayments-sig does not match the body';
    rejects(Buffer.from(JSON.stringify({ ...NESTED, b: 1.6 })), good, mismatch);
    rejects(Buffer.from(JSON.stringify({ ...NESTED, a: { ...NESTED.a, c: 'y' } })), good, mismatch);
    rejects(
      Buffer.from(JSON.stringify({ ...NESTED, a: { ...NESTED.a, d: [3, { z: 1, y: 2 }, [{ b: null, a: true }]] } })),
      good,
      mismatch,
    );
    rejects(Buffer.from(JSON.stringify({ ...NESTED, e: 0 })), good, mismatch);
  });

  it('refuses a missing, repeated or malformed header, and bodies that are not a JSON object', () => {
    rejects(raw, undefined, 'missing x-nowpayments-sig header');
    rejects(raw, '', 'missing x-nowpayments-sig header');
    rejects(raw, [good, good], 'missing x-nowpayments-sig header');
    rejects(raw, good.slice(1), 'x-nowpayments-sig is not an HMAC-SHA512 hex digest');
    rejects(raw, `${good.slice(2)}zz`, 'x-nowpayments-sig is not an HMAC-SHA512 hex digest');
    rejects(raw, `sha512=${good}`, 'x-nowpayments-sig is not an HMAC-SHA512 hex digest');
    rejects(Buffer.from('{"a":'), good, 'body is not JSON');
    rejects(Buffer.from('[1]'), hmac('[1]'), 'body must be a JSON object');
    rejects(Buffer.from('null'), hmac('null'), 'body must be a JSON object');
  });

  it('refuses a body nested too deeply to sort, without throwing anything else', () => {
    const depth = 20_000;
    const deep = `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    let error: unknown;
    try {
      verifyIpn(SECRET, Buffer.from(deep), good);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(WebhookRejected);
  });
});
