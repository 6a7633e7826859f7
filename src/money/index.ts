export { CURRENCIES, UnknownCurrencyError, currencyExponent, isKnownCurrency } from './currency.js';
export type { CurrencyInfo } from './currency.js';
export {
  MoneyFormatError,
  applyBps,
  convert,
  convertInverse,
  formatDecimal,
  isSafeMinor,
  parseDecimal,
  parseMoneySetting,
} from './money.js';
export type { Money, Rounding } from './money.js';
