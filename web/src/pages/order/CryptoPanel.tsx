import {
  Anchor,
  Badge,
  Box,
  Checkbox,
  Group,
  Image,
  Paper,
  SimpleGrid,
  Skeleton,
  Stack,
  Text,
  ThemeIcon,
} from '@mantine/core';
import { IconFlask, IconTopologyStar3 } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { NextAction, Order } from '../../api/types';
import { CopyField } from '../../components/CopyField';
import { NETWORK_CHAINS } from '../../components/methods';
import { NetworkWarning } from '../../components/NetworkCard';
import { ExpiryNote } from './ExpiryNote';

type CryptoAction = Extract<NextAction, { type: 'crypto_transfer' }> & { simulator_url?: string };

/** The deposit address as a QR code (generated in the browser; the library loads only here). */
function useQrCode(text: string | null): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!text) return;
    let alive = true;
    void import('qrcode').then((qr) =>
      qr.toDataURL(text, { margin: 1, width: 232, errorCorrectionLevel: 'M' }).then((u) => {
        if (alive) setUrl(u);
      }),
    );
    return () => {
      alive = false;
    };
  }, [text]);
  return url;
}

/** Crypto: the network first (with the warning), a tick that says it was read, then the address, QR code and exact amount. */
export function CryptoPanel({ action }: { order: Order; action: CryptoAction }) {
  const { t } = useTranslation('order');
  const [understood, setUnderstood] = useState(false);
  const qr = useQrCode(understood ? action.address : null);
  const chain = NETWORK_CHAINS[action.network];
  return (
    <Stack gap="md">
      <Paper
        radius="md"
        p="md"
        style={{ border: '2px solid var(--mantine-color-teal-6)' }}
        aria-label={t('pay.crypto.networkLabel', { network: action.network })}
      >
        <Group wrap="nowrap" gap="md">
          <ThemeIcon size={44} radius="md" variant="light" color="teal" aria-hidden>
            <IconTopologyStar3 size={24} />
          </ThemeIcon>
          <div>
            <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
              {t('pay.crypto.network')}
            </Text>
            <Group gap="xs" align="baseline">
              <Text fw={800} fz={26} lh={1.1}>
                {action.network}
              </Text>
              {chain && <Text c="dimmed">{chain}</Text>}
            </Group>
          </div>
          <Badge ml="auto" variant="light" color="gray" size="lg" radius="sm">
            {action.asset}
          </Badge>
        </Group>
      </Paper>
      <NetworkWarning asset={action.asset} network={action.network} />
      <Checkbox
        size="md"
        checked={understood}
        onChange={(e) => setUnderstood(e.currentTarget.checked)}
        label={t('pay.crypto.confirm', { asset: action.asset, network: action.network })}
        styles={{ label: { fontWeight: 600 } }}
      />
      {understood ? (
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="lg" verticalSpacing="md">
          <Stack gap="md" style={{ order: 2 }}>
            <CopyField
              label={t('pay.crypto.address', { network: action.network })}
              value={action.address}
              mono
              emphasis
            />
            <CopyField
              label={t('pay.crypto.amount')}
              value={action.amount}
              display={
                <>
                  {action.amount}{' '}
                  <Text span c="dimmed" inherit fw={500}>
                    {action.asset}
                  </Text>
                </>
              }
              emphasis
            />
            <Text size="sm" c="dimmed">
              {t('pay.crypto.exact', { asset: action.asset })}
            </Text>
            <ExpiryNote until={action.expires_at} />
          </Stack>
          <Box style={{ order: 1, justifySelf: 'center' }}>
            {qr ? (
              <Image
                src={qr}
                w={232}
                h={232}
                alt={t('pay.crypto.qrAlt', { network: action.network, address: action.address })}
                radius="md"
                style={{ border: '1px solid var(--mantine-color-default-border)' }}
              />
            ) : (
              <Skeleton w={232} h={232} radius="md" />
            )}
          </Box>
        </SimpleGrid>
      ) : (
        <Text size="sm" c="dimmed">
          {t('pay.crypto.tickFirst')}
        </Text>
      )}
      {action.simulator_url && (
        <Group gap={6}>
          <IconFlask size={16} aria-hidden style={{ color: 'var(--mantine-color-grape-7)' }} />
          <Anchor href={action.simulator_url} size="sm" c="grape.8">
            {t('pay.crypto.simulator')}
          </Anchor>
        </Group>
      )}
    </Stack>
  );
}
