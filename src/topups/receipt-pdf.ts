import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import type { Config } from '../config.js';
import type { Db } from '../db/pool.js';
import { formatDecimal } from '../money/index.js';

/*
 * The PDF twin of the e-mail receipt (src/mail/index.ts): the same facts, laid out on one A4 page.
 * Every piece of text is set in Noto Sans SC, which carries Latin and CJK glyphs alike, so a
 * customer called 张伟 or a product called 短信 prints as written and a mixed line needs no font
 * switching. The font ships in an npm package (no system font is assumed); pdfkit embeds only the
 * glyphs a receipt uses, so the file stays small.
 */

const require = createRequire(import.meta.url);
const FONT_FILES = {
  regular: '@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf',
  bold: '@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf',
} as const;

let fonts: Promise<{ regular: Buffer; bold: Buffer }> | null = null;

/** The two faces, read once per process (about 10 MB each). */
function loadFonts(): Promise<{ regular: Buffer; bold: Buffer }> {
  fonts ??= Promise.all([
    readFile(require.resolve(FONT_FILES.regular)),
    readFile(require.resolve(FONT_FILES.bold)),
  ]).then(
    ([regular, bold]) => ({ regular, bold }),
    (err: unknown) => {
      fonts = null; // a later call may try again
      throw err;
    },
  );
  return fonts;
}

const METHOD_LABELS: Record<string, string> = {
  card: 'Card',
  crypto: 'Cryptocurrency',
  bank_transfer: 'Bank transfer',
  balance: 'Wallet balance',
};

interface Amount {
  amount: bigint;
  currency: string;
}

interface ReceiptFacts {
  id: string;
  operator: string;
  address: string;
  paidAt: Date;
  customer: { name: string | null; email: string };
  balance: string;
  method: string;
  network: string | null;
  providerReference: string | null;
  amount: Amount;
  fee: Amount;
  pay: Amount;
  received: Amount | null;
  fx: { base: string; quote: string; rate: string } | null;
  credited: Amount;
  refunded: Amount | null;
  paidLate: boolean;
}

/**
 * The receipt of a succeeded top-up as a PDF, for its customer only: null when the order does not
 * exist, is another customer's, or has not succeeded.
 */
export async function receiptPdf(db: Db, config: Config, customerId: string, orderId: string): Promise<Buffer | null> {
  const o = await db
    .selectFrom('orders')
    .innerJoin('customers', 'customers.id', 'orders.customer_id')
    .leftJoin('products', 'products.code', 'orders.balance')
    .select([
      'orders.id',
      'orders.status',
      'orders.balance',
      'orders.method',
      'orders.network',
      'orders.provider_payment_id',
      'orders.amount',
      'orders.fee_amount',
      'orders.pay_amount',
      'orders.pay_currency',
      'orders.received_amount',
      'orders.fx_base',
      'orders.fx_quote',
      'orders.fx_rate',
      'orders.credited_amount',
      'orders.credit_currency',
      'orders.refunded_amount',
      'orders.paid_late',
      'orders.succeeded_at',
      'customers.name as customer_name',
      'customers.email as customer_email',
      'products.name as product_name',
    ])
    .where('orders.id', '=', orderId)
    .where('orders.customer_id', '=', customerId)
    .executeTakeFirst();
  if (!o || o.status !== 'succeeded' || o.credited_amount === null || o.succeeded_at === null) return null;

  const pay = (amount: bigint): Amount => ({ amount, currency: o.pay_currency });
  const credit = (amount: bigint): Amount => ({ amount, currency: o.credit_currency });
  const address = new URL(config.publicUrl).host;
  const operator = config.operatorName.trim() || address;
  return render(
    {
      id: o.id,
      operator,
      address,
      paidAt: o.succeeded_at,
      customer: { name: o.customer_name, email: o.customer_email },
      balance: o.balance === 'wallet' ? 'Wallet' : (o.product_name ?? o.balance),
      method: METHOD_LABELS[o.method] ?? o.method,
      network: o.network,
      providerReference: o.provider_payment_id,
      // the fee is charged on top of the top-up in the paying currency: pay = amount + fee
      amount: pay(o.pay_amount - o.fee_amount),
      fee: pay(o.fee_amount),
      pay: pay(o.pay_amount),
      received: o.received_amount !== null && o.received_amount !== o.pay_amount ? pay(o.received_amount) : null,
      fx:
        o.fx_rate !== null && o.fx_base !== null && o.fx_quote !== null
          ? { base: o.fx_base, quote: o.fx_quote, rate: o.fx_rate }
          : null,
      credited: credit(o.credited_amount),
      refunded: o.refunded_amount > 0n ? credit(o.refunded_amount) : null,
      paidLate: o.paid_late,
    },
    await loadFonts(),
  );
}

// --- layout ------------------------------------------------------------------------------------

const PAGE = { width: 595.28, height: 841.89 }; // A4 in points
const MARGIN = 56;
const RIGHT = PAGE.width - MARGIN;
const WIDTH = RIGHT - MARGIN;
const INK = '#1f2328';
const MUTED = '#6a737d';
const RULE = '#d0d7de';
const SHADE = '#f6f8fa';

const utc = (d: Date): string => `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
const decimal = (m: Amount): string => formatDecimal(m.amount, m.currency);

/** A label in English with its Chinese, the latter muted. */
type Label = readonly [en: string, zh: string];

function render(r: ReceiptFacts, font: { regular: Buffer; bold: Buffer }): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, bottom: 28, left: MARGIN, right: MARGIN },
    info: {
      Title: `Receipt ${r.id}`,
      Author: r.operator,
      Subject: 'Prepaid balance top-up receipt',
      Creator: 'Coffer',
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('text', font.regular);
  doc.registerFont('bold', font.bold);

  type Style = PDFKit.Mixins.TextOptions & { face?: 'text' | 'bold'; size?: number; color?: string };
  /** Writes `s` at (x, y); returns the y below it. Without a width the text is one line. */
  const text = (s: string, x: number, y: number, o: Style = {}): number => {
    const { face = 'text', size = 10, color = INK, ...opts } = o;
    doc
      .font(face)
      .fontSize(size)
      .fillColor(color)
      .text(s, x, y, { lineBreak: opts.width !== undefined, ...opts });
    return doc.y;
  };
  /** An English label followed by its Chinese in the muted colour, on one line. */
  const label = (
    [en, zh]: Label,
    x: number,
    y: number,
    o: { face?: 'text' | 'bold'; size?: number; color?: string; caps?: boolean } = {},
  ) => {
    const { face = 'text', size = 10, color = INK, caps = false } = o;
    const spacing = caps ? 0.6 : 0;
    doc
      .font(face)
      .fontSize(size)
      .fillColor(color)
      .text(caps ? en.toUpperCase() : en, x, y, { lineBreak: false, characterSpacing: spacing, continued: true });
    doc.fillColor(MUTED).text(`  ${zh}`, { lineBreak: false, characterSpacing: 0 });
  };
  const rule = (y: number, color = RULE, weight = 0.75) => {
    doc.moveTo(MARGIN, y).lineTo(RIGHT, y).lineWidth(weight).strokeColor(color).stroke();
  };

  // Header: the title on the left, who issues it on the right.
  text('Receipt', MARGIN, MARGIN - 6, { face: 'bold', size: 24 });
  text('收据', MARGIN, MARGIN + 26, { size: 10, color: MUTED });
  text(r.operator, MARGIN + WIDTH / 2, MARGIN, { face: 'bold', size: 12, width: WIDTH / 2, align: 'right' });
  text(r.address, MARGIN + WIDTH / 2, doc.y + 1, { size: 9, color: MUTED, width: WIDTH / 2, align: 'right' });
  let y = Math.max(doc.y, MARGIN + 44) + 16;
  rule(y, INK, 1);
  y += 18;

  // The summary a reader looks for first: how much, and what it bought.
  label(['Amount paid', '实付金额'], MARGIN, y, { size: 7.5, color: MUTED, caps: true });
  text(`${decimal(r.pay)} ${r.pay.currency}`, MARGIN, y + 11, { face: 'bold', size: 20 });
  text(`Paid ${utc(r.paidAt)}`, MARGIN + WIDTH / 2, y + 12, {
    size: 9,
    color: MUTED,
    width: WIDTH / 2,
    align: 'right',
  });
  const below = text(
    `${decimal(r.credited)} ${r.credited.currency} credited to ${r.balance}`,
    MARGIN + WIDTH / 2,
    doc.y + 1,
    { size: 9, color: MUTED, width: WIDTH / 2, align: 'right' },
  );
  y = Math.max(y + 50, below + 8);
  rule(y);
  y += 16;

  // The facts, two columns of label-over-value fields.
  const col = (WIDTH - 24) / 2;
  const field = (name: Label, values: string[], x: number, top: number): number => {
    label(name, x, top, { size: 7.5, color: MUTED, caps: true });
    let at = top + 13;
    for (const v of values) at = text(v, x, at, { size: 10, width: col }) + 1;
    return at;
  };
  type Field = [Label, string[]];
  const grid: Array<[Field, Field | null]> = [
    [
      [['Receipt number', '收据编号'], [r.id]],
      [['Date paid', '支付时间'], [utc(r.paidAt)]],
    ],
    [
      [['Billed to', '客户'], r.customer.name ? [r.customer.name, r.customer.email] : [r.customer.email]],
      [['Balance topped up', '充值余额'], [r.balance]],
    ],
    [
      [['Payment method', '支付方式'], [r.network ? `${r.method}, ${r.network} network` : r.method]],
      r.providerReference ? [['Provider reference', '交易参考号'], [r.providerReference]] : null,
    ],
  ];
  for (const [left, right] of grid) {
    const a = field(left[0], left[1], MARGIN, y);
    const b = right ? field(right[0], right[1], MARGIN + col + 24, y) : y;
    y = Math.max(a, b) + 12;
  }

  // Amounts: numbers right-aligned in one column, currency codes left-aligned in the next, so
  // the decimals of one currency line up and the codes stand in a column of their own.
  y += 8;
  const PAD = 10;
  const codeW = doc.font('bold').fontSize(10).widthOfString('USDT');
  const codeX = RIGHT - PAD - codeW;
  const numW = 190;
  const numX = codeX - 3 - numW;
  const line = (
    name: Label,
    value: string,
    code: string,
    o: { bold?: boolean; muted?: boolean; shade?: boolean } = {},
  ) => {
    const h = 24;
    if (o.shade) doc.rect(MARGIN, y, WIDTH, h).fill(SHADE);
    const face = o.bold ? 'bold' : 'text';
    const color = o.muted ? MUTED : INK;
    const ty = y + 6;
    // a long product name gives up the Chinese first, then is cut short, before it reaches the number
    doc.font(face).fontSize(10);
    const room = numX + numW - doc.widthOfString(value) - 16 - (MARGIN + PAD);
    if (doc.widthOfString(`${name[0]}  ${name[1]}`) <= room) label(name, MARGIN + PAD, ty, { face, color });
    else text(name[0], MARGIN + PAD, ty, { face, color, width: room, height: 14, ellipsis: true });
    text(value, numX, ty, { face, color, width: numW, align: 'right' });
    text(code, codeX, ty, { face, color });
    y += h;
  };
  label(['Description', '项目'], MARGIN + PAD, y, { size: 7.5, color: MUTED, caps: true });
  doc.font('text').fontSize(7.5);
  const head = `AMOUNT  金额`;
  text(head, RIGHT - PAD - doc.widthOfString(head) - 1, y, { size: 7.5, color: MUTED, characterSpacing: 0.6 });
  y += 16;
  rule(y);
  line(['Top-up amount', '充值金额'], decimal(r.amount), r.amount.currency);
  line(['Fee', '手续费'], decimal(r.fee), r.fee.currency);
  rule(y);
  line(['Total paid', '实付金额'], decimal(r.pay), r.pay.currency, { bold: true });
  if (r.received) line(['Amount received', '实收金额'], decimal(r.received), r.received.currency);
  if (r.fx) line(['Exchange rate', '汇率'], `1 ${r.fx.base} = ${r.fx.rate}`, r.fx.quote, { muted: true });
  line([`Credited to ${r.balance}`, '入账金额'], decimal(r.credited), r.credited.currency, { bold: true, shade: true });
  if (r.refunded) line(['Refunded', '已退款'], `−${decimal(r.refunded)}`, r.refunded.currency);
  rule(y);
  y += 20;

  // Notes.
  const note = (en: string, zh: string, bar: string) => {
    const w = WIDTH - 24;
    doc.font('text').fontSize(9);
    const h = doc.heightOfString(en, { width: w }) + doc.heightOfString(zh, { width: w }) + 2 + 16;
    doc.rect(MARGIN, y, 3, h).fill(bar);
    const at = text(en, MARGIN + 14, y + 8, { size: 9, width: w });
    text(zh, MARGIN + 14, at + 2, { size: 9, color: MUTED, width: w });
    y += h + 10;
  };
  if (r.paidLate) {
    note(
      'Paid late: this payment arrived after the order had closed; it was credited all the same.',
      '逾期付款：款项在订单关闭后到账，已照常入账。',
      '#bf8700',
    );
  }
  if (r.refunded) {
    const refunded = `${decimal(r.refunded)} ${r.refunded.currency}`;
    note(
      `Refunded: ${refunded} of this top-up has been refunded and taken back from the balance.`,
      `已退款：本次充值中的 ${refunded} 已退还，并从余额中扣回。`,
      MUTED,
    );
  }

  // Footer, pinned to the bottom of the page.
  const footY = PAGE.height - MARGIN - 10;
  rule(footY - 10);
  text('This receipt confirms a prepaid balance top-up. It is not a tax invoice.', MARGIN, footY, {
    size: 8.5,
    color: MUTED,
    width: WIDTH,
  });
  text('本收据确认预付余额充值，并非税务发票。', MARGIN, doc.y + 1, { size: 8.5, color: MUTED, width: WIDTH });
  text(`${r.operator} · ${r.address}`, MARGIN + WIDTH / 2, footY, {
    size: 8.5,
    color: MUTED,
    width: WIDTH / 2,
    align: 'right',
  });

  doc.end();
  return done;
}
