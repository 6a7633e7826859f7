/**
 * Currency table: ISO 4217 fiat currencies plus a few crypto assets.
 * `exponent` is the number of decimal digits of the minor unit
 * (USD 2 → cents, JPY 0, BHD 3, USDT 6, BTC 8, ETH 18).
 */
export interface CurrencyInfo {
  code: string;
  exponent: number;
  name: string;
}

export class UnknownCurrencyError extends Error {
  readonly code = 'currency_not_supported' as const;
  readonly currency: string;
  constructor(currency: string) {
    super(`currency not supported: ${JSON.stringify(currency)}`);
    this.name = 'UnknownCurrencyError';
    this.currency = currency;
  }
}

const TABLE: ReadonlyArray<readonly [string, number, string]> = [
  // Major fiat
  ['USD', 2, 'US Dollar'],
  ['EUR', 2, 'Euro'],
  ['GBP', 2, 'Pound Sterling'],
  ['CNY', 2, 'Yuan Renminbi'],
  ['JPY', 0, 'Yen'],
  ['KRW', 0, 'Won'],
  ['HKD', 2, 'Hong Kong Dollar'],
  ['TWD', 2, 'New Taiwan Dollar'],
  ['SGD', 2, 'Singapore Dollar'],
  ['INR', 2, 'Indian Rupee'],
  ['BRL', 2, 'Brazilian Real'],
  ['CAD', 2, 'Canadian Dollar'],
  ['AUD', 2, 'Australian Dollar'],
  ['NZD', 2, 'New Zealand Dollar'],
  ['CHF', 2, 'Swiss Franc'],
  ['SEK', 2, 'Swedish Krona'],
  ['NOK', 2, 'Norwegian Krone'],
  ['DKK', 2, 'Danish Krone'],
  ['PLN', 2, 'Zloty'],
  ['CZK', 2, 'Czech Koruna'],
  ['HUF', 2, 'Forint'],
  ['ISK', 0, 'Iceland Krona'],
  ['RUB', 2, 'Russian Ruble'],
  ['UAH', 2, 'Hryvnia'],
  ['TRY', 2, 'Turkish Lira'],
  ['ILS', 2, 'New Israeli Sheqel'],
  ['MXN', 2, 'Mexican Peso'],
  ['ARS', 2, 'Argentine Peso'],
  ['CLP', 0, 'Chilean Peso'],
  ['COP', 2, 'Colombian Peso'],
  ['PEN', 2, 'Sol'],
  ['PYG', 0, 'Guarani'],
  // Asia
  ['IDR', 2, 'Rupiah'],
  ['VND', 0, 'Dong'],
  ['THB', 2, 'Baht'],
  ['PHP', 2, 'Philippine Peso'],
  ['MYR', 2, 'Malaysian Ringgit'],
  ['PKR', 2, 'Pakistan Rupee'],
  ['BDT', 2, 'Taka'],
  ['LKR', 2, 'Sri Lanka Rupee'],
  // Middle East / Africa
  ['AED', 2, 'UAE Dirham'],
  ['SAR', 2, 'Saudi Riyal'],
  ['QAR', 2, 'Qatari Rial'],
  ['BHD', 3, 'Bahraini Dinar'],
  ['KWD', 3, 'Kuwaiti Dinar'],
  ['JOD', 3, 'Jordanian Dinar'],
  ['OMR', 3, 'Rial Omani'],
  ['IQD', 3, 'Iraqi Dinar'],
  ['LYD', 3, 'Libyan Dinar'],
  ['TND', 3, 'Tunisian Dinar'],
  ['EGP', 2, 'Egyptian Pound'],
  ['ZAR', 2, 'Rand'],
  ['NGN', 2, 'Naira'],
  ['KES', 2, 'Kenyan Shilling'],
  ['UGX', 0, 'Uganda Shilling'],
  ['XAF', 0, 'CFA Franc BEAC'],
  ['XOF', 0, 'CFA Franc BCEAO'],
  // Crypto assets
  ['USDT', 6, 'Tether USD'],
  ['USDC', 6, 'USD Coin'],
  ['BTC', 8, 'Bitcoin'],
  ['ETH', 18, 'Ether'],
];

export const CURRENCIES: ReadonlyMap<string, CurrencyInfo> = new Map(
  TABLE.map(([code, exponent, name]) => [code, Object.freeze({ code, exponent, name })]),
);

/** True when `code` (exact, upper-case) is in the table. */
export function isKnownCurrency(code: string): boolean {
  return CURRENCIES.has(code);
}

/** Minor-unit exponent of `code`; throws UnknownCurrencyError for unknown codes. */
export function currencyExponent(code: string): number {
  const info = CURRENCIES.get(code);
  if (info === undefined) throw new UnknownCurrencyError(code);
  return info.exponent;
}
