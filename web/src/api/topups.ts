import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { get, post, qs, request } from './client';
import { homeKeys } from './home';
import type { MethodName, Order, PaymentMethodInfo, QuoteResult } from './types';

export const topupKeys = {
  all: ['topups'] as const,
  methods: (balance: string, currency: string) => ['payment-methods', balance, currency] as const,
  quote: (q: QuoteInput) => ['quote', q.balance, q.amount, q.currency, q.method] as const,
  order: (id: string) => ['topups', 'detail', id] as const,
};

/** Statuses after which an order never changes again (apart from refunds). */
export const FINAL_STATUSES = new Set(['succeeded', 'failed', 'expired', 'cancelled']);

export function usePaymentMethods(balance: string, currency: string) {
  return useQuery({
    queryKey: topupKeys.methods(balance, currency),
    queryFn: ({ signal }) =>
      get<{ data: PaymentMethodInfo[] }>(`/portal/api/payment-methods${qs({ balance, currency })}`, signal),
    enabled: Boolean(balance && currency),
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  });
}

export interface QuoteInput {
  balance: string;
  /** minor units of `currency` */
  amount: number;
  currency: string;
  method: MethodName;
}

/** What this top-up would cost and credit, from the server (no money logic here). `null` input = nothing to quote yet. */
export function useQuote(input: QuoteInput | null) {
  return useQuery({
    queryKey: input ? topupKeys.quote(input) : ['quote', 'none'],
    queryFn: () => post<QuoteResult>('/portal/api/quote', input),
    enabled: input !== null,
    placeholderData: keepPreviousData,
    retry: false,
    refetchOnWindowFocus: false,
    staleTime: Infinity,
  });
}

export interface CreateTopupInput extends QuoteInput {
  network?: string;
  payment_password?: string;
}

export function useCreateTopup() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ idempotencyKey, ...body }: CreateTopupInput & { idempotencyKey: string }) =>
      post<Order>('/portal/api/topups', body, idempotencyKey),
    onSuccess: (order) => {
      qc.setQueryData(topupKeys.order(order.id), order);
      void qc.invalidateQueries({ queryKey: homeKeys.all });
      void qc.invalidateQueries({ queryKey: topupKeys.all, refetchType: 'none' });
    },
  });
}

/** One order. `pollMs` polls it (the fallback when the live stream is unavailable). */
export function useOrder(id: string, pollMs: number | false = false) {
  return useQuery({
    queryKey: topupKeys.order(id),
    queryFn: ({ signal }) => get<Order>(`/portal/api/topups/${encodeURIComponent(id)}`, signal),
    refetchInterval: (q) => (pollMs && !(q.state.data && FINAL_STATUSES.has(q.state.data.status)) ? pollMs : false),
  });
}

/**
 * Follows the order live over server-sent events (`event: order`, the whole Order as data) and
 * writes each version into the query cache. Returns `true` once the stream has failed, so the
 * caller can poll instead.
 */
export function useOrderEvents(id: string, enabled: boolean): boolean {
  const qc = useQueryClient();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!enabled || typeof EventSource === 'undefined') {
      if (enabled) setFailed(true);
      return;
    }
    const source = new EventSource(`/portal/api/topups/${encodeURIComponent(id)}/events`, { withCredentials: true });
    source.addEventListener('order', (ev) => {
      try {
        const order = JSON.parse((ev as MessageEvent<string>).data) as Order;
        const before = qc.getQueryData<Order>(topupKeys.order(id));
        qc.setQueryData(topupKeys.order(id), order);
        if (before && before.status !== order.status) void qc.invalidateQueries({ queryKey: homeKeys.all });
        if (FINAL_STATUSES.has(order.status)) source.close();
      } catch {
        // a malformed message: the next one (or the poll) brings the order
      }
    });
    source.onerror = () => {
      source.close();
      setFailed(true);
    };
    return () => source.close();
  }, [id, enabled, qc]);
  return failed;
}

function useOrderAction<V>(id: string, call: (v: V) => Promise<Order | void>) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: call,
    onSuccess: (order) => {
      if (order && typeof order === 'object' && 'id' in order) qc.setQueryData(topupKeys.order(id), order);
      else void qc.invalidateQueries({ queryKey: topupKeys.order(id) });
      void qc.invalidateQueries({ queryKey: homeKeys.all });
    },
  });
}

export const useCancelTopup = (id: string) =>
  useOrderAction<void>(id, () => post<Order>(`/portal/api/topups/${encodeURIComponent(id)}/cancel`));

export const useMarkPaid = (id: string) =>
  useOrderAction<void>(id, () => post<Order>(`/portal/api/topups/${encodeURIComponent(id)}/mark_paid`));

/** Bank-transfer proof: the file itself as the body (PNG, JPEG or PDF, at most 5 MB). */
export const useUploadProof = (id: string) =>
  useOrderAction<File>(id, (file) =>
    request<void>('POST', `/portal/api/topups/${encodeURIComponent(id)}/proof`, { raw: file }),
  );

export const receiptUrl = (id: string) => `/portal/api/topups/${encodeURIComponent(id)}/receipt.pdf`;
