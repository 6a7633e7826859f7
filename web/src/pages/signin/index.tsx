import { Alert, Anchor, Box, Button, Card, Center, Group, Loader, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { IconAlertCircle, IconLock, IconMailCheck } from '@tabler/icons-react';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { ApiError } from '../../api/client';
import { useConfig, useEmailLink, useMe, useSignIn } from '../../api/session';
import { LanguageSwitch } from '../../app/LanguageSwitch';
import { errorMessage } from '../../components/errors';

/** Only a path inside the portal (never another site) may be the place to go after signing in. */
// Where a customer was going when they asked for an e-mail link: the link itself opens /signin, so
// the page remembers it in this browser for the link's lifetime (15 minutes).
const NEXT_KEY = 'coffer.signin.next';
const NEXT_TTL_MS = 15 * 60_000;

function rememberNext(next: string): void {
  if (next !== '/') window.localStorage.setItem(NEXT_KEY, JSON.stringify({ next, at: Date.now() }));
}

function takeRememberedNext(): string | null {
  const raw = window.localStorage.getItem(NEXT_KEY);
  window.localStorage.removeItem(NEXT_KEY);
  try {
    const v = raw ? (JSON.parse(raw) as { next: string; at: number }) : null;
    return v && Date.now() - v.at < NEXT_TTL_MS ? safeNext(v.next) : null;
  } catch {
    return null;
  }
}

function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/signin') ? next : '/';
}

export default function SignInPage() {
  const { t } = useTranslation('signin');
  const config = useConfig().data;
  const [params] = useSearchParams();
  const token = params.get('token');
  const next = safeNext(params.get('next'));
  useDocumentTitle(config ? `${t('title')} · ${config.operator_name}` : t('title'));
  return (
    <Center mih="100dvh" p="md" bg="var(--mantine-color-gray-0)">
      <Stack w="100%" maw={440} gap="md">
        <Group justify="space-between" wrap="nowrap">
          <Text fw={700} fz="lg">
            {config?.operator_name ?? '\u00a0'}
          </Text>
          <LanguageSwitch />
        </Group>
        <Card withBorder radius="lg" p={{ base: 'lg', sm: 'xl' }} shadow="sm" component="main">
          {token ? <TokenSignIn token={token} next={next} /> : <EmailForm next={next} />}
        </Card>
        {config && <OfficialHint host={config.official_host} />}
      </Stack>
    </Center>
  );
}

function OfficialHint({ host }: { host: string }) {
  const { t } = useTranslation('signin');
  return (
    <Group gap={8} wrap="nowrap" align="flex-start" px="xs">
      <IconLock size={16} aria-hidden style={{ flexShrink: 0, marginTop: 3, color: 'var(--mantine-color-teal-7)' }} />
      <Text size="sm" c="dimmed">
        {t('officialHint', { host })}
      </Text>
    </Group>
  );
}

/** A link from the platform: spend it at once, then go where the customer was heading. */
function TokenSignIn({ token, next }: { token: string; next: string }) {
  const { t, i18n } = useTranslation('signin');
  const signIn = useSignIn();
  const navigate = useNavigate();
  const [showForm, setShowForm] = useState(false);
  const sent = useRef(false);
  useEffect(() => {
    if (sent.current) return;
    sent.current = true;
    signIn.mutate(token, {
      onSuccess: async (res) => {
        if (res.locale && res.locale !== i18n.language) await i18n.changeLanguage(res.locale);
        navigate(next === '/' ? (takeRememberedNext() ?? next) : next, { replace: true });
      },
    });
  }, [token, next, signIn, navigate, i18n]);

  if (signIn.isError) {
    const spent = signIn.error instanceof ApiError && signIn.error.status === 401;
    return (
      <Stack gap="lg">
        <Alert
          color={spent ? 'orange' : 'red'}
          variant="light"
          icon={<IconAlertCircle size={20} aria-hidden />}
          title={spent ? t('spent.title') : t('failed.title')}
          role="alert"
        >
          {spent ? t('spent.body') : errorMessage(t, signIn.error, i18n.language)}
        </Alert>
        {showForm || spent ? (
          <EmailForm next={next} compact />
        ) : (
          <Button variant="light" onClick={() => setShowForm(true)}>
            {t('spent.useEmail')}
          </Button>
        )}
      </Stack>
    );
  }
  return (
    <Stack align="center" gap="md" py="lg" aria-live="polite" aria-busy="true">
      <Loader aria-hidden />
      <Text>{t('signingIn')}</Text>
    </Stack>
  );
}

/** The fallback: a one-time link by e-mail. The answer is the same whether or not the address is known. */
function EmailForm({ next, compact = false }: { next: string; compact?: boolean }) {
  const { t, i18n } = useTranslation('signin');
  const me = useMe();
  const emailLink = useEmailLink();
  const [email, setEmail] = useState('');
  const [invalid, setInvalid] = useState(false);
  if (!compact && me.data) return <Navigate to={next} replace />;
  if (emailLink.isSuccess) {
    return (
      <Stack gap="sm" role="status" aria-live="polite">
        <Group gap="sm" wrap="nowrap">
          <IconMailCheck size={28} aria-hidden style={{ color: 'var(--mantine-color-teal-7)', flexShrink: 0 }} />
          <Title order={2} fz="h3">
            {t('sent.title')}
          </Title>
        </Group>
        <Text>{t('sent.body', { email })}</Text>
        <Anchor component="button" type="button" size="sm" onClick={() => emailLink.reset()} ta="left">
          {t('sent.again')}
        </Anchor>
      </Stack>
    );
  }
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const value = email.trim();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
      setInvalid(true);
      return;
    }
    setInvalid(false);
    rememberNext(next);
    emailLink.mutate({ email: value, locale: i18n.language });
  };
  return (
    <Box component="form" onSubmit={submit} noValidate>
      <Stack gap="md">
        {!compact && (
          <Stack gap={6}>
            <Title order={1} fz="h2">
              {t('title')}
            </Title>
            <Text c="dimmed">{t('intro')}</Text>
          </Stack>
        )}
        <TextInput
          label={t('email.label')}
          type="email"
          autoComplete="email"
          inputMode="email"
          required
          size="md"
          value={email}
          onChange={(e) => setEmail(e.currentTarget.value)}
          error={invalid ? t('email.invalid') : undefined}
          description={compact ? t('intro') : undefined}
        />
        {emailLink.isError && (
          <Alert color="red" variant="light" role="alert">
            {errorMessage(t, emailLink.error, i18n.language)}
          </Alert>
        )}
        <Button type="submit" size="md" loading={emailLink.isPending}>
          {t('email.submit')}
        </Button>
      </Stack>
    </Box>
  );
}
