import { Chip, Group, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { MoneyValue } from '../../api/types';
import { exponentOf, formatMoney, parseAmount } from '../../components/money';

const PRESETS = [10, 20, 50, 100, 200, 500];

interface Props {
  amountText: string;
  onAmountText: (v: string) => void;
  currency: string;
  currencies: string[];
  onCurrency: (c: string) => void;
  /** the chosen method's minimum, stated by the server in `currency` */
  minimum: MoneyValue | null;
  belowMinimum: boolean;
}

/** How much: preset chips in the chosen currency, a free amount, the currency, and the minimum before it is hit. */
export function AmountBlock({
  amountText,
  onAmountText,
  currency,
  currencies,
  onCurrency,
  minimum,
  belowMinimum,
}: Props) {
  const { t, i18n } = useTranslation('topup');
  const amount = parseAmount(amountText, currency);
  const scale = 10 ** exponentOf(currency);
  const invalid = amountText.trim() !== '' && amount === null;
  const minimumText =
    minimum && minimum.currency === currency ? formatMoney(minimum.amount, minimum.currency, i18n.language) : null;
  return (
    <Stack gap="sm" component="section" aria-labelledby="amount-title">
      <Text id="amount-title" component="h2" fw={650} fz="lg" m={0}>
        {t('amount.title')}
      </Text>
      <Chip.Group
        multiple={false}
        value={amount !== null && PRESETS.some((p) => p * scale === amount) ? String(amount / scale) : ''}
        onChange={(v) => onAmountText(v)}
      >
        <SimpleGrid cols={{ base: 3, xs: 6 }} spacing="xs" role="group" aria-label={t('amount.presets', { currency })}>
          {PRESETS.map((p) => (
            <Chip
              key={p}
              value={String(p)}
              variant="outline"
              size="md"
              radius="md"
              aria-label={`${p} ${currency}`}
              styles={{ label: { width: '100%', justifyContent: 'center' } }}
            >
              {p}
            </Chip>
          ))}
        </SimpleGrid>
      </Chip.Group>
      <Group gap="sm" align="flex-start" wrap="nowrap">
        <TextInput
          flex={1}
          label={t('amount.label')}
          inputMode="decimal"
          autoComplete="off"
          size="md"
          value={amountText}
          onChange={(e) => onAmountText(e.currentTarget.value)}
          description={minimumText ? t('amount.minimum', { minimum: minimumText }) : undefined}
          error={
            invalid
              ? t('amount.invalid', { example: currency === 'USDT' ? '25.5' : '25.00' })
              : belowMinimum && minimumText
                ? t('common:errors.amount_below_minimum', { minimum: minimumText })
                : undefined
          }
          inputWrapperOrder={['label', 'input', 'description', 'error']}
          styles={{
            input: { fontVariantNumeric: 'tabular-nums', fontSize: 'var(--mantine-font-size-lg)', fontWeight: 600 },
          }}
        />
        <Select
          w={112}
          label={t('amount.currency')}
          size="md"
          data={currencies}
          value={currency}
          onChange={(c) => c && onCurrency(c)}
          allowDeselect={false}
          checkIconPosition="right"
          comboboxProps={{ withinPortal: true }}
        />
      </Group>
    </Stack>
  );
}
