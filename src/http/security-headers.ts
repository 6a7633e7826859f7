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
