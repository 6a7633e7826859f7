import { Alert, Skeleton, Stack, Title } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { IconCircleCheck } from '@tabler/icons-react';
import { lazy, Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useHome } from '../../api/home';
import { useConfig, useMe } from '../../api/session';
import { DataError } from '../../components/DataError';
import { formatMoney } from '../../components/money';
import { MoveToProductModal } from './MoveToProductModal';
import { ProductCards } from './ProductCards';
import { RecentActivity } from './RecentActivity';
import { WalletCard } from './WalletCard';

// recharts is the heaviest thing on this page: the balances show before it arrives.
const BalanceChart = lazy(() => import('./BalanceChart'));

export default function HomePage() {
  const { t, i18n } = useTranslation('home');
  const config = useConfig().data;
  const me = useMe().data;
  const home = useHome();
  const [moving, setMoving] = useState(false);
  const [moved, setMoved] = useState<{ amount: number; currency: string; name: string } | null>(null);
  useDocumentTitle(`${t('title')} · ${config?.operator_name ?? ''}`);

  if (home.isPending) {
    return (
      <Stack gap="lg" aria-busy="true" aria-label={t('loading')}>
        <Skeleton h={200} radius="lg" />
        <Skeleton h={120} radius="lg" />
        <Skeleton h={240} radius="lg" />
      </Stack>
    );
  }
  if (home.isError) return <DataError error={home.error} onRetry={() => void home.refetch()} />;

  const data = home.data;
  const wallet = data.balances.find((b) => b.balance === 'wallet');
  const products = data.balances.filter((b) => b.balance !== 'wallet');
  return (
    <Stack gap="lg">
      <div>
        <Title order={1} fz={{ base: 'h3', sm: 'h2' }}>
          {me?.customer.name ? t('greeting', { name: me.customer.name }) : t('title')}
        </Title>
        <div aria-live="polite">
          {moved && (
            <Alert
              mt="md"
              color="teal"
              variant="light"
              icon={<IconCircleCheck size={20} aria-hidden />}
              withCloseButton
              onClose={() => setMoved(null)}
              closeButtonLabel={t('dismiss')}
            >
              {t('move.done', { amount: formatMoney(moved.amount, moved.currency, i18n.language), name: moved.name })}
            </Alert>
          )}
        </div>
      </div>
      {wallet && <WalletCard wallet={wallet} canMove={products.length > 0} onMove={() => setMoving(true)} />}
      {products.length > 0 && <ProductCards products={products} />}
      <RecentActivity orders={data.recent_orders} charges={data.recent_charges} balances={data.balances} />
      {data.chart.length > 0 && (
        <Suspense fallback={<Skeleton h={300} radius="lg" />}>
          <BalanceChart chart={data.chart} balances={data.balances} />
        </Suspense>
      )}
      {wallet && (
        <MoveToProductModal
          opened={moving}
          onClose={() => setMoving(false)}
          wallet={wallet}
          products={products}
          onDone={(m) => {
            setMoving(false);
            setMoved(m);
          }}
        />
      )}
    </Stack>
  );
}
