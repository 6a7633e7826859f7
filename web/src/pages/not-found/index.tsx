import { Button, Group, Stack, Text, Title } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { IconCompass } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

export default function NotFoundPage() {
  const { t } = useTranslation('layout');
  useDocumentTitle(t('notFound.title'));
  return (
    <Stack align="center" ta="center" gap="md" py={64} maw={440} mx="auto">
      <IconCompass size={56} stroke={1.3} aria-hidden style={{ color: 'var(--mantine-color-dimmed)' }} />
      <Title order={1} fz="h2">
        {t('notFound.title')}
      </Title>
      <Text c="dimmed">{t('notFound.body')}</Text>
      <Group justify="center">
        <Button component={Link} to="/">
          {t('notFound.home')}
        </Button>
        <Button component={Link} to="/help" variant="default">
          {t('notFound.help')}
        </Button>
      </Group>
    </Stack>
  );
}
