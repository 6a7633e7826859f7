import { Alert, Button, Center, Stack } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useRouteError } from 'react-router';
import { errorMessage } from '../components/errors';

/** What a page shows when it cannot load at all (server down, a bug): a sentence and a retry. */
export function RouteError() {
  const err = useRouteError();
  const { t, i18n } = useTranslation();
  return (
    <Center mih="60vh" p="md">
      <Stack maw={420}>
        <Alert color="red" title={t('errorTitle')} role="alert">
          {errorMessage(t, err, i18n.language)}
        </Alert>
        <Button onClick={() => window.location.reload()}>{t('retry')}</Button>
      </Stack>
    </Center>
  );
}
