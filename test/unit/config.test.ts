import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBeNull();
    expect(c.port).toBe(8080);
    expect(c.host).toBe('127.0.0.1');
    expect(c.publicUrl).toBe('http://localhost:8080');
    expect(c.platformCurrency).toBe('USD');
    expect(c.minTopup).toEqual({ amountMinor: 1000n, currency: 'USD' });
    expect(c.products).toEqual([
      { code: 'whatsapp', name: 'WhatsApp' },
      { code: 'sms', name: 'SMS' },
    ]);
    expect(c.dataDir.endsWith('.coffer')).toBe(true);
  });

  it('parses values', () => {
    const c = loadConfig({
      PORT: '9000',
      MIN_TOPUP: 'CNY 72.00',
      PRODUCTS: 'voice:Voice calls, ai:AI',
      PLATFORM_CURRENCY: 'eur',
      PUBLIC_URL: 'https://pay.example.com/',
    });
    expect(c.port).toBe(9000);
    expect(c.minTopup).toEqual({ amountMinor: 7200n, currency: 'CNY' });
    expect(c.products.map((p) => p.code)).toEqual(['voice', 'ai']);
    expect(c.platformCurrency).toBe('EUR');
    expect(c.publicUrl).toBe('https://pay.example.com');
    expect(loadConfig({ PRODUCTS: '' }).products).toEqual([]);
  });

  it("has sample bank accounts for CNY and USD by default, and takes the operator's own", () => {
    expect(Object.keys(loadConfig({}).bankAccounts).sort()).toEqual(['CNY', 'USD']);
    expect(loadConfig({}).bankAccounts.CNY.beneficiary).toContain('SAMPLE');
    const own = loadConfig({
      BANK_ACCOUNTS:
        '{"EUR":{"beneficiary":"Acme GmbH","bank_name":"Bank","account_number":"DE00 1234","swift":"BANKDEFF"}}',
    });
    expect(own.bankAccounts).toEqual({
      EUR: {
        beneficiary: 'Acme GmbH',
        bank_name: 'Bank',
        account_number: 'DE00 1234',
        swift: 'BANKDEFF',
        branch: undefined,
      },
    });
  });

  it.each([
    [{ PORT: 'x' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ MIN_TOPUP: '10' }, 'MIN_TOPUP'],
    [{ MIN_TOPUP: 'USD 10.001' }, 'MIN_TOPUP'],
    [{ PLATFORM_CURRENCY: 'XYZ' }, 'PLATFORM_CURRENCY'],
    [{ PRODUCTS: 'wallet:Wallet' }, 'PRODUCTS'],
    [{ PRODUCTS: 'SMS:Upper' }, 'PRODUCTS'],
    [{ PRODUCTS: 'sms:A,sms:B' }, 'PRODUCTS'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL'],
    [{ NODE_ENV: 'production' }, 'SESSION_SECRET'],
    [{ DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE'],
    [{ SANDBOX_ALLOW_PRODUCTION: 'yes' }, 'SANDBOX_ALLOW_PRODUCTION'],
    [{ SANDBOX_WEBHOOK_URL: 'ftp://x' }, 'SANDBOX_WEBHOOK_URL'],
    [{ SMTP_URL: 'http://mail' }, 'SMTP_URL'],
    [{ BANK_ACCOUNTS: 'not json' }, 'BANK_ACCOUNTS'],
    [{ BANK_ACCOUNTS: '[]' }, 'BANK_ACCOUNTS'],
    [{ BANK_ACCOUNTS: '{"XYZ":{"beneficiary":"a","bank_name":"b","account_number":"c"}}' }, 'BANK_ACCOUNTS'],
    [{ BANK_ACCOUNTS: '{"USD":{"beneficiary":"a","bank_name":"b"}}' }, 'BANK_ACCOUNTS'],
    [{ SANDBOX_RETRY_BASE_MS: '1' }, 'SANDBOX_RETRY_BASE_MS'],
  ])('refuses %j naming %s', (env, variable) => {
    let error: unknown;
    try {
      loadConfig(env as Record<string, string>);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message.startsWith(`${variable}: `)).toBe(true);
  });
});

describe('NOWPayments configuration', () => {
  const refusal = (env: Record<string, string>): ConfigError => {
    try {
      loadConfig(env);
    } catch (err) {
      return err as ConfigError;
    }
    throw new Error('expected a ConfigError');
  };

  it('is off unless both keys are set', () => {
    expect(loadConfig({}).nowpayments).toBeNull();
  });

  it('is on with both keys; the API URL defaults to NOWPayments’ own and may point elsewhere', () => {
    expect(loadConfig({ NOWPAYMENTS_API_KEY: 'np_x', NOWPAYMENTS_IPN_SECRET: 'ipn_x' }).nowpayments).toEqual({
      apiKey: 'np_x',
      ipnSecret: 'ipn_x',
      apiUrl: null,
    });
    expect(
      loadConfig({
        NOWPAYMENTS_API_KEY: 'np_x',
        NOWPAYMENTS_IPN_SECRET: 'ipn_x',
        NOWPAYMENTS_API_URL: 'https://api-sandbox.nowpayments.io/',
      }).nowpayments?.apiUrl,
    ).toBe('https://api-sandbox.nowpayments.io');
  });

  it.each([
    [{ NOWPAYMENTS_API_KEY: 'np_x' }, 'NOWPAYMENTS_IPN_SECRET'],
    [{ NOWPAYMENTS_IPN_SECRET: 'ipn_x' }, 'NOWPAYMENTS_API_KEY'],
    [{ NOWPAYMENTS_API_URL: 'http://127.0.0.1:1' }, 'NOWPAYMENTS_API_URL'],
    [
      { NOWPAYMENTS_API_KEY: 'np_x', NOWPAYMENTS_IPN_SECRET: 'ipn_x', NOWPAYMENTS_API_URL: 'ftp://x' },
      'NOWPAYMENTS_API_URL',
    ],
  ])('refuses %j naming %s, without echoing a secret', (env, variable) => {
    const err = refusal(env);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.variable).toBe(variable);
    expect(err.message.startsWith(`${variable}: `)).toBe(true);
    expect(err.message).not.toContain('np_x');
    expect(err.message).not.toContain('ipn_x');
  });

  it('TRUST_PROXY: off by default; true, a hop count or a list of addresses; anything else is refused', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
    ]);
    expect(refusal({ TRUST_PROXY: 'proxy.example' }).variable).toBe('TRUST_PROXY');
  });
});
