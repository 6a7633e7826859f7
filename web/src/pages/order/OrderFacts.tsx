import { Card, Divider, Group, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Order } from '../../api/types';
import { formatDateTime } from '../../components/dates';
import { Money } from '../../components/Money';
import { NETWORK_CHAINS } from '../../components/methods';

function Row({ label, children, strong }: { label: string; children: React.ReactNode; strong?: boolean }) {
  return (
    <Group justify="space-between" wrap="nowrap" gap="md" align="flex-start" component="div">
      <Text
        component="dt"
        size="sm"
        c={strong ? undefined : 'dimmed'}
        fw={strong ? 600 : undefined}
        style={{ flexShrink: 0 }}
      >
        {label}
      </Text>
      <Text
        component="dd"
        m={0}
        size="sm"
        fw={strong ? 700 : 500}
        ta="right"
        style={{ wordBreak: 'break-word', minWidth: 0 }}
      >
        {children}
      </Text>
    </Group>
  );
}

/** What the order costs and credits, and how it is paid. */
export function OrderFacts({ order: o, balanceName }: { order: Order; balanceName: string }) {
  const { t, i18n } = useTranslation('order');
  const live = o.status === 'pending' || o.status === 'processing';
  return (
    <Card withBorder radius="lg" p={{ base: 'md', sm: 'lg' }} component="section" aria-labelledby="facts-title">
      <Text id="facts-title" component="h2" fw={650} fz="lg" mt={0} mb="md">
        {t('facts.title')}
      </Text>
      <Stack gap={10} component="dl" m={0}>
        <Row label={t('facts.amount')}>
          <Money amount={o.amount.amount} currency={o.amount.currency} />
        </Row>
        <Row label={t('facts.fee')}>
          <Money amount={o.fee.amount} currency={o.fee.currency} />
        </Row>
        <Row label={t('facts.pay')} strong>
          <Money amount={o.pay.amount} currency={o.pay.currency} />
        </Row>
        <Row label={t('facts.credit', { balance: balanceName })} strong>
          <Money amount={o.credit.amount} currency={o.credit.currency} c="teal.8" />
        </Row>
        {o.fx && <Row label={t('facts.rate')}>{`1 ${o.fx.base} = ${o.fx.rate} ${o.fx.quote}`}</Row>}
        {o.received && (
          <Row label={t('facts.received')}>
            <Money amount={o.received.amount} currency={o.received.currency} />
          </Row>
        )}
        {o.credited && (
          <Row label={t('facts.credited')}>
            <Money amount={o.credited.amount} currency={o.credited.currency} />
          </Row>
        )}
        {o.refunded_amount > 0 && (
          <Row label={t('facts.refunded')}>
            <Money amount={o.refunded_amount} currency={o.credit.currency} />
          </Row>
        )}
        <Divider my={4} />
        <Row label={t('facts.balance')}>{balanceName}</Row>
        <Row label={t('facts.method')}>{t(`common:method.${o.method}`)}</Row>
        {o.network && (
          <Row label={t('facts.network')}>
            {NETWORK_CHAINS[o.network] ? `${o.network} (${NETWORK_CHAINS[o.network]})` : o.network}
          </Row>
        )}
        {o.provider.payment_id && (
          <Row label={t('facts.reference')}>
            <Text span ff="monospace" inherit>
              {o.provider.payment_id}
            </Text>
          </Row>
        )}
        <Row label={t('facts.created')}>
          <time dateTime={o.created_at}>{formatDateTime(o.created_at, i18n.language)}</time>
        </Row>
        {live && (
          <Row label={t('facts.expires')}>
            <time dateTime={o.expires_at}>{formatDateTime(o.expires_at, i18n.language)}</time>
          </Row>
        )}
        {o.succeeded_at && (
          <Row label={t('facts.succeeded')}>
            <time dateTime={o.succeeded_at}>{formatDateTime(o.succeeded_at, i18n.language)}</time>
          </Row>
        )}
      </Stack>
    </Card>
  );
}
