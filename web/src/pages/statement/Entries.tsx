import {
  Alert,
  Anchor,
  Box,
  Button,
  Card,
  EmptyState,
  Group,
  Skeleton,
  Stack,
  Table,
  Text,
  VisuallyHidden,
} from '@mantine/core';
import { IconAlertCircle, IconListDetails } from '@tabler/icons-react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useStatement } from '../../api/statement';
import type { Entry } from '../../api/types';
import { Money } from '../../components/Money';
import { DataError } from '../../components/DataError';
import { errorMessage } from '../../components/errors';

const KNOWN_KINDS = ['topup', 'charge', 'capture', 'grant', 'hold', 'release', 'refund', 'chargeback', 'adjustment'];

/** What an entry was, in words: a transfer says which way it went by its sign. */
function kindWords(t: TFunction, e: Entry): string {
  if (e.kind === 'transfer') return t(e.amount < 0 ? 'kind.transfer_out' : 'kind.transfer_in');
  // A top-up debits the wallet when the wallet paid for a product's top-up.
  if (e.kind === 'topup' && e.amount < 0) return t('kind.topup_paid');
  return KNOWN_KINDS.includes(e.kind) ? t(`kind.${e.kind}`) : e.kind;
}

/** An order's id links to the order; any other reference (the platform's own key) is shown as is. */
function Reference({ value, short }: { value: string; short?: boolean }) {
  const { t } = useTranslation('statement');
  if (!value) return null;
  const isOrder = /^ord_[0-9a-z]{26}$/.test(value);
  // Long references are cut in the middle (the whole one is in the tooltip), so a row stays one line.
  const shown =
    short && value.length > 16
      ? `${value.slice(0, 4)}…${value.slice(-8)}`
      : value.length > 34
        ? `${value.slice(0, 18)}…${value.slice(-12)}`
        : value;
  return isOrder ? (
    <Anchor
      component={Link}
      to={`/orders/${value}`}
      ff="monospace"
      fz="xs"
      title={value}
      aria-label={t('orderLabel', { id: value })}
    >
      {shown}
    </Anchor>
  ) : (
    <Text span ff="monospace" fz="xs" c="dimmed" title={value} style={{ whiteSpace: 'nowrap' }}>
      {shown}
    </Text>
  );
}

function useDateTime() {
  const { i18n } = useTranslation();
  const fmt = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' });
  return (iso: string) => fmt.format(new Date(iso));
}

/** One balance's entries, newest first, with the balance after each; "Load more" for older ones. */
export function Entries({ balance, currency, label }: { balance: string; currency: string; label: string }) {
  const { t, i18n } = useTranslation('statement');
  const when = useDateTime();
  const q = useStatement(balance);
  const entries = q.data?.pages.flatMap((p) => p.data) ?? [];

  if (q.isPending) {
    return (
      <Stack gap="xs" aria-hidden>
        {Array.from({ length: 5 }, (_, i) => (
          <Skeleton key={i} h={44} radius="sm" />
        ))}
      </Stack>
    );
  }
  if (q.isError && entries.length === 0) {
    return <DataError error={q.error} onRetry={() => void q.refetch()} />;
  }
  if (entries.length === 0) {
    return (
      <EmptyState
        icon={<IconListDetails size={28} aria-hidden />}
        withIndicatorBackground
        title={t('empty.title')}
        description={t('empty.description')}
        py="xl"
      >
        <EmptyState.Actions>
          <Button component={Link} to={`/topup?balance=${encodeURIComponent(balance)}`} variant="light">
            {t('empty.topUp')}
          </Button>
        </EmptyState.Actions>
      </EmptyState>
    );
  }

  return (
    <Stack gap="md">
      <Table.ScrollContainer minWidth={700} visibleFrom="sm">
        <Table verticalSpacing="sm" highlightOnHover>
          <VisuallyHidden component="caption">{t('tableCaption', { balance: label })}</VisuallyHidden>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('col.date')}</Table.Th>
              <Table.Th>{t('col.description')}</Table.Th>
              <Table.Th>{t('col.reference')}</Table.Th>
              <Table.Th ta="right">{t('col.amount')}</Table.Th>
              <Table.Th ta="right">{t('col.balanceAfter')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {entries.map((e) => (
              <Table.Tr key={e.id}>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{when(e.created_at)}</Table.Td>
                <Table.Td>
                  <Text size="sm">{kindWords(t, e)}</Text>
                  {e.description && (
                    <Text size="xs" c="dimmed">
                      {e.description}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td maw={260}>
                  <Reference value={e.reference} />
                </Table.Td>
                <Table.Td ta="right">
                  <Money amount={e.amount} currency={currency} signed c={e.amount > 0 ? 'teal.8' : undefined} />
                </Table.Td>
                <Table.Td ta="right">
                  <Money amount={e.balance_after} currency={currency} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>

      <Stack
        gap="xs"
        hiddenFrom="sm"
        component="ul"
        p={0}
        m={0}
        style={{ listStyle: 'none' }}
        aria-label={t('tableCaption', { balance: label })}
      >
        {entries.map((e) => (
          <Card component="li" key={e.id} withBorder padding="sm">
            <Group justify="space-between" wrap="nowrap" align="flex-start">
              <Box miw={0}>
                <Text fw={600} size="sm">
                  {kindWords(t, e)}
                </Text>
                {e.description && (
                  <Text size="xs" c="dimmed">
                    {e.description}
                  </Text>
                )}
                <Text size="xs" c="dimmed">
                  {when(e.created_at)}
                </Text>
              </Box>
              <Money amount={e.amount} currency={currency} signed fw={600} c={e.amount > 0 ? 'teal.8' : undefined} />
            </Group>
            <Group justify="space-between" mt={6} wrap="nowrap" gap="xs">
              <Box miw={0}>
                <Reference value={e.reference} short />
              </Box>
              <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
                {t('balanceAfterLabel')}{' '}
                <Money amount={e.balance_after} currency={currency} c="var(--mantine-color-text)" />
              </Text>
            </Group>
          </Card>
        ))}
      </Stack>

      {q.isError && (
        <Alert color="red" icon={<IconAlertCircle aria-hidden />}>
          {errorMessage(t, q.error, i18n.language)}
        </Alert>
      )}
      {q.hasNextPage && (
        <Group justify="center">
          <Button variant="default" loading={q.isFetchingNextPage} onClick={() => void q.fetchNextPage()}>
            {t('loadMore')}
          </Button>
        </Group>
      )}
    </Stack>
  );
}
