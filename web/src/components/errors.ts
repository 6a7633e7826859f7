import type { TFunction } from 'i18next';
import { ApiError } from '../api/client';
import { formatMoney } from './money';

/** An API error as a sentence in the chosen language (the server's message only as a last resort). */
export function errorMessage(t: TFunction, err: unknown, locale: string): string {
  if (!(err instanceof ApiError)) return t('common:errors.internal_error');
  const d = err.details as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- the details of every error code
  switch (err.code) {
    case 'amount_below_minimum':
      return t('common:errors.amount_below_minimum', {
        minimum: d.minimum ? formatMoney(d.minimum.amount, d.minimum.currency, locale) : '',
      });
    case 'payment_password_wrong':
      return t('common:errors.payment_password_wrong', { count: d.attempts_left ?? 0 });
    case 'payment_password_locked':
      return t('common:errors.payment_password_locked', {
        time: d.locked_until ? new Date(d.locked_until).toLocaleTimeString(locale) : '',
      });
    case 'invalid_request':
      return t('common:errors.invalid_request', { message: err.message });
    default: {
      const key = `common:errors.${err.code}`;
      const text = t(key);
      return text === key || text === `errors.${err.code}` ? err.message : text;
    }
  }
}
