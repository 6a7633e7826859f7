import { Anchor, Card, Group, SimpleGrid, Stack, Text, UnstyledButton } from '@mantine/core';
import { IconChevronRight } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { Balance, Entry, Order } from '../../api/types';
import { formatDateTime } from '../../components/dates';
import { Money } from '../../components/Money';
import { formatMoney } from '../../components/money';
import { StatusBadge } from '../../components/StatusBadge';

interface Props {
  orders: Order[];
  charges: Entry[];
  balances: Balance[];
}

/** The last top-ups and the last charges, side by side on desktop, stacked on phones. */
export function RecentActivity({ orders, charges, balances }: Props) {
  const { t } = useTranslation('home');
  // entries carry no currency: it is their balance's (every balance is in the customer's currency)
  const currencyOf = (code: string | undefined) =>
    (balances.find((b) => b.balance === code) ?? balances[0])?.currency ?? '';
  const nameOf = (code: string | undefined) =>
    code === 'wallet' ? t('common:balance.wallet') : (balances.find((b) => b.balance === code)?.name ?? code ?? '');
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md" component="section" aria-label={t('activity.title')}>
      <Card withBorder radius="lg" p="md">
        <Group justify="space-between" mb="xs">
          <Text component="h2" fw={600} fz="lg" m={0}>
            {t('activity.orders')}
          </Text>
          {orders.length > 0 && (
            <Anchor component={Link} to="/orders" size="sm">
              {t('activity.allOrders')}
            </Anchor>
          )}
        </Group>
        {orders.length === 0 ? (
          <Text c="dimmed" size="sm" py="md">
            {t('activity.noOrders')}
          </Text>
        ) : (
          <Stack gap={0} component="ul" m={0} p={0} style={{ listStyle: 'none' }}>
            {orders.map((o) => (
              <li key={o.id}>
                <OrderRow order={o} balanceName={nameOf(o.balance)} />
              </li>
            ))}
          </Stack>
        )}
      </Card>
      <Card withBorder radius="lg" p="md">
        <Group justify="space-between" mb="xs">
          <Text component="h2" fw={600} fz="lg" m={0}>
            {t('activity.charges')}
          </Text>
          {charges.length > 0 && (
            <Anchor component={Link} to="/statement" size="sm">
              {t('activity.statement')}
            </Anchor>
          )}
        </Group>
        {charges.length === 0 ? (
          <Text c="dimmed" size="sm" py="md">
            {t('activity.noCharges')}
          </Text>
        ) : (
          <Stack gap={0} component="ul" m={0} p={0} style={{ listStyle: 'none' }}>
            {charges.map((c) => (
              <li key={c.id}>
                <ChargeRow entry={c} balanceName={nameOf(c.balance)} currency={currencyOf(c.balance)} />
              </li>
            ))}
          </Stack>
        )}
      </Card>
    </SimpleGrid>
  );
}

const rowStyle: React.CSSProperties = {
  borderTop: '1px solid var(--mantine-color-default-border)',
  display: 'block',
  borderRadius: 0,
};

function OrderRow({ order, balanceName }: { order: Order; balanceName: string }) {
  const { t, i18n } = useTranslation('home');
  return (
    <UnstyledButton
      component={Link}
      to={`/orders/${order.id}`}
      py="sm"
      px={4}
      w="100%"
      style={rowStyle}
      aria-label={t('activity.orderLabel', {
        method: t(`common:method.${order.method}`),
        balance: balanceName,
        amount: formatMoney(order.credit.amount, order.credit.currency, i18n.language),
        status: t(`common:status.${order.status}`),
        date: formatDateTime(order.created_at, i18n.language),
      })}
    >
      <Group justify="space-between" wrap="nowrap" gap="sm">
        <Stack gap={2} miw={0}>
          <Text size="sm" fw={500} truncate="end">
            {t(`common:method.${order.method}`)} · {balanceName}
          </Text>
          <Text size="xs" c="dimmed">
            {formatDateTime(order.created_at, i18n.language)}
          </Text>
        </Stack>
        <Group gap="xs" wrap="nowrap">
          <Stack gap={4} align="flex-end">
            <Money amount={order.credit.amount} currency={order.credit.currency} size="sm" fw={600} />
            <StatusBadge status={order.status} size="sm" />
          </Stack>
          <IconChevronRight size={16} aria-hidden style={{ color: 'var(--mantine-color-dimmed)' }} />
        </Group>
      </Group>
    </UnstyledButton>
  );
}

function ChargeRow({ entry, balanceName, currency }: { entry: Entry; balanceName: string; currency: string }) {
  const { i18n } = useTranslation('home');
  return (
    <Group justify="space-between" wrap="nowrap" gap="sm" py="sm" px={4} style={rowStyle}>
      <Stack gap={2} miw={0}>
        <Text size="sm" fw={500} truncate="end">
          {entry.description || entry.reference}
        </Text>
        <Text size="xs" c="dimmed">
          {balanceName} · {formatDateTime(entry.created_at, i18n.language)}
        </Text>
      </Stack>
      <Money
        amount={entry.amount}
        currency={currency}
        size="sm"
        fw={600}
        signed
        c={entry.amount > 0 ? 'teal.8' : undefined}
      />
    </Group>
  );
}
