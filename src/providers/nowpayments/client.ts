/** NOWPayments' production API; its sandbox is https://api-sandbox.nowpayments.io. */
export const NOWPAYMENTS_LIVE_URL = 'https://api.nowpayments.io';
const TIMEOUT_MS = 15_000;
const MAX_MESSAGE = 200;

/**
 * A failed NOWPayments call. The message is safe to show an API client: it names the status and
 * NOWPayments' own error code and message, never the API key, the URL's secrets or a stack.
 */
export class NowPaymentsError extends Error {
  constructor(
    message: string,
    /** HTTP status, or null when no answer came (network error, timeout, dropped connection) */
    readonly status: number | null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'NowPaymentsError';
  }
}

/** Printable text only, bounded: error bodies come from outside. */
const clean = (s: string): string =>
  s
    .replace(/[^\x20-\x7e]+/g, ' ')
    .trim()
    .slice(0, MAX_MESSAGE);

function whyUnreachable(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
    return `no answer within ${TIMEOUT_MS / 1000} s`;
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' ? `connection failed: ${clean(cause.code)}` : 'connection failed';
}

/** `{ statusCode, code, message }` (NOWPayments' error body) to "401 AUTH_REQUIRED: …". */
function describeError(status: number, body: unknown): { text: string; code: string | null } {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const code = typeof b.code === 'string' ? clean(b.code) : null;
  const message = typeof b.message === 'string' ? clean(b.message) : null;
  return { text: `NOWPayments answered ${status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`, code };
}

/** A thin `fetch` client: JSON in and out, `x-api-key` on every call, a timeout on every call. */
export class NowPaymentsClient {
  private readonly baseUrl: string;

  constructor(
    private readonly apiKey: string,
    apiUrl: string | null,
  ) {
    // the base URL may be given with or without the version segment
    this.baseUrl = (apiUrl ?? NOWPAYMENTS_LIVE_URL).replace(/\/+$/, '').replace(/\/v1$/, '');
  }

  async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    let status: number;
    let text: string;
    try {
      const res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          'x-api-key': this.apiKey,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      throw new NowPaymentsError(`NOWPayments could not be reached (${whyUnreachable(err)})`, null);
    }
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      if (status >= 200 && status < 300)
        throw new NowPaymentsError(`NOWPayments answered ${status} with a body that is not JSON`, status);
    }
    if (status < 200 || status >= 300) {
      const { text: message, code } = describeError(status, parsed);
      throw new NowPaymentsError(message, status, code);
    }
    return parsed;
  }
}
