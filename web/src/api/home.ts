import { useQuery } from '@tanstack/react-query';
import { get } from './client';
import type { HomeData } from './types';

export const homeKeys = { all: ['home'] as const };

/** Balances, recent activity and the 30-day chart. Refreshes by itself (every 10 s and on focus). */
export function useHome() {
  return useQuery({
    queryKey: homeKeys.all,
    queryFn: ({ signal }) => get<HomeData>('/portal/api/home', signal),
    refetchInterval: 10_000,
    refetchOnWindowFocus: true,
  });
}

/** Balance code → its name (products), from the same cached Home data, without the Home page's polling. */
export function useBalanceNames() {
  return useQuery({
    queryKey: homeKeys.all,
    queryFn: ({ signal }) => get<HomeData>('/portal/api/home', signal),
    staleTime: 60_000,
    select: (d) => Object.fromEntries(d.balances.map((b) => [b.balance, b.name])) as Record<string, string>,
  });
}
