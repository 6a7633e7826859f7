import { Button, Grid, Group, NativeSelect, TextInput } from '@mantine/core';
import { IconX } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { METHODS, ORDER_STATUSES, type HistoryFilters as Filters } from '../../api/history';
import type { Balance } from '../../api/types';

interface Props {
  filters: Filters;
  balances: Balance[] | undefined;
  hasFilters: boolean;
  onChange: (key: keyof Filters, value: string | null) => void;
  onClear: () => void;
}

/** Date range, status, method and balance; every change is applied at once (and lands in the URL). */
export function HistoryFilters({ filters, balances, hasFilters, onChange, onClear }: Props) {
  const { t } = useTranslation('orders');
  const rangeBackwards = !!filters.from && !!filters.to && filters.to < filters.from;
  const balanceOptions = [
    { value: '', label: t('filters.allBalances') },
    ...(balances ?? []).map((b) => ({
      value: b.balance,
      label: b.balance === 'wallet' ? t('common:balance.wallet') : b.name || b.balance,
    })),
  ];
  // A balance named in a shared link that this customer does not have still shows as chosen.
  if (filters.balance && !balanceOptions.some((o) => o.value === filters.balance))
    balanceOptions.push({ value: filters.balance, label: filters.balance });

  return (
    <form role="search" aria-label={t('filters.label')} onSubmit={(e) => e.preventDefault()}>
      <Grid columns={10} gap="sm">
        <Grid.Col span={{ base: 5, md: 2 }}>
          <TextInput
            type="date"
            label={t('filters.from')}
            value={filters.from ?? ''}
            max={filters.to}
            onChange={(e) => onChange('from', e.currentTarget.value || null)}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 5, md: 2 }}>
          <TextInput
            type="date"
            label={t('filters.to')}
            value={filters.to ?? ''}
            min={filters.from}
            error={rangeBackwards ? t('filters.rangeBackwards') : undefined}
            onChange={(e) => onChange('to', e.currentTarget.value || null)}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 5, md: 2 }}>
          <NativeSelect
            label={t('filters.status')}
            value={filters.status ?? ''}
            onChange={(e) => onChange('status', e.currentTarget.value || null)}
            data={[
              { value: '', label: t('filters.allStatuses') },
              ...ORDER_STATUSES.map((s) => ({ value: s, label: t(`common:status.${s}`) })),
            ]}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 5, md: 2 }}>
          <NativeSelect
            label={t('filters.method')}
            value={filters.method ?? ''}
            onChange={(e) => onChange('method', e.currentTarget.value || null)}
            data={[
              { value: '', label: t('filters.allMethods') },
              ...METHODS.map((m) => ({ value: m, label: t(`common:method.${m}`) })),
            ]}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 10, md: 2 }}>
          <NativeSelect
            label={t('filters.balance')}
            value={filters.balance ?? ''}
            onChange={(e) => onChange('balance', e.currentTarget.value || null)}
            data={balanceOptions}
          />
        </Grid.Col>
      </Grid>
      {hasFilters && (
        <Group justify="flex-end" mt="xs">
          <Button variant="subtle" size="compact-sm" leftSection={<IconX size={14} aria-hidden />} onClick={onClear}>
            {t('filters.clear')}
          </Button>
        </Group>
      )}
    </form>
  );
}
