import { Badge, Box, Button, Group, Paper, Skeleton, Stack, Text, Title } from '@mantine/core';
import { IconDeviceDesktop, IconDeviceMobile } from '@tabler/icons-react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { useRevokeSession, useSessions, useSignOut } from '../../api/session';
import type { SessionInfo } from '../../api/types';
import { DataError } from '../../components/DataError';
import { errorMessage } from '../../components/errors';

/** "Chrome on macOS" from a user agent; the browser or system alone when only one is known. */
export function describeDevice(ua: string | null, t: TFunction): { label: string; mobile: boolean } {
  if (!ua) return { label: t('sessions.unknownDevice'), mobile: false };
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /OPR\/|Opera/.test(ua)
      ? 'Opera'
      : /Firefox\//.test(ua)
        ? 'Firefox'
        : /(Chrome|Chromium|CriOS)\//.test(ua)
          ? 'Chrome'
          : /Safari\//.test(ua)
            ? 'Safari'
            : null;
  const os = /iPhone|iPad|iPod/.test(ua)
    ? 'iOS'
    : /Android/.test(ua)
      ? 'Android'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X|Macintosh/.test(ua)
          ? 'macOS'
          : /CrOS/.test(ua)
            ? 'ChromeOS'
            : /Linux/.test(ua)
              ? 'Linux'
              : null;
  const mobile = /Mobi|iPhone|Android/.test(ua);
  if (browser && os) return { label: t('sessions.browserOn', { browser, os }), mobile };
  return { label: browser ?? os ?? t('sessions.unknownDevice'), mobile };
}

function SessionRow({ s }: { s: SessionInfo }) {
  const { t, i18n } = useTranslation('security');
  const revoke = useRevokeSession();
  const signOut = useSignOut();
  const navigate = useNavigate();
  const device = describeDevice(s.user_agent, t);
  const when = (iso: string) =>
    new Date(iso).toLocaleString(i18n.language, { dateStyle: 'medium', timeStyle: 'short' });
  const Icon = device.mobile ? IconDeviceMobile : IconDeviceDesktop;
  const failed = revoke.error ?? signOut.error;
  return (
    <Box component="li" py="sm" style={{ borderTop: '1px solid var(--mantine-color-default-border)' }}>
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="sm">
        <Group gap="sm" wrap="nowrap" align="flex-start" miw={0} style={{ flex: '1 1 260px' }}>
          <Icon size={22} aria-hidden style={{ flexShrink: 0, marginTop: 2 }} />
          <Box miw={0}>
            <Group gap="xs">
              <Text fw={600}>{device.label}</Text>
              {s.current && (
                <Badge color="teal" variant="light" tt="none">
                  {t('sessions.thisDevice')}
                </Badge>
              )}
            </Group>
            <Text size="sm" c="dimmed">
              {t('sessions.ip', { ip: s.ip ?? t('sessions.unknown') })}
            </Text>
            <Text size="sm" c="dimmed">
              {t('sessions.signedIn', { time: when(s.created_at) })}
            </Text>
            <Text size="sm" c="dimmed">
              {t('sessions.lastActive', { time: when(s.last_seen_at) })}
            </Text>
          </Box>
        </Group>
        {s.current ? (
          <Button
            variant="default"
            size="sm"
            loading={signOut.isPending}
            onClick={() => signOut.mutate(undefined, { onSuccess: () => void navigate('/signin', { replace: true }) })}
          >
            {t('sessions.signOut')}
          </Button>
        ) : (
          <Button
            variant="light"
            color="red"
            size="sm"
            loading={revoke.isPending}
            onClick={() => revoke.mutate(s.id)}
            aria-label={t('sessions.revokeLabel', { device: device.label, time: when(s.last_seen_at) })}
          >
            {t('sessions.revoke')}
          </Button>
        )}
      </Group>
      {failed && (
        <Text size="sm" c="red" mt={4} role="alert">
          {errorMessage(t, failed, i18n.language)}
        </Text>
      )}
    </Box>
  );
}

/** Where the customer is signed in; any other session can be ended from here. */
export function Sessions() {
  const { t } = useTranslation('security');
  const sessions = useSessions();
  // This device first, then the most recently used.
  const list = [...(sessions.data?.data ?? [])].sort(
    (a, b) => Number(b.current) - Number(a.current) || b.last_seen_at.localeCompare(a.last_seen_at),
  );
  return (
    <Paper component="section" withBorder p={{ base: 'md', sm: 'lg' }} aria-labelledby="sessions-title">
      <Title order={2} fz="h3" id="sessions-title" mb={4}>
        {t('sessions.title')}
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        {t('sessions.intro')}
      </Text>
      {sessions.isPending ? (
        <Stack gap="xs" aria-hidden>
          <Skeleton h={56} />
          <Skeleton h={56} />
        </Stack>
      ) : sessions.isError ? (
        <DataError error={sessions.error} onRetry={() => void sessions.refetch()} />
      ) : (
        <Box component="ul" p={0} m={0} style={{ listStyle: 'none' }} aria-label={t('sessions.title')}>
          {list.map((s) => (
            <SessionRow key={s.id} s={s} />
          ))}
        </Box>
      )}
    </Paper>
  );
}
