import { Alert, Button, Group, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { errorMessage } from './errors';

/** A data view that could not load: the reason as a sentence, and a retry. */
export function DataError({ error, onRetry, title }: { error: unknown; onRetry: () => void; title?: string }) {
  const { t, i18n } = useTranslation();
  return (
    <Alert
      color="red"
      variant="light"
      icon={<IconAlertTriangle size={20} aria-hidden />}
      title={title ?? t('errorTitle')}
      role="alert"
    >
      <Group justify="space-between" gap="sm">
        <Text size="sm">{errorMessage(t, error, i18n.language)}</Text>
        <Button size="xs" variant="white" color="red" onClick={onRetry}>
          {t('retry')}
        </Button>
      </Group>
    </Alert>
  );
}
