import { CofferError } from '../errors.js';
import { available, type LockedAccount } from './accounts.js';

/** The revenue account that usage on a balance is credited to. */
export const revenueAccountCode = (balance: string): string => `usage_revenue:${balance}`;

export function assertCanSpend(acc: LockedAccount): void {
  if (acc.customerStatus === 'frozen') {
    throw new CofferError(
      'customer_frozen',
      'This customer is frozen: spending is blocked until the negative balance is repaid.',
      {
        customer: acc.customerId,
      },
    );
  }
}

export function assertCurrency(acc: LockedAccount, currency: string): void {
  if (currency !== acc.currency) {
    throw new CofferError(
      'currency_mismatch',
      `The amount is in ${currency} but the customer's balances are in ${acc.currency}.`,
      {
        expected: acc.currency,
        received: currency,
      },
    );
  }
}

export const insufficientFunds = (acc: LockedAccount): CofferError =>
  new CofferError('insufficient_funds', 'The balance does not have enough available funds for this amount.', {
    available: available(acc),
    currency: acc.currency,
  });
