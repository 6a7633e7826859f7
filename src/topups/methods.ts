import type { Kysely, Selectable } from 'kysely';
import type { Config } from '../config.js';
import type { Database, PaymentMethodsTable } from '../db/schema.js';
import type { Money } from '../money/index.js';

export type MethodName = 'card' | 'crypto' | 'bank_transfer' | 'balance';
export const METHOD_NAMES: readonly MethodName[] = ['card', 'crypto', 'bank_transfer', 'balance'];

/** A payment method as configured: who executes it, where it may be used, what it costs. */
export interface PaymentMethod {
  method: MethodName;
  provider: string;
  enabled: boolean;
  forWallet: boolean;
  forProducts: boolean;
  /** paying currencies; empty = the customer's own currency (the balance method) */
  currencies: string[];
  /** crypto networks the customer picks from (TRC20, ERC20, …) */
  networks: string[];
  feeBps: number;
  /** fixed part of the fee, converted into the paying currency (rounded up) */
  feeFixed: Money;
  minimum: Money | null;
  maximum: Money | null;
  processingTime: string;
  orderTtlSeconds: number;
  displayOrder: number;
}

/**
 * The product's defaults (docs/design.md §1): the wallet takes card, crypto and bank transfer; product
 * balances take card, bank transfer and wallet balance. Seeded once; later edits in the database
 * (staff settings) are kept across restarts.
 */
export function defaultMethods(config: Config): PaymentMethod[] {
  const fiat = [...new Set([config.platformCurrency, 'USD', 'CNY', 'EUR'])];
  const usd = (amountMinor: bigint): Money => ({ amountMinor, currency: 'USD' });
  return [
    {
      method: 'card',
      provider: 'sandbox',
      enabled: true,
      forWallet: true,
      forProducts: true,
      currencies: fiat,
      networks: [],
      feeBps: 290,
      feeFixed: usd(30n),
      minimum: null,
      maximum: usd(1_000_000n),
      processingTime: 'Instant',
      orderTtlSeconds: 1800,
      displayOrder: 1,
    },
    {
      method: 'crypto',
      provider: 'sandbox',
      enabled: true,
      forWallet: true,
      forProducts: false,
      currencies: ['USDT'],
      networks: ['TRC20', 'ERC20', 'BEP20'],
      feeBps: 0,
      feeFixed: usd(0n),
      minimum: null,
      maximum: null,
      processingTime: 'About 10 minutes after the network confirms the transfer',
      orderTtlSeconds: 3600,
      displayOrder: 2,
    },
    {
      method: 'bank_transfer',
      provider: 'manual',
      enabled: true,
      forWallet: true,
      forProducts: true,
      currencies: ['CNY', 'USD'],
      networks: [],
      feeBps: 0,
      feeFixed: usd(0n),
      minimum: null,
      maximum: null,
      processingTime: '1–2 business days after the transfer arrives',
      orderTtlSeconds: 3 * 24 * 3600,
      displayOrder: 3,
    },
    {
      method: 'balance',
      provider: 'internal',
      enabled: true,
      forWallet: false,
      forProducts: true,
      currencies: [],
      networks: [],
      feeBps: 0,
      feeFixed: usd(0n),
      minimum: null,
      maximum: null,
      processingTime: 'Instant',
      orderTtlSeconds: 600,
      displayOrder: 4,
    },
  ];
}

export async function seedMethods(db: Kysely<Database>, config: Config): Promise<void> {
  const rows = defaultMethods(config).map((m) => ({
    method: m.method,
    provider: m.provider,
    enabled: m.enabled,
    for_wallet: m.forWallet,
    for_products: m.forProducts,
    currencies: m.currencies,
    networks: m.networks,
    fee_bps: m.feeBps,
    fee_fixed_minor: m.feeFixed.amountMinor,
    fee_fixed_currency: m.feeFixed.currency,
    minimum_minor: m.minimum?.amountMinor ?? null,
    maximum_minor: m.maximum?.amountMinor ?? null,
    limits_currency: m.minimum?.currency ?? m.maximum?.currency ?? 'USD',
    processing_time: m.processingTime,
    order_ttl_seconds: m.orderTtlSeconds,
    display_order: m.displayOrder,
  }));
  await db
    .insertInto('payment_methods')
    .values(rows)
    .onConflict((oc) => oc.column('method').doNothing())
    .execute();
}

function fromRow(r: Selectable<PaymentMethodsTable>): PaymentMethod {
  return {
    method: r.method as MethodName,
    provider: r.provider,
    enabled: r.enabled,
    forWallet: r.for_wallet,
    forProducts: r.for_products,
    currencies: r.currencies,
    networks: r.networks,
    feeBps: r.fee_bps,
    feeFixed: { amountMinor: r.fee_fixed_minor, currency: r.fee_fixed_currency },
    minimum: r.minimum_minor === null ? null : { amountMinor: r.minimum_minor, currency: r.limits_currency },
    maximum: r.maximum_minor === null ? null : { amountMinor: r.maximum_minor, currency: r.limits_currency },
    processingTime: r.processing_time,
    orderTtlSeconds: r.order_ttl_seconds,
    displayOrder: r.display_order,
  };
}

export async function listMethods(db: Kysely<Database>): Promise<PaymentMethod[]> {
  const rows = await db.selectFrom('payment_methods').selectAll().orderBy('display_order').orderBy('method').execute();
  return rows.map(fromRow);
}

export async function getMethod(db: Kysely<Database>, method: string): Promise<PaymentMethod | null> {
  const row = await db.selectFrom('payment_methods').selectAll().where('method', '=', method).executeTakeFirst();
  return row ? fromRow(row) : null;
}

/** Whether a method may top up this balance at all (before currencies are considered). */
export const servesBalance = (m: PaymentMethod, balance: string): boolean =>
  balance === 'wallet' ? m.forWallet : m.forProducts;

/** The paying currencies a method accepts for a customer whose balances are in `customerCurrency`. */
export const payingCurrencies = (m: PaymentMethod, customerCurrency: string): string[] =>
  m.currencies.length === 0 ? [customerCurrency] : m.currencies;
