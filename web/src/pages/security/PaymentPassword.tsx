import { Alert, Button, Group, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { IconAlertCircle, IconCircleCheck, IconLock, IconMailForward } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { ApiError } from '../../api/client';
import { usePaymentPasswordResetLink, useSetPaymentPassword } from '../../api/session';
import type { Me } from '../../api/types';
import { errorMessage } from '../../components/errors';

const PIN = /^\d{6}$/;

function PinField(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
  autoComplete: string;
  description?: string;
}) {
  return (
    <PasswordInput
      label={props.label}
      description={props.description}
      value={props.value}
      onChange={(e) => props.onChange(e.currentTarget.value.replace(/\D/g, '').slice(0, 6))}
      error={props.error}
      inputMode="numeric"
      autoComplete={props.autoComplete}
      maxLength={6}
      required
      withAsterisk={false}
      styles={{ input: { letterSpacing: '0.3em', fontVariantNumeric: 'tabular-nums' } }}
    />
  );
}

type Mode = 'set' | 'change' | 'reset';

/** The payment password (a 6-digit PIN): set it, change it with the current one, or reset it by e-mail. */
export function PaymentPassword({ me }: { me: Me }) {
  const { t, i18n } = useTranslation('security');
  const [params, setParams] = useSearchParams();
  const resetToken = params.get('reset');
  const mode: Mode = resetToken ? 'reset' : me.payment_password.set ? 'change' : 'set';
  const save = useSetPaymentPassword();
  const resetLink = usePaymentPasswordResetLink();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [tried, setTried] = useState(false);
  const [done, setDone] = useState<Mode | null>(null);

  const lockedUntil = me.payment_password.locked_until ? new Date(me.payment_password.locked_until) : null;
  const locked = lockedUntil !== null && lockedUntil.getTime() > Date.now();
  const errors = {
    current: mode === 'change' && !PIN.test(current) ? t('pin.sixDigits') : undefined,
    next: !PIN.test(next) ? t('pin.sixDigits') : undefined,
    confirm: confirm !== next ? t('pin.mismatch') : undefined,
  };
  // A spent or expired reset link: say so in words, and offer a new one.
  const badResetLink =
    save.error instanceof ApiError &&
    save.error.code === 'invalid_request' &&
    ((save.error.details.fields as { field: string }[] | undefined) ?? []).some((f) => f.field === 'reset_token');
  const valid = !errors.current && !errors.next && !errors.confirm;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    setDone(null);
    if (!valid) return;
    save.mutate(
      {
        new_password: next,
        ...(mode === 'change' ? { current_password: current } : {}),
        ...(mode === 'reset' ? { reset_token: resetToken! } : {}),
      },
      {
        onSuccess: () => {
          setDone(mode);
          setCurrent('');
          setNext('');
          setConfirm('');
          setTried(false);
          if (mode === 'reset') setParams((p) => (p.delete('reset'), p), { replace: true });
        },
      },
    );
  };

  return (
    <Paper component="section" withBorder p={{ base: 'md', sm: 'lg' }} aria-labelledby="pin-title">
      <Group gap="xs" mb={4}>
        <IconLock size={20} aria-hidden />
        <Title order={2} fz="h3" id="pin-title">
          {t('pin.title')}
        </Title>
      </Group>
      <Text size="sm" c="dimmed" mb="md">
        {t('pin.intro')}
      </Text>

      <Stack gap="md">
        {locked && (
          <Alert color="orange" icon={<IconAlertCircle aria-hidden />} title={t('pin.lockedTitle')}>
            {t('pin.locked', {
              time: lockedUntil!.toLocaleString(i18n.language, { dateStyle: 'medium', timeStyle: 'short' }),
            })}
          </Alert>
        )}
        {/* One live region: the outcome replaces the sentence about the current state. */}
        <div aria-live="polite">
          {done ? (
            <Alert color="teal" icon={<IconCircleCheck aria-hidden />}>
              {t(`pin.done.${done}`)}
            </Alert>
          ) : (
            <Text fw={600}>
              {mode === 'reset' ? t('pin.resetHeading') : mode === 'set' ? t('pin.notSet') : t('pin.isSet')}
            </Text>
          )}
        </div>

        <form onSubmit={submit} noValidate aria-label={t(`pin.form.${mode}`)}>
          <Stack gap="sm" maw={380}>
            {(mode === 'change' || badResetLink) && (
              <PinField
                label={t('pin.current')}
                value={current}
                onChange={setCurrent}
                autoComplete="current-password"
                error={tried ? errors.current : undefined}
              />
            )}
            <PinField
              label={t('pin.new')}
              value={next}
              onChange={setNext}
              autoComplete="new-password"
              error={tried ? errors.next : undefined}
            />
            <PinField
              label={t('pin.confirm')}
              value={confirm}
              onChange={setConfirm}
              autoComplete="new-password"
              error={tried ? errors.confirm : undefined}
            />
            {save.isError && (
              <Alert color="red" icon={<IconAlertCircle aria-hidden />} role="alert">
                {badResetLink ? t('pin.resetInvalid') : errorMessage(t, save.error, i18n.language)}
              </Alert>
            )}
            <Group>
              <Button type="submit" loading={save.isPending}>
                {t(`pin.submit.${mode}`)}
              </Button>
            </Group>
          </Stack>
        </form>

        {(mode === 'change' || badResetLink) && (
          <Stack gap={4} align="flex-start">
            <Button
              variant="subtle"
              ml={-12}
              leftSection={<IconMailForward size={16} aria-hidden />}
              loading={resetLink.isPending}
              onClick={() => resetLink.mutate()}
            >
              {t('pin.forgot')}
            </Button>
            <div aria-live="polite">
              {resetLink.isSuccess && (
                <Text size="sm" c="teal.8">
                  {t('pin.resetSent', { email: me.customer.email })}
                </Text>
              )}
              {resetLink.isError && (
                <Text size="sm" c="red">
                  {errorMessage(t, resetLink.error, i18n.language)}
                </Text>
              )}
            </div>
          </Stack>
        )}
      </Stack>
    </Paper>
  );
}
