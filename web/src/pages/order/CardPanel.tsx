import { Button, Stack, Text } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconExternalLink, IconLock } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Order } from '../../api/types';
import { Money } from '../../components/Money';
import { ExpiryNote } from './ExpiryNote';

function hostOf(url: string): string {
  try {
    return new URL(url, window.location.href).host;
  } catch {
    return url;
  }
}

/** Card: off to the provider's secure page (its host said before the click). */
export function CardPanel({ order, url }: { order: Order; url: string }) {
  const { t } = useTranslation('order');
  const host = hostOf(url);
  const phone = useMediaQuery('(max-width: 48em)');
  return (
    <Stack gap="sm" align="flex-start">
      <Text size="sm">
        {t('pay.card.body')} <Money amount={order.pay.amount} currency={order.pay.currency} fw={700} />
      </Text>
      <Button
        component="a"
        href={url}
        size="md"
        w={phone ? '100%' : undefined}
        px={phone ? 'md' : undefined}
        leftSection={<IconLock size={18} aria-hidden />}
        rightSection={phone ? null : <IconExternalLink size={16} aria-hidden />}
        aria-describedby="card-host-hint"
      >
        {t('pay.card.button')}
      </Button>
      <Text id="card-host-hint" size="sm" c="dimmed">
        {t('pay.card.hint', { host })}
      </Text>
      <ExpiryNote until={order.expires_at} />
    </Stack>
  );
}
