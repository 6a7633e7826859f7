import { formatDecimal } from '../money/index.js';
import { SANDBOX_NETWORKS, type SandboxOrderInfo, type SandboxPayment } from './payer.js';

/**
 * The sandbox's hosted pages, as complete HTML documents. The CSP allows inline styles but no
 * scripts, so everything works with plain forms; every dynamic value goes through escapeHtml.
 * They look like a hosted checkout so demos feel real, and carry a striped TEST MODE banner so
 * they are never mistaken for one.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** The return URL only if it is http(s): a `javascript:` or other scheme is never linked or followed. */
export function safeReturnUrl(url: string | null): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

export const checkoutPath = (id: string): string => `/sandbox/checkout/${encodeURIComponent(id)}`;
export const cryptoPath = (id: string): string => `/sandbox/crypto/${encodeURIComponent(id)}`;

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f1f3f5;color:#212529}
.banner{background:repeating-linear-gradient(45deg,#ffd43b 0 14px,#fab005 14px 28px);color:#212529;font-weight:700;text-align:center;padding:10px 16px;letter-spacing:.02em;border-bottom:2px solid #e67700}
main{max-width:440px;margin:40px auto;padding:0 16px}
.card{background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.08),0 8px 24px rgba(0,0,0,.06);padding:28px}
.merchant{color:#868e96;font-size:14px;margin:0 0 4px}
h1{font-size:32px;margin:0 0 16px;font-variant-numeric:tabular-nums}
dl{display:grid;grid-template-columns:auto 1fr;gap:6px 16px;margin:0 0 20px;font-size:14px}
dt{color:#868e96}dd{margin:0;word-break:break-all}
.badge{display:inline-block;border-radius:999px;padding:1px 10px;font-size:12px;font-weight:600;text-transform:uppercase;color:#fff;background:#868e96}
.b-processing{background:#228be6}.b-succeeded{background:#2f9e44}.b-failed{background:#e03131}.b-expired{background:#f76707}.b-cancelled{background:#343a40}
form{margin:0 0 12px}
label{display:block;font-size:14px;color:#495057;margin:0 0 4px}
input,select{width:100%;font:inherit;padding:10px 12px;border:1px solid #ced4da;border-radius:8px;margin:0 0 14px;background:#fff}
button{width:100%;font:inherit;font-weight:600;padding:12px;border:0;border-radius:8px;cursor:pointer;background:#4c6ef5;color:#fff}
button.secondary{background:#fff;color:#e03131;border:1px solid #e03131}
.testcard{border:1px dashed #ced4da;border-radius:8px;padding:10px 12px;margin:0 0 16px;color:#495057;font-size:14px}
.network{font-size:20px;font-weight:700;color:#c92a2a}
.warn{background:#fff4e6;border:1px solid #ffc078;border-radius:8px;padding:10px 12px;font-size:14px;margin:0 0 16px}
.outcome{font-size:20px;font-weight:700;margin:0 0 12px}
.ok{color:#2f9e44}.bad{color:#e03131}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px;background:#f1f3f5;padding:2px 4px;border-radius:4px}
.note{color:#868e96;font-size:13px;margin:16px 0 0}
a{color:#4c6ef5}
`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} · TEST MODE</title>
<style>${STYLE}</style>
</head>
<body>
<div class="banner" role="note">TEST MODE — Coffer sandbox. No real money moves.</div>
<main><div class="card">
${body}
</div></main>
</body>
</html>
`;
}

const badge = (status: string): string =>
  `<span class="badge b-${escapeHtml(status)}">${escapeHtml(status.replace('_', ' '))}</span>`;
const money = (amount: bigint, currency: string): string =>
  `${escapeHtml(formatDecimal(amount, currency))} ${escapeHtml(currency)}`;

/** Amount, order id and statuses: the head of every payment page. */
function summary(p: SandboxPayment, order: SandboxOrderInfo | null, merchant: string): string {
  const orderRows = order
    ? `<dt>Order status</dt><dd>${badge(order.status)}</dd><dt>Expires</dt><dd>${escapeHtml(order.expires_at.toISOString())}</dd>`
    : '';
  return `<p class="merchant">${escapeHtml(merchant)}</p>
<h1>${money(p.amount, p.currency)}</h1>
<dl>
<dt>Order</dt><dd><code>${escapeHtml(p.order_id)}</code></dd>
<dt>Payment</dt><dd><code>${escapeHtml(p.id)}</code></dd>
<dt>Status</dt><dd>${badge(p.status)}</dd>
${orderRows}
</dl>`;
}

function postButton(action: string, label: string, cls = ''): string {
  return `<form method="post" action="${escapeHtml(action)}"><button type="submit"${cls ? ` class="${cls}"` : ''}>${escapeHtml(label)}</button></form>`;
}

function returnLink(p: SandboxPayment): string {
  const url = safeReturnUrl(p.return_url);
  // Without a return address the customer goes back to the order's page in the portal, as from Stripe.
  return url
    ? `<p><a href="${escapeHtml(url)}">Return to the merchant</a></p>`
    : `<p><a href="/orders/${encodeURIComponent(p.order_id)}">Back to your order</a></p>`;
}

const WEBHOOK_NOTE =
  '<p class="note">The sandbox tells Coffer about each step with a signed webhook, delivered in the background: the order updates a moment later.</p>';

export function checkoutPage(p: SandboxPayment, order: SandboxOrderInfo | null): string {
  const path = checkoutPath(p.id);
  const action =
    p.status === 'requires_payment'
      ? `<div class="testcard">Test card •••• 4242 · any expiry · any CVC</div>
${postButton(`${path}/pay`, 'Pay')}
${postButton(`${path}/decline`, 'Decline', 'secondary')}`
      : `${cardOutcome(p)}
${returnLink(p)}`;
  return layout(
    'Checkout',
    `${summary(p, order, 'Pay by card')}
${action}
${WEBHOOK_NOTE}`,
  );
}

function cardOutcome(p: SandboxPayment): string {
  if (p.status === 'succeeded') return '<p class="outcome ok">Payment succeeded</p>';
  if (p.status === 'failed') return '<p class="outcome bad">Payment declined</p>';
  return '<p class="outcome">Payment processing</p>';
}

/** The network the order expects (the provider defaults a missing one to TRC20). */
const expectedNetwork = (p: SandboxPayment): string => p.network ?? 'TRC20';

function depositDetails(p: SandboxPayment): string {
  return `<dl>
<dt>Asset</dt><dd>${escapeHtml(p.currency)}</dd>
<dt>Network</dt><dd class="network">${escapeHtml(expectedNetwork(p))}</dd>
<dt>Address</dt><dd><code>${escapeHtml(p.address ?? '—')}</code></dd>
<dt>Send exactly</dt><dd>${money(p.amount, p.currency)}</dd>
</dl>
<div class="warn">Send only on the <strong>${escapeHtml(expectedNetwork(p))}</strong> network. A deposit on any other network is lost.</div>`;
}

function depositForm(p: SandboxPayment): string {
  const expected = expectedNetwork(p);
  const options = SANDBOX_NETWORKS.map(
    (n) => `<option value="${escapeHtml(n)}"${n === expected ? ' selected' : ''}>${escapeHtml(n)}</option>`,
  ).join('');
  return `<form method="post" action="${escapeHtml(`${cryptoPath(p.id)}/deposit`)}">
<label for="amount">Amount (${escapeHtml(p.currency)})</label>
<input id="amount" name="amount" type="text" inputmode="decimal" autocomplete="off" required value="${escapeHtml(formatDecimal(p.amount, p.currency))}">
<label for="network">Network</label>
<select id="network" name="network">${options}</select>
<button type="submit">Simulate deposit</button>
</form>`;
}

function received(p: SandboxPayment): string {
  if (p.received_amount === null) return '';
  const network = p.received_network ?? expectedNetwork(p);
  const wrong =
    network !== expectedNetwork(p) ? ` <span class="bad">(not ${escapeHtml(expectedNetwork(p))})</span>` : '';
  return `<dl><dt>Received</dt><dd>${money(p.received_amount, p.currency)}</dd><dt>On network</dt><dd>${escapeHtml(network)}${wrong}</dd></dl>`;
}

function cryptoAction(p: SandboxPayment): string {
  switch (p.status) {
    case 'requires_payment':
      return depositForm(p);
    case 'processing':
      return `<p class="outcome">Deposit seen, waiting for confirmations</p>
${received(p)}
${postButton(`${cryptoPath(p.id)}/confirm`, 'Add confirmations')}`;
    case 'succeeded':
      return `<p class="outcome ok">Deposit confirmed</p>
${received(p)}`;
    default:
      return '<p class="outcome bad">Payment failed</p>';
  }
}

export function cryptoPage(p: SandboxPayment, order: SandboxOrderInfo | null): string {
  return layout(
    'Crypto deposit',
    `${summary(p, order, 'Pay with crypto')}
${depositDetails(p)}
${cryptoAction(p)}
${WEBHOOK_NOTE}`,
  );
}

export function notFoundPage(): string {
  return layout(
    'Not found',
    `<p class="outcome">Payment not found</p>
<p>There is no sandbox payment at this address. Check the link, or start a new top-up.</p>`,
  );
}

/** An action could not be done; `back` (a sandbox page path) offers a way back to the payment. */
export function errorPage(message: string, back?: string): string {
  const link = back ? `<p><a href="${escapeHtml(back)}">Back to the payment</a></p>` : '';
  return layout(
    'Error',
    `<p class="outcome bad">Something is not right</p>
<p>${escapeHtml(message)}</p>
${link}`,
  );
}
