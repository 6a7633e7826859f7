import type { TFunction } from 'i18next';
import type { PaymentMethodInfo } from '../api/types';
import { formatMoney } from './money';

/** "2.9% + 0.30 USD", "2.9%", "0.30 USD" or "No fee", from the catalogue's fee. */
export function formatFee(t: TFunction, fee: PaymentMethodInfo['fee'], locale: string): string {
  const percent =
    fee.percent_bps > 0
      ? new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 2 }).format(fee.percent_bps / 10_000)
      : null;
  const fixed = fee.fixed.amount > 0 ? formatMoney(fee.fixed.amount, fee.fixed.currency, locale) : null;
  if (percent && fixed) return `${percent} + ${fixed}`;
  return percent ?? fixed ?? t('topup:fee.none');
}

// The catalogue's processing times are configured in English; the default ones have a translation.
const KNOWN_TIMES: Record<string, string> = {
  Instant: 'instant',
  'About 10 minutes after the network confirms the transfer': 'cryptoConfirm',
  '1–2 business days after the transfer arrives': 'bankDays',
};

export function processingTimeText(t: TFunction, text: string): string {
  const key = KNOWN_TIMES[text];
  return key ? t(`topup:processing.${key}`) : text;
}

/** Crypto networks by their usual names, so "TRC20" also says which chain it is. */
export const NETWORK_CHAINS: Record<string, string> = {
  TRC20: 'Tron',
  ERC20: 'Ethereum',
  BEP20: 'BNB Smart Chain',
  SOL: 'Solana',
  POLYGON: 'Polygon',
  ARBITRUM: 'Arbitrum One',
};
