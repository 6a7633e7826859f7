import crypto from 'node:crypto';

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58(bytes: Buffer): string {
  let n = BigInt(`0x${bytes.toString('hex')}`);
  let out = '';
  while (n > 0n) {
    out = BASE58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = `1${out}`;
  }
  return out;
}

const sha256 = (b: Buffer): Buffer => crypto.createHash('sha256').update(b).digest();

/**
 * A deposit address for the sandbox, derived from the payment id so it is stable: a well-formed
 * TRON base58check address (`T…`) for TRC20, a lower-case EVM address (`0x…`) otherwise. Nobody
 * holds their keys; the sandbox never moves real funds.
 */
export function sandboxAddress(paymentId: string, network: string): string {
  const body = sha256(Buffer.from(`${paymentId}:${network}`)).subarray(0, 20);
  if (network === 'TRC20') {
    const payload = Buffer.concat([Buffer.from([0x41]), body]);
    return base58(Buffer.concat([payload, sha256(sha256(payload)).subarray(0, 4)]));
  }
  return `0x${body.toString('hex')}`;
}
