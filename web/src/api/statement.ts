import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { get, qs } from './client';
import type { Balance, Entry, HomeData, Page } from './types';

// Statements (one balance's entries, newest first, each with the posted balance after it) and the
// statement charts. Balance names come from GET /portal/api/home, the portal's list of balances.

export const STATEMENT_PAGE_SIZE = 25;

export interface StatementCharts {
  /** one row a day: `date` and the posted balance (minor units) of each balance by its code */
  balance_over_time: Array<{ date: string } & Record<string, number | string>>;
  /** what was spent from each balance over the period (minor units, positive) */
  spend_by_product: Array<{ balance: string; name: string; amount: number; currency?: string }>;
}

export const statementKeys = {
  home: ['home'] as const,
  entries: (balance: string) => ['statement', balance] as const,
  charts: (days: number) => ['statement', 'charts', days] as const,
};

/** The customer's balances (wallet first, then products), with their display names. */
export function useBalances() {
  return useQuery({
    queryKey: statementKeys.home,
    queryFn: ({ signal }) => get<HomeData>('/portal/api/home', signal),
    select: (home): Balance[] => home.balances,
    staleTime: 30_000,
  });
}

/** One balance's statement, a page at a time ("Load more" fetches the next older page). */
export function useStatement(balance: string | null) {
  return useInfiniteQuery({
    queryKey: statementKeys.entries(balance ?? ''),
    enabled: balance !== null,
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      get<Page<Entry>>(
        `/portal/api/statement${qs({ balance: balance ?? undefined, limit: STATEMENT_PAGE_SIZE, starting_after: pageParam ?? undefined })}`,
        signal,
      ),
    getNextPageParam: (last) => (last.has_more && last.data.length > 0 ? last.data[last.data.length - 1].id : null),
  });
}

export function useStatementCharts(days = 30) {
  return useQuery({
    queryKey: statementKeys.charts(days),
    queryFn: ({ signal }) => get<StatementCharts>(`/portal/api/statement/charts${qs({ days })}`, signal),
    staleTime: 60_000,
  });
}
