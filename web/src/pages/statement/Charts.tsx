import { AreaChart, BarChart } from '@mantine/charts';
import { Card, Grid, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useStatementCharts, type StatementCharts as StatementChartsData } from '../../api/statement';
import type { Balance } from '../../api/types';
import { DataError } from '../../components/DataError';
import { formatAmount, formatMoney } from '../../components/money';

const COLORS = ['teal.6', 'blue.6', 'violet.6', 'orange.6', 'grape.6', 'cyan.6', 'pink.6', 'lime.7'];
const DAYS = 30;

// Values stay in minor units (exact integers); only the labels are formatted, in major units with
// the currency's decimals. Ticks that recharts puts between integers are rounded for display.
const axis = (currency: string, locale: string) => (v: number) => formatAmount(Math.round(v), currency, locale);
const tooltip = (currency: string, locale: string) => (v: number) => formatMoney(Math.round(v), currency, locale);

function dayLabel(locale: string) {
  const fmt = new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric' });
  return (day: string) => {
    const [y, m, d] = day.split('-').map(Number);
    return y ? fmt.format(new Date(y, m - 1, d)) : day;
  };
}

/** Balance over the last 30 days (one chart per currency) and what was spent from each balance. */
export function StatementCharts({ balances, nameOf }: { balances: Balance[]; nameOf: (b: Balance) => string }) {
  const { t } = useTranslation('statement');
  const charts = useStatementCharts(DAYS);

  if (charts.isPending) {
    return (
      <Grid aria-hidden>
        <Grid.Col span={{ base: 12, md: 8 }}>
          <Skeleton h={300} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 4 }}>
          <Skeleton h={300} />
        </Grid.Col>
      </Grid>
    );
  }
  if (charts.isError) {
    return <DataError title={t('charts.error')} error={charts.error} onRetry={() => void charts.refetch()} />;
  }

  const currencies = [...new Set(balances.map((b) => b.currency))];
  const currencyOf = (code: string) => balances.find((b) => b.balance === code)?.currency ?? currencies[0] ?? '';
  const spend = charts.data.spend_by_product
    .filter((s) => s.amount > 0)
    .map((s) => ({ ...s, currency: s.currency ?? currencyOf(s.balance) }));

  return (
    <Grid gap="md">
      <Grid.Col span={{ base: 12, md: 8 }}>
        <Stack gap="md">
          {currencies.map((currency) => (
            <BalanceOverTime
              key={currency}
              currency={currency}
              rows={charts.data.balance_over_time}
              balances={balances.filter((b) => b.currency === currency)}
              nameOf={nameOf}
            />
          ))}
        </Stack>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 4 }}>
        <SpendPerProduct spend={spend} />
      </Grid.Col>
    </Grid>
  );
}

type Rows = StatementChartsData['balance_over_time'];

function BalanceOverTime({
  currency,
  rows,
  balances,
  nameOf,
}: {
  currency: string;
  rows: Rows;
  balances: Balance[];
  nameOf: (b: Balance) => string;
}) {
  const { t, i18n } = useTranslation('statement');
  const locale = i18n.language;
  const series = balances.map((b, i) => ({ name: b.balance, label: nameOf(b), color: COLORS[i % COLORS.length] }));
  const empty = rows.length === 0 || rows.every((r) => series.every((s) => !Number(r[s.name] ?? 0)));
  return (
    <Card withBorder padding="md">
      <Title order={2} fz="md" mb={4}>
        {t('charts.balanceOverTime', { currency })}
      </Title>
      <Text size="xs" c="dimmed" mb="sm">
        {t('charts.balanceOverTimeHint', { days: DAYS })}
      </Text>
      {empty ? (
        <Text c="dimmed" size="sm" py="xl" ta="center">
          {t('charts.noBalance')}
        </Text>
      ) : (
        <AreaChart
          h={240}
          data={rows}
          dataKey="date"
          series={series}
          curveType="stepAfter"
          withDots={false}
          withLegend={series.length > 1}
          fillOpacity={0.15}
          valueFormatter={tooltip(currency, locale)}
          yAxisProps={{ tickFormatter: axis(currency, locale), width: 72, allowDecimals: false }}
          xAxisProps={{ tickFormatter: dayLabel(locale) }}
          yAxisLabel={currency}
          aria-label={t('charts.balanceOverTime', { currency })}
        />
      )}
    </Card>
  );
}

function SpendPerProduct({
  spend,
}: {
  spend: Array<{ balance: string; name: string; amount: number; currency: string }>;
}) {
  const { t, i18n } = useTranslation('statement');
  const locale = i18n.language;
  const currencies = [...new Set(spend.map((s) => s.currency))];
  return (
    <Card withBorder padding="md" h="100%">
      <Title order={2} fz="md" mb={4}>
        {t('charts.spendByProduct')}
      </Title>
      <Text size="xs" c="dimmed" mb="sm">
        {t('charts.spendHint', { days: DAYS })}
      </Text>
      {spend.length === 0 ? (
        <Text c="dimmed" size="sm" py="xl" ta="center">
          {t('charts.noSpend')}
        </Text>
      ) : (
        currencies.map((currency) => {
          const data = spend
            .filter((s) => s.currency === currency)
            .map((s) => ({ name: s.name || s.balance, amount: s.amount }));
          return (
            <BarChart
              key={currency}
              h={Math.max(120, 56 * data.length + 40)}
              data={data}
              dataKey="name"
              orientation="vertical"
              series={[{ name: 'amount', label: t('charts.spent', { currency }), color: 'teal.6' }]}
              valueFormatter={tooltip(currency, locale)}
              xAxisProps={{ tickFormatter: axis(currency, locale), allowDecimals: false, tickCount: 4 }}
              yAxisProps={{ width: 90 }}
              xAxisLabel={currency}
              aria-label={t('charts.spendByProduct')}
            />
          );
        })
      )}
    </Card>
  );
}
