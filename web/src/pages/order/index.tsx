import { Button, Grid, Group, Skeleton, Stack, Text } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { IconReceiptOff } from '@tabler/icons-react';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { ApiError } from '../../api/client';
import { useBalanceNames } from '../../api/home';
import { useConfig } from '../../api/session';
import { FINAL_STATUSES, useOrder, useOrderEvents } from '../../api/topups';
import { DataError } from '../../components/DataError';
import { CancelOrder } from './CancelOrder';
import { OrderFacts } from './OrderFacts';
import { OrderTimeline } from './OrderTimeline';
import { Outcome } from './Outcome';
import { PayPanel } from './PayPanel';
import { StatusHeader } from './StatusHeader';

export default function OrderPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation('order');
  const config = useConfig().data;
  // Live over server-sent events; if the stream fails, poll every 3 s instead.
  const first = useOrder(id, false);
  const live = first.data ? !FINAL_STATUSES.has(first.data.status) : false;
  const streamFailed = useOrderEvents(id, live);
  const order = useOrder(id, streamFailed ? 3000 : false);
  const names = useBalanceNames().data ?? {};
  useDocumentTitle(`${t('pageTitle')} · ${config?.operator_name ?? ''}`);

  // Say status changes out loud (the badge alone is visual).
  const [announcement, setAnnouncement] = useState('');
  const previous = useRef<string | null>(null);
  const status = order.data?.status ?? null;
  useEffect(() => {
    if (status && previous.current && previous.current !== status)
      setAnnouncement(t('announce', { status: t(`common:status.${status}`) }));
    previous.current = status;
  }, [status, t]);

  const liveRegion = (
    <div
      aria-live="polite"
      role="status"
      style={{
        position: 'absolute',
        width: 1,
        height: 1,
        overflow: 'hidden',
        clip: 'rect(0 0 0 0)',
        whiteSpace: 'nowrap',
      }}
    >
      {announcement}
    </div>
  );

  if (order.isPending) {
    return (
      <Stack gap="lg" aria-busy="true" aria-label={t('loading')}>
        <Skeleton h={90} radius="lg" />
        <Skeleton h={260} radius="lg" />
        <Skeleton h={180} radius="lg" />
      </Stack>
    );
  }
  if (order.isError) {
    if (order.error instanceof ApiError && order.error.status === 404) return <OrderNotFound />;
    return <DataError error={order.error} onRetry={() => void order.refetch()} />;
  }
  const o = order.data;
  const balanceName = o.balance === 'wallet' ? t('common:balance.wallet') : (names[o.balance] ?? o.balance);
  return (
    <Stack gap="lg">
      {liveRegion}
      <StatusHeader order={o} balanceName={balanceName} />
      {o.status === 'pending' && o.next_action && <PayPanel order={o} />}
      <Outcome order={o} balanceName={balanceName} />
      <Grid gap="lg">
        <Grid.Col span={{ base: 12, md: 7 }}>
          <OrderFacts order={o} balanceName={balanceName} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <OrderTimeline order={o} />
        </Grid.Col>
      </Grid>
      <Group justify="space-between" gap="sm">
        <Button component={Link} to="/orders" variant="subtle" color="gray">
          {t('allOrders')}
        </Button>
        {o.status === 'pending' && <CancelOrder order={o} />}
      </Group>
    </Stack>
  );
}

function OrderNotFound() {
  const { t } = useTranslation('order');
  return (
    <Stack align="center" ta="center" gap="md" py={56} maw={460} mx="auto">
      <IconReceiptOff size={52} stroke={1.3} aria-hidden style={{ color: 'var(--mantine-color-dimmed)' }} />
      <Text component="h1" fz="h2" fw={650} m={0}>
        {t('notFound.title')}
      </Text>
      <Text c="dimmed">{t('notFound.body')}</Text>
      <Group justify="center">
        <Button component={Link} to="/orders">
          {t('notFound.orders')}
        </Button>
        <Button component={Link} to="/help" variant="default">
          {t('help')}
        </Button>
      </Group>
    </Stack>
  );
}
