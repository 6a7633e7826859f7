import crypto from 'node:crypto';
import { WebhookRejected } from './contract.js';

/**
 * `Coffer-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` — used by the
 * sandbox provider's webhooks and by Coffer's own webhooks out (docs/api.md).
 */
export function signatureHeader(secret: string, rawBody: string | Buffer, nowMs = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${hmac(secret, t, rawBody)}`;
}

function hmac(secret: string, t: number | string, rawBody: string | Buffer): string {
  return crypto.createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest('hex');
}

export function verifySignature(
  secret: string,
  header: string | string[] | undefined,
  rawBody: Buffer,
  toleranceSeconds: number,
  nowMs = Date.now(),
): void {
  if (typeof header !== 'string' || header.length > 1000) throw new WebhookRejected('missing Coffer-Signature header');
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const i = item.indexOf('=');
    if (i <= 0) continue;
    const k = item.slice(0, i).trim();
    parts.set(k, [...(parts.get(k) ?? []), item.slice(i + 1).trim()]);
  }
  const t = parts.get('t')?.[0];
  if (!t || !/^\d{1,12}$/.test(t)) throw new WebhookRejected('Coffer-Signature has no timestamp');
  if (Math.abs(nowMs / 1000 - Number(t)) > toleranceSeconds)
    throw new WebhookRejected('Coffer-Signature timestamp is outside the tolerance');
  const expected = Buffer.from(hmac(secret, t, rawBody), 'hex');
  const ok = (parts.get('v1') ?? []).some((v) => {
    const given = /^[0-9a-f]{64}$/.test(v) ? Buffer.from(v, 'hex') : null;
    return given !== null && crypto.timingSafeEqual(given, expected);
  });
  if (!ok) throw new WebhookRejected('Coffer-Signature does not match the body');
}
