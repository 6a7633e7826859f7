import { Alert, Button, Card, Divider, Group, Paper, Skeleton, Stack, Text } from '@mantine/core';
import { IconAlertCircle, IconClock, IconLock } from '@tabler/icons-react';
import type { UseQueryResult } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import type { QuoteInput } from '../../api/topups';
import type { MoneyValue, PaymentMethodInfo, QuoteResult } from '../../api/types';
import { errorMessage } from '../../components/errors';
import { Money } from '../../components/Money';
import { formatMoney } from '../../components/money';
import { formatClock, useCountdown } from '../../components/useCountdown';

export interface QuoteProps {
  quote: UseQueryResult<QuoteResult>;
  quoteInput: QuoteInput | null;
  fresh: boolean;
  waiting: boolean;
  belowMinimum: MoneyValue | null;
  method: PaymentMethodInfo | null;
  onContinue: () => void;
  pending: boolean;
  canContinue: boolean;
  frozen: boolean;
  submitError: string | null;
}

/** "1 USD = 7.20 CNY", as the server quoted it (base and quote currencies of the rate used). */
export function rateText(q: Pick<QuoteResult, 'fx'>): string | null {
  return q.fx ? `1 ${q.fx.base} = ${q.fx.rate} ${q.fx.quote}` : null;
}

/** Refreshes the quote when it runs out; returns the seconds left. */
function useQuoteClock(p: QuoteProps): number | null {
  const left = useCountdown(p.fresh ? p.quote.data?.valid_until : null);
  const { refetch } = p.quote;
  useEffect(() => {
    if (left === 0 && p.fresh) void refetch();
  }, [left, p.fresh, refetch]);
  return left;
}

function continueLabel(t: TFunction, p: QuoteProps): string {
  return p.method?.method === 'balance' ? t('quote.payFromWallet') : t('quote.continue');
}

function Row({ label, children, strong }: { label: string; children: React.ReactNode; strong?: boolean }) {
  return (
    <Group justify="space-between" wrap="nowrap" gap="sm">
      <Text size="sm" c={strong ? undefined : 'dimmed'} fw={strong ? 600 : undefined}>
        {label}
      </Text>
      <Text size={strong ? 'md' : 'sm'} fw={strong ? 700 : 500} ta="right">
        {children}
      </Text>
    </Group>
  );
}

/** What the quote area says instead of a quote (below the minimum, nothing to quote, an error); null when a quote shows. */
function quoteState(t: TFunction, locale: string, p: QuoteProps): React.ReactNode {
  if (p.belowMinimum) {
    return (
      <Text size="sm" c="orange.8">
        {t('common:errors.amount_below_minimum', {
          minimum: formatMoney(p.belowMinimum.amount, p.belowMinimum.currency, locale),
        })}
      </Text>
    );
  }
  if (!p.quoteInput) {
    return (
      <Text size="sm" c="dimmed">
        {t('quote.empty')}
      </Text>
    );
  }
  if (p.quote.isError && !p.waiting) {
    return (
      <Alert color="orange" variant="light" icon={<IconAlertCircle size={18} aria-hidden />} p="xs">
        <Text size="sm">{errorMessage(t, p.quote.error, locale)}</Text>
      </Alert>
    );
  }
  return null;
}

/** The quote beside the form (desktop). */
export function QuoteCard(p: QuoteProps) {
  const { t, i18n } = useTranslation('topup');
  const left = useQuoteClock(p);
  const q = p.quote.data;
  const rate = q ? rateText(q) : null;
  const state = quoteState(t, i18n.language, p);
  return (
    <Card withBorder radius="lg" p="lg" component="section" aria-labelledby="quote-title" shadow="xs">
      <Stack gap="sm">
        <Text id="quote-title" component="h2" fw={650} fz="lg" m={0}>
          {t('quote.title')}
        </Text>
        <div aria-live="polite" aria-atomic="true">
          {state ??
            (q && (!p.waiting || p.quote.isPlaceholderData) ? (
              <Stack gap={8} style={{ opacity: p.fresh ? 1 : 0.5, transition: 'opacity 120ms' }}>
                <Row label={t('quote.amount')}>
                  <Money amount={q.amount.amount} currency={q.amount.currency} />
                </Row>
                <Row label={t('quote.fee')}>
                  <Money amount={q.fee.amount} currency={q.fee.currency} />
                </Row>
                <Divider />
                <Row label={t('quote.youPay')} strong>
                  <Money amount={q.pay.amount} currency={q.pay.currency} fz="lg" data-testid="quote-pay" />
                </Row>
                <Row label={t('quote.youReceive')} strong>
                  <Money amount={q.credit.amount} currency={q.credit.currency} c="teal.8" data-testid="quote-credit" />
                </Row>
                {rate && <Row label={t('quote.rate')}>{rate}</Row>}
              </Stack>
            ) : (
              <Stack gap={10} aria-busy="true">
                <Skeleton h={14} />
                <Skeleton h={14} />
                <Skeleton h={20} />
                <Skeleton h={20} />
              </Stack>
            ))}
        </div>
        {p.fresh && left !== null && left > 0 && (
          <Group gap={6}>
            <IconClock size={15} aria-hidden style={{ color: 'var(--mantine-color-dimmed)' }} />
            <Text size="xs" c="dimmed" style={{ fontVariantNumeric: 'tabular-nums' }}>
              {t('quote.validFor', { time: formatClock(left) })}
            </Text>
          </Group>
        )}
        {p.submitError && (
          <Alert color="red" variant="light" icon={<IconAlertCircle size={18} aria-hidden />} role="alert" p="xs">
            <Text size="sm">{p.submitError}</Text>
          </Alert>
        )}
        <Button size="md" fullWidth onClick={p.onContinue} loading={p.pending} disabled={!p.canContinue}>
          {continueLabel(t, p)}
        </Button>
        {p.frozen ? (
          <Text size="xs" c="red.8">
            {t('quote.frozen')}
          </Text>
        ) : (
          <Group gap={6} wrap="nowrap" align="flex-start">
            <IconLock
              size={14}
              aria-hidden
              style={{ flexShrink: 0, marginTop: 2, color: 'var(--mantine-color-dimmed)' }}
            />
            <Text size="xs" c="dimmed">
              {t(`quote.hint.${p.method?.method ?? 'card'}`)}
            </Text>
          </Group>
        )}
      </Stack>
    </Card>
  );
}

/** The quote as a sticky bar above the bottom navigation (phones). */
export function QuoteBar(p: QuoteProps) {
  const { t, i18n } = useTranslation('topup');
  const left = useQuoteClock(p);
  const q = p.quote.data;
  const rate = q ? rateText(q) : null;
  const state = quoteState(t, i18n.language, p);
  return (
    <Paper
      component="section"
      aria-label={t('quote.title')}
      shadow="md"
      p="sm"
      radius={0}
      withBorder
      style={{
        position: 'sticky',
        bottom: 'var(--app-shell-footer-offset, 0px)',
        zIndex: 50,
        marginInline: 'calc(var(--mantine-spacing-sm) * -1)',
        marginBottom: 'calc(var(--mantine-spacing-sm) * -1)',
        borderLeft: 0,
        borderRight: 0,
        borderBottom: 0,
      }}
    >
      <Stack gap={6}>
        <div aria-live="polite" aria-atomic="true">
          {state ??
            (q ? (
              <Stack gap={2} style={{ opacity: p.fresh ? 1 : 0.5 }}>
                <Group justify="space-between" wrap="nowrap">
                  <Text size="sm" fw={600}>
                    {t('quote.youPay')}
                  </Text>
                  <Money amount={q.pay.amount} currency={q.pay.currency} fw={700} fz="lg" />
                </Group>
                <Group justify="space-between" wrap="nowrap">
                  <Text size="xs" c="dimmed">
                    {t('quote.fee')} <Money amount={q.fee.amount} currency={q.fee.currency} />
                  </Text>
                  <Text size="xs" c="dimmed">
                    {t('quote.youReceive')}{' '}
                    <Money amount={q.credit.amount} currency={q.credit.currency} c="teal.8" fw={600} />
                  </Text>
                </Group>
                {(rate || (p.fresh && left)) && (
                  <Text size="xs" c="dimmed" style={{ fontVariantNumeric: 'tabular-nums' }}>
                    {[rate, p.fresh && left ? t('quote.validFor', { time: formatClock(left) }) : null]
                      .filter(Boolean)
                      .join(' · ')}
                  </Text>
                )}
              </Stack>
            ) : (
              <Skeleton h={40} aria-busy="true" />
            ))}
        </div>
        {p.submitError && (
          <Text size="sm" c="red.8" role="alert">
            {p.submitError}
          </Text>
        )}
        <Button size="md" fullWidth onClick={p.onContinue} loading={p.pending} disabled={!p.canContinue}>
          {continueLabel(t, p)}
        </Button>
      </Stack>
    </Paper>
  );
}
