import { Card, Group, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Order } from '../../api/types';
import { formatMoney } from '../../components/money';
import { StatusBadge } from '../../components/StatusBadge';

/** The one sentence that says what happens next, per status and method. */
export function nextStep(
  t: (k: string, o?: Record<string, unknown>) => string,
  o: Order,
  locale: string,
  balanceName: string,
): string {
  const credited = o.credited ?? o.credit;
  const vars = {
    balance: balanceName,
    network: o.network ?? '',
    asset: o.pay.currency,
    amount: formatMoney(o.pay.amount, o.pay.currency, locale),
  };
  if (o.status === 'processing' && o.needs_review) return t('next.review');
  if (o.status === 'pending' || o.status === 'processing') return t(`next.${o.status}.${o.method}`, vars);
  if (o.status === 'succeeded' && o.paid_late) return t('next.succeededLate');
  if (o.status === 'succeeded')
    return t('next.succeeded', { ...vars, amount: formatMoney(credited.amount, credited.currency, locale) });
  return t(`next.${o.status}`, vars);
}

export function StatusHeader({ order, balanceName }: { order: Order; balanceName: string }) {
  const { t, i18n } = useTranslation('order');
  return (
    <Card withBorder radius="lg" p={{ base: 'md', sm: 'lg' }} component="header">
      <Stack gap={6}>
        <Group gap="sm" wrap="wrap">
          <Title order={1} fz={{ base: 'h3', sm: 'h2' }}>
            {t('title', { balance: balanceName })}
          </Title>
          <StatusBadge status={order.status} size="lg" data-testid="order-status" />
        </Group>
        <Text fz={{ base: 'md', sm: 'lg' }} data-testid="order-next">
          {nextStep(t, order, i18n.language, balanceName)}
        </Text>
        <Text size="xs" c="dimmed" ff="monospace">
          {t('orderId')} {order.id}
        </Text>
      </Stack>
    </Card>
  );
}
