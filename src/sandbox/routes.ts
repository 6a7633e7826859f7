import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Db } from '../db/pool.js';
import { MoneyFormatError, parseDecimal } from '../money/index.js';
import { checkoutPage, checkoutPath, cryptoPage, cryptoPath, errorPage, notFoundPage } from './pages.js';
import {
  SandboxActionError,
  SandboxInputError,
  SandboxNotFoundError,
  confirmCrypto,
  declineCard,
  depositCrypto,
  getSandboxPayment,
  payCard,
  type SandboxMethod,
  type SandboxOrderInfo,
  type SandboxPayment,
} from './payer.js';

export interface SandboxRouteDeps {
  db: Db;
  /** Starts a webhook delivery round now, so Coffer hears of the action without waiting for the poll. */
  kick: () => void;
}

type IdRoute = { Params: { id: string } };
type Render = (p: SandboxPayment, order: SandboxOrderInfo | null) => string;

// The simulator's pages are not part of the platform API: keep them out of the OpenAPI document.
const HIDDEN = { schema: { hide: true } } as const;

function html(reply: FastifyReply, status: number, body: string): FastifyReply {
  // The pages show live state; a cached copy would show a payment as still payable.
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(body);
}

/** Known failures become HTML pages (the payer is a browser); anything else goes to the error handler. */
function fail(reply: FastifyReply, err: unknown, back: string): FastifyReply {
  if (err instanceof SandboxNotFoundError) return html(reply, 404, notFoundPage());
  if (err instanceof SandboxActionError) return html(reply, 409, errorPage(err.message, back));
  if (err instanceof SandboxInputError || err instanceof MoneyFormatError)
    return html(reply, 400, errorPage(err.message, back));
  throw err;
}

/** A string field of a form or JSON body. */
function field(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** Where a card payer goes after acting: back to the merchant if it gave a usable URL, else the outcome page. */
// Back to the outcome page, which links to the merchant: browsers apply the page's CSP
// form-action 'self' to redirects after a form post, so a redirect off-site would be blocked.
function cardLocation(p: SandboxPayment): string {
  return checkoutPath(p.id);
}

/** A payment of the page's method, or null: a card id on the crypto page is simply not found. */
async function findPayment(db: Db, id: string, method: SandboxMethod) {
  const found = await getSandboxPayment(db, id);
  return found && found.payment.method === method ? found : null;
}

/** The deposit form's amount in minor units of the payment's currency. */
async function depositAmount(db: Db, id: string, body: unknown): Promise<bigint> {
  const found = await findPayment(db, id, 'crypto');
  if (!found) throw new SandboxNotFoundError(id);
  const text = field(body, 'amount')?.trim();
  if (!text) throw new SandboxInputError('Enter the amount deposited, such as 10.50.');
  return parseDecimal(text, found.payment.currency);
}

export async function sandboxRoutes(app: FastifyInstance, deps: SandboxRouteDeps): Promise<void> {
  // A scope of its own, so the form parser exists only for these routes and not for the API.
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    const page = (url: string, method: SandboxMethod, render: Render) =>
      scope.get<IdRoute>(url, HIDDEN, async (request, reply) => {
        const found = await findPayment(deps.db, request.params.id, method);
        return found ? html(reply, 200, render(found.payment, found.order)) : html(reply, 404, notFoundPage());
      });
    page('/sandbox/checkout/:id', 'card', checkoutPage);
    page('/sandbox/crypto/:id', 'crypto', cryptoPage);

    /** Runs a payer action, wakes the webhook delivery and sends the browser on (POST → 303 → GET). */
    const action = (url: string, back: (id: string) => string, run: (id: string, body: unknown) => Promise<string>) =>
      scope.post<IdRoute>(url, HIDDEN, async (request, reply) => {
        const { id } = request.params;
        try {
          const location = await run(id, request.body);
          deps.kick();
          return reply.code(303).header('location', location).send();
        } catch (err) {
          return fail(reply, err, back(id));
        }
      });

    action('/sandbox/checkout/:id/pay', checkoutPath, async (id) => cardLocation(await payCard(deps.db, id)));
    action('/sandbox/checkout/:id/decline', checkoutPath, async (id) => cardLocation(await declineCard(deps.db, id)));
    action('/sandbox/crypto/:id/deposit', cryptoPath, async (id, body) => {
      const amount = await depositAmount(deps.db, id, body);
      await depositCrypto(deps.db, id, amount, field(body, 'network') ?? '');
      return cryptoPath(id);
    });
    action('/sandbox/crypto/:id/confirm', cryptoPath, async (id) => {
      await confirmCrypto(deps.db, id);
      return cryptoPath(id);
    });
  });
}
