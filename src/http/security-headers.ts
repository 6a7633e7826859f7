import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/**
 * Helmet's security headers, computed once. (@fastify/helmet rebuilds the helmet middleware and
 * re-parses the CSP on every request, which showed up as several percent of the CPU of a charge;
 * the headers never vary per request here, so they are captured at start-up and set in one call.)
 */
export function securityHeaders(https: boolean): Record<string, string> {
  const middleware = helmet({
    // HSTS and upgrade-insecure-requests only make sense when Coffer is served over HTTPS.
    hsts: https,
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        frameAncestors: ["'none'"],
        imgSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        upgradeInsecureRequests: https ? [] : null,
      },
    },
  });
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  } as unknown as ServerResponse;
  let done = false;
  middleware({} as IncomingMessage, res, () => {
    done = true;
  });
  if (!done) throw new Error('helmet did not complete synchronously');
  return headers;
}

/**
 * The headers of JSON answers (the platform API and provider webhooks), after OWASP's REST
 * security advice: never cached, never sniffed as another type, never framed, nothing loaded.
 * The page headers above exist for browsers rendering HTML; on a JSON answer they are ~600 bytes
 * that every API client receives and parses on every call (about a tenth of the HTTP work of a
 * charge, on both sides of the connection).
 */
export function apiHeaders(pageHeaders: Record<string, string>): Record<string, string> {
  const hsts = pageHeaders['strict-transport-security'];
  return {
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    ...(hsts ? { 'strict-transport-security': hsts } : {}),
  };
}

/** Whether a request path is answered with JSON for programs (the API headers) rather than pages. */
export const isApiPath = (url: string): boolean =>
  url.startsWith('/v1/') || url.startsWith('/webhooks/') || url.startsWith('/portal/api/');
