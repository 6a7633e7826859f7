import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { get, qs } from './client';
import type { MethodName, Order, OrderStatus, Page } from './types';

// The recharge history: GET /portal/api/topups with filters and keyset pages (newest first), and
// the same filters as a CSV download.

export const ORDER_STATUSES: OrderStatus[] = ['pending', 'processing', 'succeeded', 'failed', 'expired', 'cancelled'];
export const METHODS: MethodName[] = ['card', 'crypto', 'bank_transfer', 'balance'];
export const ORDERS_PAGE_SIZE = 20;

/** What a person chose: dates as the local calendar days `YYYY-MM-DD`, both ends included. */
export interface HistoryFilters {
  status?: string;
  method?: string;
  balance?: string;
  from?: string;
  to?: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Local midnight of a `YYYY-MM-DD` day (plus `addDays`) as ISO 8601 UTC; undefined when not a day. */
function localMidnightIso(day: string | undefined, addDays = 0): string | undefined {
  if (!day || !DAY.test(day)) return undefined;
  const [y, m, d] = day.split('-').map(Number);
  const at = new Date(y, m - 1, d + addDays);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

/** The API's filter parameters: `to` is inclusive, so the range ends before the next day's midnight. */
export function historyQuery(f: HistoryFilters): Record<string, string | undefined> {
  return {
    status: f.status,
    method: f.method,
    balance: f.balance,
    created_gte: localMidnightIso(f.from),
    created_lt: localMidnightIso(f.to, 1),
  };
}

export const historyKeys = {
  all: ['topups'] as const,
  list: (f: HistoryFilters, startingAfter: string | null) =>
    ['topups', 'list', historyQuery(f), startingAfter] as const,
};

/** One page of orders matching the filters, older than `startingAfter` (an order id) when given. */
export function useOrderHistory(f: HistoryFilters, startingAfter: string | null) {
  return useQuery({
    queryKey: historyKeys.list(f, startingAfter),
    queryFn: ({ signal }) =>
      get<Page<Order>>(
        `/portal/api/topups${qs({ ...historyQuery(f), limit: ORDERS_PAGE_SIZE, starting_after: startingAfter ?? undefined })}`,
        signal,
      ),
    placeholderData: keepPreviousData,
  });
}

/** The CSV of every order matching the filters (the server streams it; the browser downloads it). */
export function historyCsvUrl(f: HistoryFilters): string {
  return `/portal/api/topups.csv${qs(historyQuery(f))}`;
}
