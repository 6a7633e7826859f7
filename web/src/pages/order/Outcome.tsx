import { Alert, Anchor, Button, Group, Stack, Text } from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck, IconDownload, IconHourglass } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { receiptUrl } from '../../api/topups';
import type { Order } from '../../api/types';
import { formatAmount, formatMoney } from '../../components/money';

// A processing order older than this is "taking longer than usual": point to Help.
const STUCK_AFTER_MS = 24 * 3600 * 1000;

/** What came of the order: success with the balance change and the receipt, or what went wrong and where to get help. */
export function Outcome({ order: o, balanceName }: { order: Order; balanceName: string }) {
  const { t, i18n } = useTranslation('order');
  const locale = i18n.language;
  const again = `/topup?balance=${encodeURIComponent(o.balance)}`;
  if (o.status === 'succeeded') {
    const change = o.balance_change;
    const credited = o.credited ?? o.credit;
    return (
      <Alert
        color="teal"
        variant="light"
        radius="lg"
        icon={<IconCircleCheck size={24} aria-hidden />}
        title={t('success.title')}
        data-testid="order-success"
      >
        <Stack gap="sm">
          <Text fz="md" style={{ fontVariantNumeric: 'tabular-nums' }}>
            {change ? (
              <>
                {t('success.balanceUpdated', { balance: balanceName })}{' '}
                <Text span inherit fw={700} style={{ whiteSpace: 'nowrap' }} data-testid="balance-change">
                  {formatAmount(change.before, change.currency, locale)} →{' '}
                  {formatAmount(change.after, change.currency, locale)} {change.currency}
                </Text>
              </>
            ) : (
              t('success.credited', {
                amount: formatMoney(credited.amount, credited.currency, locale),
                balance: balanceName,
              })
            )}
          </Text>
          <Group gap="sm">
            <Button
              component="a"
              href={receiptUrl(o.id)}
              leftSection={<IconDownload size={18} aria-hidden />}
              variant="filled"
            >
              {t('success.receipt')}
            </Button>
            <Button component={Link} to="/" variant="default">
              {t('success.home')}
            </Button>
          </Group>
        </Stack>
      </Alert>
    );
  }
  if (o.status === 'failed' || o.status === 'expired' || o.status === 'cancelled') {
    return (
      <Alert
        color={o.status === 'cancelled' ? 'gray' : 'orange'}
        variant="light"
        radius="lg"
        icon={<IconAlertTriangle size={22} aria-hidden />}
        title={t(`ended.${o.status}`)}
      >
        <Stack gap="sm">
          <Text size="sm">{t('ended.body')}</Text>
          <Group gap="sm">
            <Button component={Link} to={again} variant="filled">
              {t('ended.again')}
            </Button>
            <Button component={Link} to="/help" variant="default">
              {t('help')}
            </Button>
          </Group>
        </Stack>
      </Alert>
    );
  }
  if (o.status === 'processing') {
    const stuck = Date.now() - Date.parse(o.created_at) > STUCK_AFTER_MS;
    return (
      <Alert
        color={o.needs_review ? 'orange' : 'blue'}
        variant="light"
        radius="lg"
        icon={<IconHourglass size={22} aria-hidden />}
      >
        <Text size="sm">
          {stuck ? t('processing.stuck') : t('processing.body')}{' '}
          <Anchor component={Link} to="/help" inherit>
            {t('help')}
          </Anchor>
        </Text>
      </Alert>
    );
  }
  return null;
}
