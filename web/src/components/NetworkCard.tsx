import { Alert, Group, Radio, Stack, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { NETWORK_CHAINS } from './methods';

/** The crypto network warning, said once, in plain words. */
export function NetworkWarning({ asset, network }: { asset: string; network?: string | null }) {
  const { t } = useTranslation('topup');
  return (
    <Alert
      color="orange"
      variant="light"
      icon={<IconAlertTriangle size={20} aria-hidden />}
      title={t('network.warningTitle')}
    >
      {network ? t('network.warningFor', { asset, network }) : t('network.warning', { asset })}
    </Alert>
  );
}

/** The networks of a crypto method as large radio cards; `readOnly` shows the one chosen for an order. */
export function NetworkCards({
  networks,
  value,
  onChange,
  label,
  readOnly = false,
}: {
  networks: string[];
  value: string | null;
  onChange?: (v: string) => void;
  label: string;
  readOnly?: boolean;
}) {
  return (
    <Radio.Group
      value={value}
      onChange={(v) => onChange?.(v)}
      label={label}
      readOnly={readOnly}
      labelProps={{ fw: 600, mb: 6 }}
    >
      <Stack gap="xs">
        {networks.map((n) => (
          <Radio.Card
            key={n}
            value={n}
            radius="md"
            p="md"
            disabled={readOnly && n !== value}
            aria-label={`${n} (${NETWORK_CHAINS[n] ?? n})`}
          >
            <Group wrap="nowrap" gap="md">
              <Radio.Indicator />
              <div>
                <Text fw={700} fz="lg" lh={1.2}>
                  {n}
                </Text>
                {NETWORK_CHAINS[n] && (
                  <Text size="sm" c="dimmed">
                    {NETWORK_CHAINS[n]}
                  </Text>
                )}
              </div>
            </Group>
          </Radio.Card>
        ))}
      </Stack>
    </Radio.Group>
  );
}
