import { Anchor, Box, Card, Group, Skeleton, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { IconChevronRight } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { Order } from '../../api/types';
import { Money } from '../../components/Money';
import { StatusBadge } from '../../components/StatusBadge';

interface Props {
  orders: Order[];
  balanceName: (code: string) => string;
}

/** "ord_…fja2tx1f": the end of an id is what tells two orders apart (the start is the time). */
const shortId = (id: string) => (id.length > 16 ? `${id.slice(0, 4)}…${id.slice(-8)}` : id);

function useDateTime() {
  const { i18n } = useTranslation();
  const fmt = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' });
  return (iso: string) => fmt.format(new Date(iso));
}

function Credited({ order }: { order: Order }) {
  const { t } = useTranslation('orders');
  if (order.credited) return <Money amount={order.credited.amount} currency={order.credited.currency} />;
  return (
    <Text span c="dimmed" aria-label={t('notCredited')}>
      —
    </Text>
  );
}

/** Wide screens: a table. */
export function OrderTable({ orders, balanceName }: Props) {
  const { t } = useTranslation('orders');
  const when = useDateTime();
  return (
    <Table.ScrollContainer minWidth={820} visibleFrom="sm">
      <Table highlightOnHover verticalSpacing="sm" striped={false}>
        <VisuallyHidden component="caption">{t('tableCaption')}</VisuallyHidden>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('col.date')}</Table.Th>
            <Table.Th>{t('col.order')}</Table.Th>
            <Table.Th>{t('col.balance')}</Table.Th>
            <Table.Th>{t('col.method')}</Table.Th>
            <Table.Th ta="right">{t('col.paid')}</Table.Th>
            <Table.Th ta="right">{t('col.credited')}</Table.Th>
            <Table.Th>{t('col.status')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {orders.map((o) => (
            <Table.Tr key={o.id}>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>{when(o.created_at)}</Table.Td>
              <Table.Td>
                <Anchor
                  component={Link}
                  to={`/orders/${o.id}`}
                  ff="monospace"
                  fz="sm"
                  title={o.id}
                  aria-label={t('orderLabel', { id: o.id })}
                  style={{ whiteSpace: 'nowrap' }}
                >
                  {shortId(o.id)}
                </Anchor>
              </Table.Td>
              <Table.Td>{balanceName(o.balance)}</Table.Td>
              <Table.Td>{t(`common:method.${o.method}`)}</Table.Td>
              <Table.Td ta="right">
                <Money amount={o.pay.amount} currency={o.pay.currency} />
              </Table.Td>
              <Table.Td ta="right">
                <Credited order={o} />
              </Table.Td>
              <Table.Td>
                <StatusBadge status={o.status} style={{ overflow: 'visible' }} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** Phones (≤ 48em): one card per order, the whole card a link to the order. */
export function OrderCards({ orders, balanceName }: Props) {
  const { t } = useTranslation('orders');
  const when = useDateTime();
  return (
    <Stack
      gap="xs"
      hiddenFrom="sm"
      component="ul"
      p={0}
      m={0}
      style={{ listStyle: 'none' }}
      aria-label={t('tableCaption')}
    >
      {orders.map((o) => (
        <li key={o.id}>
          <Card component={Link} to={`/orders/${o.id}`} withBorder padding="sm">
            <Group justify="space-between" wrap="nowrap" align="flex-start">
              <Box miw={0}>
                <Text fw={600}>
                  {balanceName(o.balance)} · {t(`common:method.${o.method}`)}
                </Text>
                <Text size="xs" c="dimmed">
                  {when(o.created_at)}
                </Text>
              </Box>
              <StatusBadge status={o.status} style={{ flexShrink: 0 }} />
            </Group>
            <Group justify="space-between" mt="xs" wrap="nowrap">
              <Box>
                <Text size="xs" c="dimmed">
                  {t('col.paid')}
                </Text>
                <Money amount={o.pay.amount} currency={o.pay.currency} />
              </Box>
              <Box ta="right">
                <Text size="xs" c="dimmed">
                  {t('col.credited')}
                </Text>
                <Credited order={o} />
              </Box>
            </Group>
            <Group justify="space-between" mt={6} wrap="nowrap" c="dimmed">
              <Text ff="monospace" size="xs" truncate="end" miw={0}>
                {o.id}
              </Text>
              <IconChevronRight size={16} aria-hidden style={{ flexShrink: 0 }} />
            </Group>
          </Card>
        </li>
      ))}
    </Stack>
  );
}

export function OrderRowsSkeleton() {
  return (
    <Stack gap="xs" aria-hidden>
      {Array.from({ length: 5 }, (_, i) => (
        <Skeleton key={i} h={44} radius="sm" />
      ))}
    </Stack>
  );
}
