import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCancelTopup } from '../../api/topups';
import type { Order } from '../../api/types';
import { errorMessage } from '../../components/errors';

/** Cancel a pending order, after saying what that means. */
export function CancelOrder({ order }: { order: Order }) {
  const { t, i18n } = useTranslation('order');
  const [open, setOpen] = useState(false);
  const cancel = useCancelTopup(order.id);
  return (
    <>
      <Button variant="subtle" color="red" onClick={() => setOpen(true)}>
        {t('cancel.button')}
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={t('cancel.title')} centered radius="lg">
        <Stack gap="md">
          <Text size="sm">{t('cancel.body')}</Text>
          {cancel.isError && (
            <Alert color="red" variant="light" role="alert">
              {errorMessage(t, cancel.error, i18n.language)}
            </Alert>
          )}
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={() => setOpen(false)}>
              {t('cancel.keep')}
            </Button>
            <Button
              color="red"
              loading={cancel.isPending}
              onClick={() => cancel.mutate(undefined, { onSuccess: () => setOpen(false) })}
            >
              {t('cancel.confirm')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
