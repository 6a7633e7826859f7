import type { Config } from '../config.js';
import { CURRENCIES } from '../money/index.js';

export const PORTAL_LOCALES = ['en', 'zh-CN'] as const;

/** `GET /portal/api/config`: what the sign-in page needs before anyone is signed in. Nothing secret. */
export function portalConfig(config: Config) {
  return {
    operator_name: config.operatorName,
    public_url: config.publicUrl,
    official_host: new URL(config.publicUrl).host,
    support_email: config.supportEmail,
    min_topup: { amount: config.minTopup.amountMinor, currency: config.minTopup.currency },
    currencies: Object.fromEntries([...CURRENCIES.values()].map((c) => [c.code, c.exponent])),
    locales: [...PORTAL_LOCALES],
  };
}
