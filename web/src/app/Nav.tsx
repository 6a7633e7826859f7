import { Box, NavLink, Stack, Text, UnstyledButton } from '@mantine/core';
import { IconCirclePlus, IconHelpCircle, IconHome, IconListDetails, IconReceipt } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router';
import classes from './layout.module.css';

const ITEMS = [
  { to: '/', key: 'home', icon: IconHome, match: (p: string) => p === '/' },
  { to: '/topup', key: 'topup', icon: IconCirclePlus, match: (p: string) => p.startsWith('/topup') },
  { to: '/orders', key: 'orders', icon: IconReceipt, match: (p: string) => p.startsWith('/orders') },
  { to: '/statement', key: 'statement', icon: IconListDetails, match: (p: string) => p.startsWith('/statement') },
  { to: '/help', key: 'help', icon: IconHelpCircle, match: (p: string) => p.startsWith('/help') },
] as const;

/** The side bar (desktop). */
export function SideNav() {
  const { t } = useTranslation('layout');
  const { pathname } = useLocation();
  return (
    <Stack component="ul" gap={4} className={classes.navList} aria-label={t('nav.label')}>
      {ITEMS.map(({ to, key, icon: Icon, match }) => {
        const active = match(pathname);
        return (
          <li key={key}>
            <NavLink
              component={Link}
              to={to}
              label={t(`nav.${key}`)}
              leftSection={<Icon size={20} stroke={1.6} aria-hidden />}
              active={active}
              aria-current={active ? 'page' : undefined}
              variant="light"
              fw={active ? 600 : 500}
              className={classes.navLink}
            />
          </li>
        );
      })}
    </Stack>
  );
}

/** The bottom bar (phones): five equal tabs, icon over label. */
export function BottomNav() {
  const { t } = useTranslation('layout');
  const { pathname } = useLocation();
  return (
    <Box component="ul" className={classes.bottomList}>
      {ITEMS.map(({ to, key, icon: Icon, match }) => {
        const active = match(pathname);
        return (
          <li key={key}>
            <UnstyledButton
              component={Link}
              to={to}
              className={classes.bottomLink}
              data-active={active || undefined}
              aria-current={active ? 'page' : undefined}
            >
              <Icon size={22} stroke={active ? 2 : 1.6} aria-hidden />
              <Text component="span" size="xs" fw={active ? 600 : 500} lh={1.2}>
                {t(`nav.${key}`)}
              </Text>
            </UnstyledButton>
          </li>
        );
      })}
    </Box>
  );
}
