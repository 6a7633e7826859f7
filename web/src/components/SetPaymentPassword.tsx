import { Alert, Button, Stack, Text } from '@mantine/core';
import { IconShieldLock } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSetPaymentPassword } from '../api/session';
import { errorMessage } from './errors';
import { PaymentPasswordInput, PIN_LENGTH } from './PaymentPasswordInput';

/** First-time setup of the 6-digit payment password (typed twice). `onDone` after the server saved it. */
export function SetPaymentPassword({ onDone }: { onDone?: () => void }) {
  const { t, i18n } = useTranslation('layout');
  const save = useSetPaymentPassword();
  const [first, setFirst] = useState('');
  const [second, setSecond] = useState('');
  const [tried, setTried] = useState(false);
  const mismatch = tried && first.length === PIN_LENGTH && second.length === PIN_LENGTH && first !== second;
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (first.length !== PIN_LENGTH || first !== second) return;
    save.mutate({ new_password: first }, { onSuccess: () => onDone?.() });
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        <Alert color="teal" variant="light" icon={<IconShieldLock size={18} aria-hidden />}>
          <Text size="sm">{t('setPin.advice')}</Text>
        </Alert>
        <PaymentPasswordInput
          label={t('setPin.new')}
          value={first}
          onChange={setFirst}
          error={tried && first.length !== PIN_LENGTH ? t('setPin.sixDigits') : undefined}
        />
        <PaymentPasswordInput
          label={t('setPin.repeat')}
          value={second}
          onChange={setSecond}
          error={mismatch ? t('setPin.mismatch') : undefined}
        />
        {save.isError && (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(t, save.error, i18n.language)}
          </Alert>
        )}
        <Button type="submit" loading={save.isPending}>
          {t('setPin.save')}
        </Button>
      </Stack>
    </form>
  );
}
