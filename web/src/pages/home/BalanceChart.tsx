import { AreaChart } from '@mantine/charts';
import { Card, Text } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { Balance, HomeData } from '../../api/types';
import { formatShortDate } from '../../components/dates';
import { exponentOf } from '../../components/money';

const COLORS = ['teal.6', 'blue.6', 'grape.6', 'orange.6', 'cyan.6', 'pink.6', 'lime.7', 'indigo.6'];

/**
 * The posted balance at the end of each of the last 30 days, one line per balance. The server's
 * exact minor units become major units here only to place points on the axis.
 */
export default function BalanceChart({ chart, balances }: { chart: HomeData['chart']; balances: Balance[] }) {
  const { t, i18n } = useTranslation('home');
  const phone = useMediaQuery('(max-width: 48em)');
  const currency = balances[0]?.currency ?? '';
  const exp = exponentOf(currency);
  const keys = useMemo(
    () => balances.map((b) => b.balance).filter((k) => chart.some((row) => k in row)),
    [balances, chart],
  );
  const data = useMemo(
    () =>
      chart.map((row) => {
        const point: Record<string, number | string> = { date: formatShortDate(String(row.date), i18n.language) };
        for (const k of keys) point[k] = Number(row[k] ?? 0) / 10 ** exp;
        return point;
      }),
    [chart, keys, exp, i18n.language],
  );
  const number = new Intl.NumberFormat(i18n.language, {
    minimumFractionDigits: 0,
    maximumFractionDigits: Math.min(exp, 2),
  });
  const compact = new Intl.NumberFormat(i18n.language, { notation: 'compact', maximumFractionDigits: 1 });
  const series = keys.map((k, i) => ({
    name: k,
    label: k === 'wallet' ? t('common:balance.wallet') : (balances.find((b) => b.balance === k)?.name ?? k),
    color: COLORS[i % COLORS.length]!,
  }));
  return (
    <Card withBorder radius="lg" p="md" component="figure" m={0} aria-labelledby="chart-title">
      <Text id="chart-title" component="h2" fw={600} fz="lg" mt={0} mb={2}>
        {t('chart.title')}
      </Text>
      <Text component="figcaption" size="sm" c="dimmed" mb="md">
        {t('chart.caption', { currency })}
      </Text>
      <AreaChart
        h={phone ? 220 : 280}
        data={data}
        dataKey="date"
        series={series}
        curveType="linear"
        withLegend={series.length > 1}
        legendProps={{ verticalAlign: 'bottom', height: 40 }}
        withDots={false}
        fillOpacity={0.15}
        tickLine="none"
        gridAxis="y"
        yAxisLabel={currency}
        yAxisProps={{ width: phone ? 44 : 60, tickFormatter: (v: number) => compact.format(v) }}
        xAxisProps={{ minTickGap: 24 }}
        valueFormatter={(v) => `${number.format(v)} ${currency}`}
        accessibilityLayer
      />
    </Card>
  );
}
