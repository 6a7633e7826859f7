import { Group, Text } from '@mantine/core';
import { IconClock } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../../components/dates';
import { formatClock, useCountdown } from '../../components/useCountdown';

/** "Expires in 29:41" for short-lived orders, the date and time for long ones (bank transfers). */
export function ExpiryNote({ until }: { until: string }) {
  const { t, i18n } = useTranslation('order');
  const left = useCountdown(until);
  if (left === null) return null;
  const long = left > 6 * 3600;
  return (
    <Group gap={6} wrap="nowrap">
      <IconClock size={16} aria-hidden style={{ color: 'var(--mantine-color-dimmed)', flexShrink: 0 }} />
      <Text size="sm" c={left < 300 ? 'orange.8' : 'dimmed'} style={{ fontVariantNumeric: 'tabular-nums' }}>
        {left === 0
          ? t('pay.expired')
          : long
            ? t('pay.expiresOn', { time: formatDateTime(until, i18n.language) })
            : t('pay.expiresIn', { time: formatClock(left) })}
      </Text>
    </Group>
  );
}
