import { expect } from 'vitest';
import type { Harness, Res } from './harness.js';

// Helpers of the portal tests (test/integration/portal-*.test.ts): sign a customer in through a
// platform link, then call /portal/api with the session cookie and the CSRF token.

let ipSeq = 0;
/** A fresh client address per sign-in, so the per-IP sign-in limit only bites where a test wants it. */
export const freshIp = (): string => {
  ipSeq++;
  return `10.${(ipSeq >> 16) & 255}.${(ipSeq >> 8) & 255}.${ipSeq & 255}`;
};

export interface PortalCall {
  method?: string;
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  cookie?: string | null;
  csrf?: string | null;
  ip?: string;
  raw?: Buffer;
}

export async function portalInject(h: Harness, c: PortalCall): Promise<Res> {
  const headers: Record<string, string> = { ...(c.headers ?? {}) };
  if (c.cookie) headers.cookie = c.cookie;
  if (c.csrf) headers['x-csrf-token'] = c.csrf;
  if (c.body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await h.app.inject({
    method: (c.method ?? 'GET') as 'GET',
    url: c.url,
    headers,
    payload: c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body)),
    remoteAddress: c.ip ?? '127.0.0.1',
  });
  let body: unknown = null;
  try {
    body = res.body ? JSON.parse(res.body) : null;
  } catch {
    body = res.body;
  }
  return { status: res.statusCode, body, headers: res.headers };
}

/** A sign-in link's token, made through the platform API. */
export async function linkToken(h: Harness, customer: string, body: Record<string, unknown> = {}): Promise<string> {
  const link = await h.call('POST', `/v1/customers/${customer}/portal_sessions`, body);
  expect(link.status).toBe(201);
  return new URL(link.body.url).searchParams.get('token')!;
}

export const cookieOf = (res: Res): string => {
  const set = res.headers['set-cookie'];
  const first = (Array.isArray(set) ? set : [set]).find((c) => typeof c === 'string' && c.startsWith('coffer_portal='));
  expect(first).toBeTruthy();
  return (first as string).split(';')[0];
};

export interface Portal {
  customer: string;
  cookie: string;
  csrf: string;
  sessionId: string;
  ip: string;
  /** a call with the session cookie and (on POST/PUT/DELETE) the CSRF token */
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Res>;
}

export async function signInWithToken(h: Harness, token: string, ip = freshIp()): Promise<Res> {
  return portalInject(h, { method: 'POST', url: '/portal/api/signin', body: { token }, ip });
}

/** Signs `customer` in through a fresh platform link. */
export async function signIn(h: Harness, customer: string): Promise<Portal> {
  const ip = freshIp();
  const res = await signInWithToken(h, await linkToken(h, customer), ip);
  expect(res.status).toBe(200);
  const cookie = cookieOf(res);
  const me = await portalInject(h, { url: '/portal/api/me', cookie, ip });
  expect(me.status).toBe(200);
  const csrf = me.body.csrf_token as string;
  return {
    customer,
    cookie,
    csrf,
    sessionId: me.body.session.id,
    ip,
    call: (method, url, body, headers) =>
      portalInject(h, { method, url, body, headers, cookie, csrf: method === 'GET' ? null : csrf, ip }),
  };
}
