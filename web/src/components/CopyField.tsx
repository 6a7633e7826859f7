import { ActionIcon, Box, CopyButton, Group, Text, Tooltip } from '@mantine/core';
import { IconCheck, IconCopy } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';

interface Props {
  label: string;
  value: string;
  /** what is shown when it differs from what is copied (an amount with its currency) */
  display?: React.ReactNode;
  mono?: boolean;
  /** larger text for what must be typed exactly (an address, an amount) */
  emphasis?: boolean;
}

/** A labelled value with a copy button; the value wraps instead of overflowing (long addresses). */
export function CopyField({ label, value, display, mono = false, emphasis = false }: Props) {
  const { t } = useTranslation('layout');
  return (
    <Box>
      <Text size="sm" c="dimmed" mb={4}>
        {label}
      </Text>
      <Group
        gap="xs"
        wrap="nowrap"
        justify="space-between"
        p="xs"
        pl="sm"
        style={{
          border: '1px solid var(--mantine-color-default-border)',
          borderRadius: 'var(--mantine-radius-md)',
          background: 'var(--mantine-color-default-hover)',
        }}
      >
        <Text
          ff={mono ? 'monospace' : undefined}
          fz={emphasis ? 'md' : 'sm'}
          fw={emphasis ? 600 : 500}
          style={{
            wordBreak: mono ? 'break-all' : undefined,
            overflowWrap: 'anywhere',
            fontVariantNumeric: 'tabular-nums',
          }}
        >
          {display ?? value}
        </Text>
        <CopyButton value={value} timeout={2000}>
          {({ copied, copy }) => (
            <Tooltip label={copied ? t('copied') : t('copy')} withArrow position="left">
              <ActionIcon
                variant={copied ? 'filled' : 'light'}
                color={copied ? 'teal' : 'gray'}
                onClick={copy}
                size="lg"
                aria-label={copied ? t('copiedLabel', { label }) : t('copyLabel', { label })}
              >
                {copied ? <IconCheck size={18} aria-hidden /> : <IconCopy size={18} aria-hidden />}
              </ActionIcon>
            </Tooltip>
          )}
        </CopyButton>
      </Group>
    </Box>
  );
}
