import { Text, type TextProps } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { formatAmount } from './money';

interface MoneyProps extends TextProps {
  amount: number;
  currency: string;
  /** show + for credits */
  signed?: boolean;
  /** render inline (a span) instead of a block */
  inline?: boolean;
}

/** The one money component: exact amount, the currency's decimals, tabular digits, the code after it. */
export function Money({ amount, currency, signed, inline = true, ...rest }: MoneyProps) {
  const { i18n } = useTranslation();
  const text = formatAmount(amount, currency, i18n.language, { signed });
  return (
    <Text
      component={inline ? 'span' : 'p'}
      inherit={inline && !rest.size}
      style={{ fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' }}
      {...rest}
    >
      {text}
      {'\u00a0'}
      <Text component="span" inherit c="dimmed" fz="0.85em">
        {currency}
      </Text>
    </Text>
  );
}
