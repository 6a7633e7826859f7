import { describe, expect, it } from 'vitest';
import { setupHarness } from './harness.js';

// Behind a reverse proxy every connection comes from the proxy: with TRUST_PROXY the sign-in
// limit counts each client (X-Forwarded-For) on its own, so one client cannot lock out the rest.
const h = await setupHarness({ TRUST_PROXY: '127.0.0.1', PORTAL_SIGNIN_PER_MINUTE: '3' });

const signIn = (forwardedFor: string) =>
  h.app.inject({
    method: 'POST',
    url: '/portal/api/signin',
    remoteAddress: '127.0.0.1',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    payload: JSON.stringify({ token: 'pl_nope.nope' }),
  });

describe('sign-in limits behind a trusted proxy', () => {
  it('are per client address, not per proxy', async () => {
    for (let i = 0; i < 3; i++) expect((await signIn('203.0.113.7')).statusCode).toBe(401);
    expect((await signIn('203.0.113.7')).statusCode).toBe(429);
    // another customer behind the same proxy is not affected
    expect((await signIn('198.51.100.9')).statusCode).toBe(401);
  });

  it('an untrusted peer cannot choose its address with X-Forwarded-For', async () => {
    const from = (peer: string, claimed: string) =>
      h.app.inject({
        method: 'POST',
        url: '/portal/api/signin',
        remoteAddress: peer,
        headers: { 'content-type': 'application/json', 'x-forwarded-for': claimed },
        payload: JSON.stringify({ token: 'pl_nope.nope' }),
      });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await from('192.0.2.50', `10.9.9.${i}`)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});
