import { Alert, Anchor, Button, Grid, Skeleton, Stack, Text } from '@mantine/core';
import { useDebouncedValue, useDocumentTitle, useMediaQuery } from '@mantine/hooks';
import { IconAlertCircle } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ApiError, newIdempotencyKey } from '../../api/client';
import { useHome } from '../../api/home';
import { sessionKeys, useConfig, useMe } from '../../api/session';
import { useCreateTopup, usePaymentMethods, useQuote, type QuoteInput } from '../../api/topups';
import type { MethodName, PaymentMethodInfo } from '../../api/types';
import { DataError } from '../../components/DataError';
import { errorMessage } from '../../components/errors';
import { Money } from '../../components/Money';
import { parseAmount } from '../../components/money';
import { PIN_LENGTH } from '../../components/PaymentPasswordInput';
import { AmountBlock } from './AmountBlock';
import { MethodBlock } from './MethodBlock';
import { QuoteCard, QuoteBar } from './QuotePanel';
import { PageHeader } from '../../components/PageHeader';

/** A method can be chosen when it works in this currency now, or by switching to a currency it takes. */
const accepts = (m: PaymentMethodInfo, currency: string) => m.currencies.includes(currency);

export default function TopupPage() {
  const { t, i18n } = useTranslation('topup');
  const [params] = useSearchParams();
  const balance = params.get('balance') || 'wallet';
  const me = useMe().data!;
  const config = useConfig().data!;
  const home = useHome();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const phone = useMediaQuery('(max-width: 48em)');

  const [currency, setCurrency] = useState(me.customer.currency);
  const [amountText, setAmountText] = useState('');
  const [method, setMethod] = useState<MethodName | null>(null);
  const [network, setNetwork] = useState<string | null>(null);
  const [pin, setPin] = useState('');
  const [tried, setTried] = useState(false);
  const attempt = useRef<{ sig: string; key: string } | null>(null);

  const balanceInfo = home.data?.balances.find((b) => b.balance === balance);
  const balanceName = balance === 'wallet' ? t('common:balance.wallet') : (balanceInfo?.name ?? balance);
  useDocumentTitle(`${t('title', { name: balanceName })} · ${config.operator_name}`);

  const methods = usePaymentMethods(balance, currency);
  const list = useMemo(() => methods.data?.data ?? [], [methods.data]);
  const selected = list.find((m) => m.method === method) ?? null;
  const currencies = useMemo(() => {
    const all = new Set<string>([me.customer.currency]);
    for (const m of list) if (m.method !== 'balance') m.currencies.forEach((c) => all.add(c));
    return [...all];
  }, [list, me.customer.currency]);

  // Keep a usable method selected: the first one that works in this currency.
  useEffect(() => {
    if (methods.isPlaceholderData || list.length === 0) return;
    if (selected && selected.available) return;
    const first = list.find((m) => m.available);
    setMethod(first ? first.method : null);
  }, [list, selected, methods.isPlaceholderData]);

  const chooseMethod = (name: MethodName) => {
    const m = list.find((x) => x.method === name);
    if (!m) return;
    if (!accepts(m, currency))
      setCurrency(m.currencies.includes(me.customer.currency) ? me.customer.currency : m.currencies[0]!);
    setMethod(name);
    setNetwork(null);
  };

  const amount = parseAmount(amountText, currency);
  const belowMinimum =
    amount !== null &&
    selected !== null &&
    selected.minimum.currency === currency &&
    amount > 0 &&
    amount < selected.minimum.amount;
  const quoteInput: QuoteInput | null =
    amount !== null && amount > 0 && selected?.available && !belowMinimum && !methods.isPlaceholderData
      ? { balance, amount, currency, method: selected.method }
      : null;
  const [debounced] = useDebouncedValue(quoteInput, 350);
  const settled =
    debounced && quoteInput && JSON.stringify(debounced) === JSON.stringify(quoteInput) ? debounced : null;
  const quote = useQuote(quoteInput ? debounced : null);
  const quoteFresh = quote.data && !quote.isPlaceholderData && settled !== null;

  const create = useCreateTopup();
  const needsNetwork = selected?.method === 'crypto' && (selected.networks?.length ?? 0) > 0;
  const needsPin = selected?.method === 'balance';
  const problems = {
    network: needsNetwork && !network ? t('network.required') : null,
    pin: needsPin && me.payment_password.set && pin.length !== PIN_LENGTH ? t('balancePay.pinRequired') : null,
    pinNotSet: needsPin && !me.payment_password.set ? t('balancePay.setFirst') : null,
  };
  const frozen = me.customer.status === 'frozen';
  // A refused payment password is said at the password field, where the next try is typed.
  const pinRefused = create.error instanceof ApiError && create.error.code.startsWith('payment_password');
  const canContinue = Boolean(quoteFresh && quoteInput && !frozen);

  const submit = () => {
    setTried(true);
    if (!quoteInput || !canContinue || problems.network || problems.pin || problems.pinNotSet) return;
    const body = {
      ...quoteInput,
      ...(needsNetwork ? { network: network! } : {}),
      ...(needsPin ? { payment_password: pin } : {}),
    };
    const sig = JSON.stringify(body);
    if (attempt.current?.sig !== sig) attempt.current = { sig, key: newIdempotencyKey() };
    create.mutate(
      { ...body, idempotencyKey: attempt.current.key },
      {
        onSuccess: (order) => navigate(`/orders/${order.id}`),
        onError: (err) => {
          setTried(false);
          if (needsPin) setPin('');
          if (err instanceof ApiError && err.code.startsWith('payment_password'))
            void qc.invalidateQueries({ queryKey: sessionKeys.me });
        },
      },
    );
  };

  if (methods.isError && !methods.data) {
    const unknown =
      methods.error instanceof ApiError && (methods.error.code === 'unknown_balance' || methods.error.status === 404);
    return unknown ? (
      <Alert
        color="orange"
        variant="light"
        icon={<IconAlertCircle size={20} aria-hidden />}
        title={t('unknownBalance.title')}
      >
        <Text size="sm" mb="sm">
          {t('unknownBalance.body', { balance })}
        </Text>
        <Anchor component={Link} to="/">
          {t('unknownBalance.home')}
        </Anchor>
      </Alert>
    ) : (
      <DataError error={methods.error} onRetry={() => void methods.refetch()} />
    );
  }

  const quoteProps = {
    quote,
    quoteInput,
    fresh: Boolean(quoteFresh),
    waiting: Boolean(quoteInput) && !quoteFresh && !quote.isError,
    belowMinimum: belowMinimum ? selected!.minimum : null,
    method: selected,
    onContinue: submit,
    pending: create.isPending,
    canContinue,
    frozen,
    submitError:
      create.isError && !pinRefused
        ? errorMessage(t, create.error, i18n.language)
        : tried && !pinRefused
          ? (problems.network ?? problems.pin ?? problems.pinNotSet)
          : null,
  };

  return (
    <Stack gap="lg" pb={phone ? 0 : undefined}>
      <PageHeader
        title={t('title', { name: balanceName })}
        subtitle={
          balanceInfo && (
            <>
              {t('currentBalance')}{' '}
              <Money
                amount={balanceInfo.available}
                currency={balanceInfo.currency}
                fw={600}
                c="var(--mantine-color-text)"
              />
            </>
          )
        }
      />
      <Grid gap="lg">
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack gap="lg">
            <AmountBlock
              amountText={amountText}
              onAmountText={setAmountText}
              currency={currency}
              currencies={currencies}
              onCurrency={(c) => setCurrency(c)}
              minimum={selected?.minimum ?? null}
              belowMinimum={belowMinimum}
            />
            {methods.isPending ? (
              <Stack gap="sm" aria-busy="true">
                <Skeleton h={24} w={160} />
                <Skeleton h={92} radius="md" />
                <Skeleton h={92} radius="md" />
              </Stack>
            ) : (
              <MethodBlock
                methods={list}
                currency={currency}
                value={method}
                onChange={chooseMethod}
                network={network}
                onNetwork={setNetwork}
                networkError={tried ? problems.network : null}
                pin={pin}
                onPin={(v) => {
                  setPin(v);
                  if (pinRefused) create.reset();
                }}
                pinError={pinRefused ? errorMessage(t, create.error, i18n.language) : tried ? problems.pin : null}
                walletAvailable={home.data?.balances.find((b) => b.balance === 'wallet') ?? null}
              />
            )}
          </Stack>
        </Grid.Col>
        {!phone && (
          <Grid.Col span={{ base: 12, md: 5 }}>
            <div style={{ position: 'sticky', top: 'calc(var(--app-shell-header-offset, 0px) + 16px)' }}>
              <QuoteCard {...quoteProps} />
            </div>
          </Grid.Col>
        )}
      </Grid>
      {phone && <QuoteBar {...quoteProps} />}
      {!phone && (
        <Button component={Link} to="/help" variant="subtle" color="gray" size="compact-sm" w="fit-content">
          {t('helpLink')}
        </Button>
      )}
    </Stack>
  );
}
