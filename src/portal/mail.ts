import { sql } from 'kysely';
import type { Config } from '../config.js';
import type { Db } from '../db/pool.js';
import type { PortalLocale } from '../db/schema.js';
import type { MailMessage } from '../mail/index.js';
import { linkToken, linkUrl, type LinkPurpose } from './links.js';

type Texts = {
  subject: string;
  greeting: (name: string | null) => string;
  body: string;
  action: string;
  expiry: string;
  ignore: string;
};

const TEXTS: Record<LinkPurpose, Record<PortalLocale, Texts>> = {
  signin: {
    en: {
      subject: 'Your sign-in link for {operator}',
      greeting: (name) => (name ? `Hello ${name},` : 'Hello,'),
      body: 'Someone (hopefully you) asked to sign in to {operator}. Use this link to sign in:',
      action: 'Sign in',
      expiry: 'The link works once, within 15 minutes.',
      ignore: 'If you did not ask for it, ignore this e-mail: nobody can sign in without the link.',
    },
    'zh-CN': {
      subject: '您的 {operator} 登录链接',
      greeting: (name) => (name ? `${name}，您好：` : '您好：'),
      body: '有人（希望是您本人）请求登录 {operator}。请使用以下链接登录：',
      action: '登录',
      expiry: '该链接仅可使用一次，15 分钟内有效。',
      ignore: '如果不是您本人操作，请忽略此邮件：没有该链接任何人都无法登录。',
    },
  },
  pin_reset: {
    en: {
      subject: 'Reset your payment password at {operator}',
      greeting: (name) => (name ? `Hello ${name},` : 'Hello,'),
      body: 'You asked to reset the payment password you use for wallet payments. Use this link to set a new one:',
      action: 'Set a new payment password',
      expiry: 'The link works once, within 15 minutes, in the browser where you are signed in.',
      ignore: 'If you did not ask for it, ignore this e-mail; your payment password stays as it is.',
    },
    'zh-CN': {
      subject: '重置您在 {operator} 的支付密码',
      greeting: (name) => (name ? `${name}，您好：` : '您好：'),
      body: '您申请重置用于余额支付的支付密码。请使用以下链接设置新密码：',
      action: '设置新的支付密码',
      expiry: '该链接仅可使用一次，15 分钟内有效，请在已登录的浏览器中打开。',
      ignore: '如果不是您本人操作，请忽略此邮件，您的支付密码不会改变。',
    },
  },
};

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function linkMessage(
  purpose: LinkPurpose,
  locale: PortalLocale,
  operator: string,
  to: { email: string; name: string | null },
  url: string,
): MailMessage {
  const t = TEXTS[purpose][locale];
  const fill = (s: string) => s.replaceAll('{operator}', operator);
  const text = [t.greeting(to.name), '', fill(t.body), '', url, '', t.expiry, t.ignore, ''].join('\n');
  const e = escapeHtml;
  const html = [
    '<!doctype html>',
    `<html lang="${locale}"><body>`,
    `<p>${e(t.greeting(to.name))}</p>`,
    `<p>${e(fill(t.body))}</p>`,
    `<p><a href="${e(url)}">${e(t.action)}</a></p>`,
    `<p>${e(t.expiry)}<br>${e(t.ignore)}</p>`,
    '</body></html>',
    '',
  ].join('\n');
  return { to: to.email, subject: fill(t.subject), text, html };
}

/**
 * The outbox's renderers of the portal's mail kinds: the link is rebuilt from its id (the token is
 * never stored). A link already spent or expired sends nothing.
 */
export function portalMailRenderers(db: Db, config: Pick<Config, 'publicUrl' | 'operatorName'>, secret: string) {
  const render =
    (purpose: LinkPurpose) =>
    async (linkId: string): Promise<MailMessage | null> => {
      const row = await db
        .selectFrom('portal_links as l')
        .innerJoin('customers as c', 'c.id', 'l.customer_id')
        .select(['l.id', 'l.locale', 'c.email', 'c.name', 'c.locale as customer_locale'])
        .where('l.id', '=', linkId)
        .where('l.purpose', '=', purpose)
        .where('l.used_at', 'is', null)
        .where('l.expires_at', '>', sql<Date>`now()`)
        .executeTakeFirst();
      if (!row) return null;
      const locale = row.locale ?? row.customer_locale ?? 'en';
      const url = linkUrl(config, purpose, linkToken(secret, row.id));
      return linkMessage(purpose, locale, config.operatorName, { email: row.email, name: row.name }, url);
    };
  return { portal_signin: render('signin'), portal_pin_reset: render('pin_reset') };
}
