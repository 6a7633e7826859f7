import path from 'node:path';
import { isKnownCurrency, parseMoneySetting, type Money } from './money/index.js';
import type { BankAccount } from './providers/manual/index.js';

/** One typed, validated configuration object built from the environment at start-up. */
export interface Config {
  databaseUrl: string | null;
  dataDir: string;
  port: number;
  host: string;
  publicUrl: string;
  sessionSecret: string | null;
  platformCurrency: string;
  minTopup: Money;
  products: { code: string; name: string }[];
  logLevel: string;
  nodeEnv: string;
  databasePoolSize: number;
  bodyLimitBytes: number;
  chargeBatchMax: number;
  chargeQueueMax: number;
  chargePipelineDepth: number;
  chargeCallsMax: number;
  holdSweepIntervalMs: number;
  apiKeyCacheMs: number;
  /** null = generated once and kept in the database */
  sandboxWebhookSecret: string | null;
  /** where the sandbox delivers its webhooks; null = PUBLIC_URL if set, else the listening address */
  sandboxWebhookUrl: string | null;
  publicUrlSet: boolean;
  /** which proxies' X-Forwarded-For to believe for the client's IP (rate limits, session records) */
  trustProxy: boolean | number | string[];
  sandboxAllowProduction: boolean;
  sandboxRetryBaseMs: number;
  bankAccounts: Record<string, BankAccount>;
  smtpUrl: string | null;
  mailFrom: string;
  jobsConcurrency: number;
  /** the name the portal shows (top bar, e-mails) */
  operatorName: string;
  /** where the portal sends customers who need help; null = not shown */
  supportEmail: string | null;
  /** portal sign-in and e-mail-link requests allowed per client IP and minute */
  portalSigninPerMinute: number;
  /** Stripe backs `card` when both keys are set */
  stripe: { secretKey: string; webhookSecret: string; apiUrl: string | null } | null;
  /** NOWPayments backs `crypto` when both keys are set */
  nowpayments: { apiKey: string; ipnSecret: string; apiUrl: string | null } | null;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

export const PRODUCT_CODE_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

type Env = Record<string, string | undefined>;

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function parseProducts(raw: string): { code: string; name: string }[] {
  const products: { code: string; name: string }[] = [];
  for (const part of raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [code, ...rest] = part.split(':');
    const name = rest.join(':').trim() || code;
    if (!PRODUCT_CODE_PATTERN.test(code) || code === 'wallet') {
      throw new ConfigError('PRODUCTS', `"${code}" is not a valid product code (lower-case slug, not "wallet")`);
    }
    if (products.some((p) => p.code === code)) throw new ConfigError('PRODUCTS', `"${code}" is listed twice`);
    products.push({ code, name });
  }
  return products;
}

/**
 * TRUST_PROXY: unset or `false` (clients connect directly), `true` (believe every hop), a number
 * of hops, or a comma-separated list of proxy addresses or CIDR ranges (`10.0.0.0/8,127.0.0.1`).
 */
function parseTrustProxy(raw: string | undefined): boolean | number | string[] {
  const value = (raw ?? '').trim();
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const list = value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  const bad = list.find((v) => !/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(v));
  if (bad)
    throw new ConfigError(
      'TRUST_PROXY',
      `"${bad}" is not an IP address or CIDR range (or use true, false or a number of hops)`,
    );
  return list;
}

export function loadConfig(env: Env = process.env): Config {
  const port = intVar(env, 'PORT', 8080, 0, 65535);
  const platformCurrency = (env.PLATFORM_CURRENCY || 'USD').toUpperCase();
  if (!isKnownCurrency(platformCurrency)) {
    throw new ConfigError('PLATFORM_CURRENCY', `"${platformCurrency}" is not a known currency code`);
  }
  let minTopup: Money;
  try {
    minTopup = parseMoneySetting(env.MIN_TOPUP || 'USD 10.00');
  } catch (err) {
    throw new ConfigError('MIN_TOPUP', `expected "<CUR> <decimal>" such as "USD 10.00" (${(err as Error).message})`);
  }
  const databaseUrl = env.DATABASE_URL || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must start with postgres:// or postgresql://');
  }
  const publicUrl = env.PUBLIC_URL || `http://localhost:${port}`;
  try {
    new URL(publicUrl);
  } catch {
    throw new ConfigError('PUBLIC_URL', `"${publicUrl}" is not a URL`);
  }
  const nodeEnv = env.NODE_ENV || 'development';
  const sessionSecret = env.SESSION_SECRET || null;
  if (nodeEnv === 'production' && !sessionSecret) {
    throw new ConfigError('SESSION_SECRET', 'must be set when NODE_ENV=production');
  }
  const sandboxAllowProduction = env.SANDBOX_ALLOW_PRODUCTION === 'true';
  if (env.SANDBOX_ALLOW_PRODUCTION && !['true', 'false'].includes(env.SANDBOX_ALLOW_PRODUCTION)) {
    throw new ConfigError('SANDBOX_ALLOW_PRODUCTION', 'must be "true" or "false"');
  }
  const sandboxWebhookUrl = env.SANDBOX_WEBHOOK_URL || null;
  if (sandboxWebhookUrl && !/^https?:\/\//.test(sandboxWebhookUrl))
    throw new ConfigError('SANDBOX_WEBHOOK_URL', 'must be an http(s) URL');
  const smtpUrl = env.SMTP_URL || null;
  if (smtpUrl && !/^smtps?:\/\//.test(smtpUrl))
    throw new ConfigError('SMTP_URL', 'must start with smtp:// or smtps://');
  const operatorName = (env.OPERATOR_NAME ?? '').trim() || 'Coffer';
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (operatorName.length > 100 || /[\u0000-\u001f\u007f]/.test(operatorName)) {
    throw new ConfigError('OPERATOR_NAME', 'must be at most 100 characters, without control characters');
  }
  const supportEmail = env.SUPPORT_EMAIL || null;
  if (supportEmail && (supportEmail.length > 320 || !/^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(supportEmail))) {
    throw new ConfigError('SUPPORT_EMAIL', `"${supportEmail}" is not an e-mail address`);
  }
  const stripe = pairOf(env, 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'STRIPE_API_URL');
  const nowpayments = pairOf(env, 'NOWPAYMENTS_API_KEY', 'NOWPAYMENTS_IPN_SECRET', 'NOWPAYMENTS_API_URL');
  return {
    databaseUrl,
    dataDir: path.resolve(env.COFFER_DATA_DIR || '.coffer'),
    port,
    host: env.HOST || '127.0.0.1',
    publicUrl: publicUrl.replace(/\/$/, ''),
    sessionSecret,
    platformCurrency,
    minTopup,
    products: parseProducts(env.PRODUCTS ?? 'whatsapp:WhatsApp,sms:SMS'),
    logLevel: env.LOG_LEVEL || 'info',
    nodeEnv,
    databasePoolSize: intVar(env, 'DATABASE_POOL_SIZE', 10, 1, 500),
    bodyLimitBytes: intVar(env, 'BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
    chargeBatchMax: intVar(env, 'CHARGE_BATCH_MAX', 256, 1, 5000),
    chargeQueueMax: intVar(env, 'CHARGE_QUEUE_MAX', 10_000, 1, 1_000_000),
    chargePipelineDepth: intVar(env, 'CHARGE_PIPELINE_DEPTH', 2, 1, 16),
    chargeCallsMax: intVar(env, 'CHARGE_CALLS_MAX', 4, 1, 64),
    holdSweepIntervalMs: intVar(env, 'HOLD_SWEEP_INTERVAL_MS', 30_000, 0, 86_400_000),
    apiKeyCacheMs: intVar(env, 'API_KEY_CACHE_MS', 10_000, 0, 3_600_000),
    sandboxWebhookSecret: env.SANDBOX_WEBHOOK_SECRET || null,
    sandboxWebhookUrl,
    publicUrlSet: Boolean(env.PUBLIC_URL),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    sandboxAllowProduction,
    sandboxRetryBaseMs: intVar(env, 'SANDBOX_RETRY_BASE_MS', 1000, 10, 600_000),
    bankAccounts: parseBankAccounts(env.BANK_ACCOUNTS),
    smtpUrl,
    mailFrom: env.MAIL_FROM || 'Coffer <no-reply@localhost>',
    jobsConcurrency: intVar(env, 'JOBS_CONCURRENCY', 2, 1, 64),
    operatorName,
    supportEmail,
    portalSigninPerMinute: intVar(env, 'PORTAL_SIGNIN_PER_MINUTE', 10, 1, 100_000),
    stripe: stripe && { secretKey: stripe.a, webhookSecret: stripe.b, apiUrl: stripe.url },
    nowpayments: nowpayments && { apiKey: nowpayments.a, ipnSecret: nowpayments.b, apiUrl: nowpayments.url },
  };
}

/**
 * Receiving accounts for bank transfers, per currency, as JSON:
 * `{"CNY": {"beneficiary": "…", "bank_name": "…", "account_number": "…", "swift": "…", "branch": "…"}}`.
 * The defaults are clearly marked samples for a demo; an operator sets their own.
 */
function parseBankAccounts(raw: string | undefined): Record<string, BankAccount> {
  if (!raw) {
    return {
      CNY: {
        beneficiary: 'Example Trading (Shanghai) Co., Ltd. — SAMPLE',
        bank_name: 'Example Bank of China, Shanghai Branch',
        account_number: '6222 0000 0000 0000 000',
        swift: 'EXAMCNSH',
        branch: 'Pudong',
      },
      USD: {
        beneficiary: 'Example Trading Ltd. — SAMPLE',
        bank_name: 'Example Bank N.A.',
        account_number: '000123456789',
        swift: 'EXAMUS33',
      },
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(
      'BANK_ACCOUNTS',
      'must be JSON: {"CNY": {"beneficiary": …, "bank_name": …, "account_number": …}}',
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ConfigError('BANK_ACCOUNTS', 'must be a JSON object keyed by currency');
  const out: Record<string, BankAccount> = {};
  for (const [currency, a] of Object.entries(parsed as Record<string, Record<string, unknown>>)) {
    if (!isKnownCurrency(currency))
      throw new ConfigError('BANK_ACCOUNTS', `"${currency}" is not a known currency code`);
    for (const field of ['beneficiary', 'bank_name', 'account_number']) {
      if (typeof a?.[field] !== 'string' || !(a[field] as string).trim())
        throw new ConfigError('BANK_ACCOUNTS', `${currency}.${field} is required`);
    }
    for (const field of ['swift', 'branch']) {
      if (a[field] !== undefined && typeof a[field] !== 'string')
        throw new ConfigError('BANK_ACCOUNTS', `${currency}.${field} must be a string`);
    }
    out[currency] = {
      beneficiary: a.beneficiary as string,
      bank_name: a.bank_name as string,
      account_number: a.account_number as string,
      swift: a.swift as string | undefined,
      branch: a.branch as string | undefined,
    };
  }
  return out;
}

/**
 * A provider is configured by two secrets together: one alone is a half-configured provider and
 * stops start-up, naming the one that is missing. Its API URL (tests point it at a local double)
 * only counts with both.
 */
function pairOf(env: Env, a: string, b: string, urlName: string): { a: string; b: string; url: string | null } | null {
  const va = env[a] || '';
  const vb = env[b] || '';
  if (!va && !vb) {
    if (env[urlName]) throw new ConfigError(urlName, `is set but ${a} and ${b} are not`);
    return null;
  }
  if (!va) throw new ConfigError(a, `must be set together with ${b}`);
  if (!vb) throw new ConfigError(b, `must be set together with ${a}`);
  const url = env[urlName] || null;
  if (url) {
    try {
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new ConfigError(urlName, `"${url}" is not an http(s) URL`);
    }
  }
  return { a: va, b: vb, url: url && url.replace(/\/$/, '') };
}
