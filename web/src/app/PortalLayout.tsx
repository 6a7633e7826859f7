import {
  Alert,
  Anchor,
  AppShell,
  Avatar,
  Badge,
  Box,
  Button,
  Container,
  Group,
  Menu,
  Stack,
  Text,
  Tooltip,
  UnstyledButton,
} from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import {
  IconArrowLeft,
  IconChevronDown,
  IconLock,
  IconLogout,
  IconShieldLock,
  IconSnowflake,
} from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link, Outlet, useNavigate } from 'react-router';
import { useConfig, useMe, useSignOut } from '../api/session';
import type { Me, PortalConfig } from '../api/types';
import { LanguageSwitch } from './LanguageSwitch';
import { BottomNav, SideNav } from './Nav';
import classes from './layout.module.css';

/** Phones: the side bar becomes a bottom bar (phone first). */
export const PHONE_QUERY = '(max-width: 48em)';

function hostOf(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/** The frame of every signed-in page: top bar, navigation, the page itself. */
export function PortalLayout() {
  const { t } = useTranslation('layout');
  const me = useMe().data;
  const config = useConfig().data;
  const phone = useMediaQuery(PHONE_QUERY, false, { getInitialValueInEffect: false });
  if (!me || !config) return null; // RequireSession renders us only once both are loaded
  return (
    <AppShell
      header={{ height: phone ? 60 : 64 }}
      navbar={{ width: 232, breakpoint: 'sm', collapsed: { mobile: true } }}
      footer={{ height: 64, collapsed: !phone }}
      padding={phone ? 'sm' : 'lg'}
    >
      <a href="#main" className={classes.skipLink}>
        {t('skipToContent')}
      </a>
      <AppShell.Header>
        <TopBar me={me} config={config} phone={phone} />
      </AppShell.Header>
      <AppShell.Navbar p="sm" component="nav" aria-label={t('nav.label')} visibleFrom="sm">
        <SideNav />
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1} className={classes.main}>
        <Container size="md" px={0}>
          {me.customer.status === 'frozen' && (
            <Alert
              color="red"
              variant="light"
              icon={<IconSnowflake size={20} aria-hidden />}
              title={t('frozen.title')}
              mb="lg"
              role="status"
            >
              {config.support_email ? t('frozen.bodyWithEmail', { email: config.support_email }) : t('frozen.body')}
            </Alert>
          )}
          <Outlet />
        </Container>
      </AppShell.Main>
      <AppShell.Footer component="nav" aria-label={t('nav.label')} hiddenFrom="sm">
        <BottomNav />
      </AppShell.Footer>
    </AppShell>
  );
}

function TopBar({ me, config, phone }: { me: Me; config: PortalConfig; phone: boolean }) {
  const { t } = useTranslation('layout');
  const backHost = hostOf(me.return_url);
  return (
    <Group h="100%" px={phone ? 'sm' : 'lg'} justify="space-between" wrap="nowrap" gap="xs">
      <Group
        gap={phone ? 4 : 'md'}
        wrap="nowrap"
        miw={0}
        style={phone ? { flexDirection: 'column', alignItems: 'flex-start' } : undefined}
      >
        <Anchor
          component={Link}
          to="/"
          c="var(--mantine-color-text)"
          underline="never"
          fw={700}
          fz={phone ? 'md' : 'lg'}
          lh={1.2}
          truncate="end"
          maw={phone ? 180 : 260}
        >
          {config.operator_name}
        </Anchor>
        <OfficialBadge host={config.official_host} phone={phone} />
      </Group>
      <Group gap={phone ? 2 : 'xs'} wrap="nowrap">
        {backHost && !phone && (
          <Button
            component="a"
            href={me.return_url!}
            variant="subtle"
            color="gray"
            size="compact-md"
            leftSection={<IconArrowLeft size={16} aria-hidden />}
          >
            {t('backTo', { host: backHost })}
          </Button>
        )}
        <LanguageSwitch remember compact={phone} />
        <UserMenu me={me} backHost={phone ? backHost : null} />
      </Group>
    </Group>
  );
}

function OfficialBadge({ host, phone }: { host: string; phone: boolean }) {
  const { t } = useTranslation('layout');
  return (
    <Tooltip
      label={t('official.hint', { host })}
      multiline
      w={260}
      withArrow
      events={{ hover: true, focus: false, touch: true }}
    >
      <Badge
        component="span"
        variant="light"
        color="teal"
        size={phone ? 'sm' : 'md'}
        radius="sm"
        className={classes.officialBadge}
        leftSection={<IconLock size={phone ? 11 : 13} aria-hidden />}
        aria-label={t('official.label', { host })}
      >
        {phone ? host : t('official.badge', { host })}
      </Badge>
    </Tooltip>
  );
}

function UserMenu({ me, backHost }: { me: Me; backHost: string | null }) {
  const { t } = useTranslation('layout');
  const navigate = useNavigate();
  const signOut = useSignOut();
  const name = me.customer.name || me.customer.email;
  const initials = name
    .split(/[\s@.]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join('');
  const leave = () =>
    signOut.mutate(undefined, {
      onSettled: () => navigate('/signin', { replace: true }),
    });
  return (
    <Menu position="bottom-end" width={260} withinPortal>
      <Menu.Target>
        <UnstyledButton aria-label={t('userMenu', { name })} p={4} style={{ borderRadius: 'var(--mantine-radius-md)' }}>
          <Group gap={6} wrap="nowrap">
            <Avatar size={32} radius="xl" color="teal" aria-hidden>
              {initials}
            </Avatar>
            <IconChevronDown size={14} aria-hidden />
          </Group>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Box px="sm" py={6}>
          <Stack gap={0}>
            <Text fw={600} size="sm" truncate="end">
              {name}
            </Text>
            {me.customer.name && (
              <Text size="xs" c="dimmed" truncate="end">
                {me.customer.email}
              </Text>
            )}
          </Stack>
        </Box>
        <Menu.Divider />
        {backHost && (
          <Menu.Item component="a" href={me.return_url!} leftSection={<IconArrowLeft size={16} aria-hidden />}>
            {t('backTo', { host: backHost })}
          </Menu.Item>
        )}
        <Menu.Item component={Link} to="/security" leftSection={<IconShieldLock size={16} aria-hidden />}>
          {t('security')}
        </Menu.Item>
        <Menu.Item onClick={leave} leftSection={<IconLogout size={16} aria-hidden />} disabled={signOut.isPending}>
          {t('signOut')}
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
