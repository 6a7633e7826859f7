import { Badge, Group, Radio, Stack, Text, ThemeIcon } from '@mantine/core';
import { IconBuildingBank, IconCoin, IconCreditCard, IconWallet } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { useMe } from '../../api/session';
import type { Balance, MethodName, PaymentMethodInfo } from '../../api/types';
import { formatFee, processingTimeText } from '../../components/methods';
import { formatMoney } from '../../components/money';
import { NetworkCards, NetworkWarning } from '../../components/NetworkCard';
import { PaymentPasswordInput } from '../../components/PaymentPasswordInput';
import { SetPaymentPassword } from '../../components/SetPaymentPassword';

const ICONS: Record<MethodName, typeof IconCreditCard> = {
  card: IconCreditCard,
  crypto: IconCoin,
  bank_transfer: IconBuildingBank,
  balance: IconWallet,
};

interface Props {
  methods: PaymentMethodInfo[];
  currency: string;
  value: MethodName | null;
  onChange: (m: MethodName) => void;
  network: string | null;
  onNetwork: (n: string) => void;
  networkError: string | null;
  pin: string;
  onPin: (v: string) => void;
  pinError: string | null;
  walletAvailable: Balance | null;
}

/** How: one radio card per method, with its fee, time and minimum; a method that cannot be used says why. */
export function MethodBlock(props: Props) {
  const { t } = useTranslation('topup');
  const { methods, currency, value, onChange } = props;
  const selected = methods.find((m) => m.method === value);
  return (
    <Stack gap="md" component="section" aria-labelledby="method-title">
      <Radio.Group
        value={value}
        onChange={(v) => onChange(v as MethodName)}
        label={t('method.title')}
        labelProps={{ id: 'method-title', fz: 'lg', fw: 650, mb: 'xs' }}
      >
        <Stack gap="sm">
          {methods.map((m) => (
            <MethodCard
              key={m.method}
              m={m}
              currency={currency}
              checked={m.method === value}
              wallet={props.walletAvailable}
            />
          ))}
        </Stack>
      </Radio.Group>
      {selected?.method === 'crypto' && selected.networks && selected.networks.length > 0 && (
        <Stack gap="sm">
          <NetworkCards
            networks={selected.networks}
            value={props.network}
            onChange={props.onNetwork}
            label={t('network.choose', { asset: currency })}
          />
          {props.networkError && (
            <Text c="red" size="sm" role="alert">
              {props.networkError}
            </Text>
          )}
          <NetworkWarning asset={currency} network={props.network} />
        </Stack>
      )}
      {selected?.method === 'balance' && <BalancePay pin={props.pin} onPin={props.onPin} error={props.pinError} />}
    </Stack>
  );
}

function MethodCard({
  m,
  currency,
  checked,
  wallet,
}: {
  m: PaymentMethodInfo;
  currency: string;
  checked: boolean;
  wallet: Balance | null;
}) {
  const { t, i18n } = useTranslation('topup');
  const Icon = ICONS[m.method] ?? IconCreditCard;
  const takesCurrency = m.currencies.includes(currency);
  // Usable now, or usable after switching to a currency it takes (choosing it switches).
  const selectable = m.available || !takesCurrency;
  const name = t(`common:method.${m.method}`);
  const hasFee = m.fee.percent_bps > 0 || m.fee.fixed.amount > 0;
  return (
    <Radio.Card
      value={m.method}
      radius="md"
      p="md"
      disabled={!selectable}
      checked={checked}
      aria-label={name}
      aria-describedby={`method-${m.method}-details`}
      style={{ opacity: selectable ? 1 : 0.6 }}
    >
      <Group wrap="nowrap" align="flex-start" gap="md">
        <Radio.Indicator mt={4} disabled={!selectable} />
        <ThemeIcon variant="light" color={checked ? 'teal' : 'gray'} size={40} radius="md" aria-hidden>
          <Icon size={22} stroke={1.6} />
        </ThemeIcon>
        <Stack gap={4} flex={1} miw={0}>
          <Group justify="space-between" gap="xs" wrap="wrap">
            <Text fw={650}>{name}</Text>
            {m.method === 'crypto' && m.networks && (
              <Group gap={4} visibleFrom="sm">
                {m.networks.map((n) => (
                  <Badge key={n} size="xs" variant="outline" color="gray" radius="sm">
                    {n}
                  </Badge>
                ))}
              </Group>
            )}
          </Group>
          <Stack gap={2} id={`method-${m.method}-details`}>
            {!takesCurrency ? (
              <Text size="sm" c="dimmed">
                {t('method.paysIn', { list: m.currencies.join(', ') })}
              </Text>
            ) : !m.available ? (
              <Text size="sm" c="orange.8">
                {t('method.unavailable', { currency })}
              </Text>
            ) : (
              <>
                <Group gap="md" wrap="wrap" style={{ rowGap: 2 }}>
                  <Text size="sm" c="dimmed">
                    {hasFee ? (
                      <>
                        {t('method.fee')}:{' '}
                        <Text span c="var(--mantine-color-text)" inherit>
                          {formatFee(t, m.fee, i18n.language)}
                        </Text>
                      </>
                    ) : (
                      <Text span c="var(--mantine-color-text)" inherit>
                        {t('fee.none')}
                      </Text>
                    )}
                  </Text>
                  <Text size="sm" c="dimmed">
                    {t('method.minimum')}:{' '}
                    <Text span c="var(--mantine-color-text)" inherit>
                      {formatMoney(m.minimum.amount, m.minimum.currency, i18n.language)}
                    </Text>
                  </Text>
                  {m.method === 'balance' && wallet && (
                    <Text size="sm" c="dimmed">
                      {t('method.walletAvailable')}:{' '}
                      <Text span c="var(--mantine-color-text)" inherit>
                        {formatMoney(wallet.available, wallet.currency, i18n.language)}
                      </Text>
                    </Text>
                  )}
                </Group>
                <Text size="sm" c="dimmed">
                  {t('method.time')}:{' '}
                  <Text span c="var(--mantine-color-text)" inherit>
                    {processingTimeText(t, m.processing_time)}
                  </Text>
                </Text>
              </>
            )}
          </Stack>
        </Stack>
      </Group>
    </Radio.Card>
  );
}

function BalancePay({ pin, onPin, error }: { pin: string; onPin: (v: string) => void; error: string | null }) {
  const { t, i18n } = useTranslation('topup');
  const me = useMe().data;
  if (!me) return null;
  if (!me.payment_password.set) {
    return (
      <Stack gap="sm">
        <Text size="sm">{t('balancePay.setFirst')}</Text>
        <SetPaymentPassword />
      </Stack>
    );
  }
  const locked = me.payment_password.locked_until && Date.parse(me.payment_password.locked_until) > Date.now();
  if (locked) {
    return (
      <Text c="orange.8" size="sm" role="alert">
        {t('common:errors.payment_password_locked', {
          time: new Date(me.payment_password.locked_until!).toLocaleTimeString(i18n.language),
        })}
      </Text>
    );
  }
  return (
    <PaymentPasswordInput
      label={t('balancePay.pin')}
      description={t('balancePay.pinHint')}
      value={pin}
      onChange={onPin}
      error={error}
    />
  );
}
