import { Group, ScrollArea, Skeleton, Stack, Tabs, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { useBalances } from '../../api/statement';
import type { Balance } from '../../api/types';
import { Money } from '../../components/Money';
import { DataError } from '../../components/DataError';
import { StatementCharts } from './Charts';
import { Entries } from './Entries';
import { PageHeader } from '../../components/PageHeader';

/** Statement: charts of the last 30 days, then a tab per balance with its entries (?balance= in the URL). */
export default function StatementPage() {
  const { t } = useTranslation('statement');
  const balances = useBalances();
  const [params, setParams] = useSearchParams();
  const nameOf = (b: Balance) => (b.balance === 'wallet' ? t('common:balance.wallet') : b.name || b.balance);
  const list = balances.data ?? [];
  const wanted = params.get('balance');
  const active = list.find((b) => b.balance === wanted)?.balance ?? list[0]?.balance ?? null;

  return (
    <Stack gap="lg">
      <PageHeader title={t('title')} subtitle={t('subtitle')} />

      {balances.isPending ? (
        <Stack aria-hidden>
          <Skeleton h={280} />
          <Skeleton h={36} w="50%" />
          <Skeleton h={200} />
        </Stack>
      ) : balances.isError ? (
        <DataError error={balances.error} onRetry={() => void balances.refetch()} />
      ) : (
        <>
          <StatementCharts balances={list} nameOf={nameOf} />
          <Tabs
            value={active}
            onChange={(v) => v && setParams((p) => (p.set('balance', v), p), { replace: true })}
            keepMounted={false}
            variant="outline"
          >
            <ScrollArea type="auto" scrollbars="x" offsetScrollbars>
              <Tabs.List aria-label={t('balances')} style={{ flexWrap: 'nowrap' }}>
                {list.map((b) => (
                  <Tabs.Tab key={b.balance} value={b.balance}>
                    {nameOf(b)}
                  </Tabs.Tab>
                ))}
              </Tabs.List>
            </ScrollArea>
            {list.map((b) => (
              <Tabs.Panel key={b.balance} value={b.balance} pt="md">
                <Group justify="space-between" mb="sm" gap="xs">
                  <Title order={2} fz="lg">
                    {nameOf(b)}
                  </Title>
                  <Text size="sm" c="dimmed">
                    {t('posted')} <Money amount={b.posted} currency={b.currency} fw={600} c="dark" />
                  </Text>
                </Group>
                <Entries balance={b.balance} currency={b.currency} label={nameOf(b)} />
              </Tabs.Panel>
            ))}
          </Tabs>
        </>
      )}
    </Stack>
  );
}
