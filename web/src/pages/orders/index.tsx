import { Button, EmptyState, Group, Stack, VisuallyHidden } from '@mantine/core';
import { IconArrowLeft, IconArrowRight, IconDownload, IconFilterOff, IconReceipt } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { historyCsvUrl, useOrderHistory } from '../../api/history';
import { useBalances } from '../../api/statement';
import { DataError } from '../../components/DataError';
import { HistoryFilters } from './HistoryFilters';
import { OrderCards, OrderRowsSkeleton, OrderTable } from './OrderRows';
import { useHistoryParams } from './useHistoryParams';
import { PageHeader } from '../../components/PageHeader';

/** Recharge history: filters in the URL, a table (cards on phones), keyset pages, CSV export. */
export default function OrdersPage() {
  const { t } = useTranslation('orders');
  const p = useHistoryParams();
  const history = useOrderHistory(p.filters, p.after);
  const balances = useBalances();
  const balanceName = (code: string) =>
    code === 'wallet' ? t('common:balance.wallet') : (balances.data?.find((b) => b.balance === code)?.name ?? code);
  const orders = history.data?.data ?? [];
  const firstPage = p.after === null;

  return (
    <Stack gap="lg">
      <PageHeader
        title={t('title')}
        subtitle={t('subtitle')}
        actions={
          <Button
            component="a"
            href={historyCsvUrl(p.filters)}
            download="topups.csv"
            variant="default"
            leftSection={<IconDownload size={16} aria-hidden />}
          >
            {t('exportCsv')}
          </Button>
        }
      />

      <HistoryFilters
        filters={p.filters}
        balances={balances.data}
        hasFilters={p.hasFilters}
        onChange={p.setFilter}
        onClear={p.clearFilters}
      />

      <section aria-label={t('results')} aria-busy={history.isFetching}>
        <VisuallyHidden aria-live="polite">
          {history.isSuccess ? t('resultCount', { count: orders.length }) : ''}
        </VisuallyHidden>
        {history.isPending ? (
          <OrderRowsSkeleton />
        ) : history.isError ? (
          <DataError error={history.error} onRetry={() => void history.refetch()} />
        ) : orders.length === 0 && firstPage && !p.hasFilters ? (
          <EmptyState
            icon={<IconReceipt size={28} aria-hidden />}
            withIndicatorBackground
            title={t('empty.title')}
            description={t('empty.description')}
            py="xl"
          >
            <EmptyState.Actions>
              <Button component={Link} to="/topup">
                {t('empty.topUp')}
              </Button>
            </EmptyState.Actions>
          </EmptyState>
        ) : orders.length === 0 ? (
          <EmptyState
            icon={<IconFilterOff size={28} aria-hidden />}
            withIndicatorBackground
            title={t('noMatch.title')}
            description={t('noMatch.description')}
            py="xl"
          >
            <EmptyState.Actions>
              <Button variant="default" onClick={p.clearFilters}>
                {t('filters.clear')}
              </Button>
            </EmptyState.Actions>
          </EmptyState>
        ) : (
          <Stack gap="md" style={{ opacity: history.isPlaceholderData ? 0.6 : 1, transition: 'opacity 120ms' }}>
            <OrderTable orders={orders} balanceName={balanceName} />
            <OrderCards orders={orders} balanceName={balanceName} />
          </Stack>
        )}
      </section>

      {(p.canGoNewer || history.data?.has_more) && (
        <Group component="nav" aria-label={t('pagination')} justify="space-between">
          <Button
            variant="default"
            leftSection={<IconArrowLeft size={16} aria-hidden />}
            disabled={!p.canGoNewer}
            onClick={p.newerPage}
          >
            {t('newer')}
          </Button>
          <Button
            variant="default"
            rightSection={<IconArrowRight size={16} aria-hidden />}
            disabled={!history.data?.has_more || history.isPlaceholderData}
            onClick={() => p.older(orders[orders.length - 1].id)}
          >
            {t('older')}
          </Button>
        </Group>
      )}
    </Stack>
  );
}
