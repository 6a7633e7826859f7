import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, del, get, post, put, setCsrfToken } from './client';
import type { Me, PortalConfig, SessionInfo } from './types';

export const sessionKeys = { me: ['me'] as const, config: ['config'] as const, sessions: ['sessions'] as const };

export function useConfig() {
  return useQuery({
    queryKey: sessionKeys.config,
    queryFn: () => get<PortalConfig>('/portal/api/config'),
    staleTime: 5 * 60_000,
  });
}

/** The signed-in customer; `null` when there is no session (401). */
export function useMe() {
  return useQuery({
    queryKey: sessionKeys.me,
    queryFn: async () => {
      try {
        const me = await get<Me>('/portal/api/me');
        setCsrfToken(me.csrf_token);
        return me;
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) {
          setCsrfToken(null);
          return null;
        }
        throw err;
      }
    },
    staleTime: 60_000,
  });
}

export function useSignIn() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (token: string) =>
      post<{ return_url: string | null; locale: string | null }>('/portal/api/signin', { token }),
    onSuccess: () => qc.invalidateQueries({ queryKey: sessionKeys.me }),
  });
}

export function useEmailLink() {
  return useMutation({
    mutationFn: (v: { email: string; locale?: string }) => post<{ sent: boolean }>('/portal/api/signin/email', v),
  });
}

export function useSignOut() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => post<void>('/portal/api/signout'),
    onSuccess: () => {
      setCsrfToken(null);
      qc.clear();
    },
  });
}

export function useSessions() {
  return useQuery({
    queryKey: sessionKeys.sessions,
    queryFn: () => get<{ data: SessionInfo[] }>('/portal/api/sessions'),
  });
}

export function useRevokeSession() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => del<void>(`/portal/api/sessions/${id}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: sessionKeys.sessions }),
  });
}

export function useSaveLocale() {
  return useMutation({ mutationFn: (locale: string) => put<{ locale: string }>('/portal/api/locale', { locale }) });
}

export function useSetPaymentPassword() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { new_password: string; current_password?: string; reset_token?: string }) =>
      post<void>('/portal/api/payment-password', v),
    onSuccess: () => qc.invalidateQueries({ queryKey: sessionKeys.me }),
  });
}

export function usePaymentPasswordResetLink() {
  return useMutation({ mutationFn: () => post<void>('/portal/api/payment-password/reset') });
}
