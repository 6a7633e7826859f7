import { Alert, Button, Group, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconAlertCircle, IconLock } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, newIdempotencyKey } from '../../api/client';
import { sessionKeys, useMe } from '../../api/session';
import { useCreateTransfer } from '../../api/transfers';
import type { Balance } from '../../api/types';
import { errorMessage } from '../../components/errors';
import { Money } from '../../components/Money';
import { formatMoney, parseAmount } from '../../components/money';
import { PaymentPasswordInput, PIN_LENGTH } from '../../components/PaymentPasswordInput';
import { SetPaymentPassword } from '../../components/SetPaymentPassword';

interface Props {
  opened: boolean;
  onClose: () => void;
  wallet: Balance;
  products: Balance[];
  onDone: (moved: { amount: number; currency: string; name: string }) => void;
}

/** Wallet → product, paid with the payment password (set here first when there is none yet). */
export function MoveToProductModal({ opened, onClose, wallet, products, onDone }: Props) {
  const { t } = useTranslation('home');
  const phone = useMediaQuery('(max-width: 48em)');
  const me = useMe().data;
  const pinSet = me?.payment_password.set ?? false;
  return (
    <Modal opened={opened} onClose={onClose} title={t('move.title')} fullScreen={phone} size="md" radius="lg" centered>
      {pinSet ? (
        <TransferForm wallet={wallet} products={products} onDone={onDone} onCancel={onClose} />
      ) : (
        <Stack gap="md">
          <Text size="sm">{t('move.setPinFirst')}</Text>
          <SetPaymentPassword />
        </Stack>
      )}
    </Modal>
  );
}

function TransferForm({
  wallet,
  products,
  onDone,
  onCancel,
}: Omit<Props, 'opened' | 'onClose'> & { onCancel: () => void }) {
  const { t, i18n } = useTranslation('home');
  const qc = useQueryClient();
  const me = useMe().data;
  const transfer = useCreateTransfer();
  const [to, setTo] = useState<string | null>(products.length === 1 ? products[0]!.balance : null);
  const [amountText, setAmountText] = useState('');
  const [pin, setPin] = useState('');
  const [touched, setTouched] = useState(false);
  // One key per attempt: a retry of the very same request reuses it, a changed request gets a new one.
  const attempt = useRef<{ sig: string; key: string } | null>(null);
  const amount = parseAmount(amountText, wallet.currency);
  const product = products.find((p) => p.balance === to);
  const lockedUntil =
    me?.payment_password.locked_until && Date.parse(me.payment_password.locked_until) > Date.now()
      ? me.payment_password.locked_until
      : null;
  const amountError = touched && (amount === null || amount <= 0) ? t('move.amountInvalid') : undefined;

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (!to || amount === null || amount <= 0 || pin.length !== PIN_LENGTH) return;
    const sig = JSON.stringify([to, amount, pin]);
    if (attempt.current?.sig !== sig) attempt.current = { sig, key: newIdempotencyKey() };
    transfer.mutate(
      { to, amount, payment_password: pin, idempotencyKey: attempt.current.key },
      {
        onSuccess: () => {
          onDone({ amount, currency: wallet.currency, name: product?.name ?? to });
          setAmountText('');
          setPin('');
          setTouched(false);
          transfer.reset();
        },
        onError: (err) => {
          setPin('');
          if (err instanceof ApiError && err.code.startsWith('payment_password'))
            void qc.invalidateQueries({ queryKey: sessionKeys.me });
        },
      },
    );
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="md">
        <Text size="sm" c="dimmed">
          {t('move.fromWallet')}{' '}
          <Money amount={wallet.available} currency={wallet.currency} c="var(--mantine-color-text)" fw={600} />
        </Text>
        <Select
          label={t('move.to')}
          placeholder={t('move.toPlaceholder')}
          data={products.map((p) => ({ value: p.balance, label: p.name }))}
          value={to}
          onChange={setTo}
          required
          allowDeselect={false}
          error={touched && !to ? t('move.toRequired') : undefined}
          comboboxProps={{ withinPortal: true }}
        />
        <TextInput
          label={t('move.amount')}
          inputMode="decimal"
          autoComplete="off"
          required
          value={amountText}
          onChange={(e) => setAmountText(e.currentTarget.value)}
          rightSection={
            <Text size="sm" c="dimmed">
              {wallet.currency}
            </Text>
          }
          rightSectionWidth={56}
          error={amountError}
        />
        {lockedUntil ? (
          <Alert color="orange" variant="light" icon={<IconLock size={18} aria-hidden />} role="alert">
            {t('common:errors.payment_password_locked', {
              time: new Date(lockedUntil).toLocaleTimeString(i18n.language),
            })}
          </Alert>
        ) : (
          <PaymentPasswordInput
            label={t('move.pin')}
            description={t('move.pinHint')}
            value={pin}
            onChange={setPin}
            error={touched && pin.length !== PIN_LENGTH && !transfer.isError ? t('move.pinRequired') : undefined}
          />
        )}
        {transfer.isError && (
          <Alert color="red" variant="light" icon={<IconAlertCircle size={18} aria-hidden />} role="alert">
            {errorMessage(t, transfer.error, i18n.language)}
          </Alert>
        )}
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onCancel}>
            {t('move.cancel')}
          </Button>
          <Button type="submit" loading={transfer.isPending} disabled={Boolean(lockedUntil)}>
            {amount && amount > 0 && product
              ? t('move.submitAmount', {
                  amount: formatMoney(amount, wallet.currency, i18n.language),
                  name: product.name,
                })
              : t('move.submit')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
