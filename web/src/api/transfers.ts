import { useMutation, useQueryClient } from '@tanstack/react-query';
import { post } from './client';
import { homeKeys } from './home';

export interface TransferInput {
  /** the product balance receiving the money (always from the wallet) */
  to: string;
  /** minor units of the customer's currency */
  amount: number;
  payment_password: string;
}

export interface Transfer {
  id: string;
  from: string;
  to: string;
  amount: number;
  currency: string;
}

/** Wallet → product. The caller passes one idempotency key per attempt (a retried click never moves twice). */
export function useCreateTransfer() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ idempotencyKey, ...body }: TransferInput & { idempotencyKey: string }) =>
      post<Transfer>('/portal/api/transfers', body, idempotencyKey),
    onSuccess: () => qc.invalidateQueries({ queryKey: homeKeys.all }),
  });
}
