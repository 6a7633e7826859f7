import {
  Alert,
  Anchor,
  Badge,
  Group,
  List,
  Paper,
  SimpleGrid,
  Skeleton,
  Stack,
  Text,
  ThemeIcon,
  Title,
} from '@mantine/core';
import {
  IconBuildingBank,
  IconClockHour4,
  IconCoinBitcoin,
  IconCreditCard,
  IconLock,
  IconMail,
  IconReceiptRefund,
  IconShieldCheck,
  IconWallet,
} from '@tabler/icons-react';
import { useEffect, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router';
import { useConfig } from '../../api/session';
import { Money } from '../../components/Money';
import { PageHeader } from '../../components/PageHeader';

// Help & security: plain answers, each section with an anchor (/help#methods, #minimum, #balance,
// #refunds, #security, #support) so a failed or stuck order can link straight to the right one.

const METHODS = [
  { id: 'card', icon: IconCreditCard },
  { id: 'crypto', icon: IconCoinBitcoin },
  { id: 'bank_transfer', icon: IconBuildingBank },
  { id: 'balance', icon: IconWallet },
] as const;

// Icons at the first line of a wrapped item, and the body's line height for the text.
const listStyles = { itemWrapper: { alignItems: 'flex-start' }, item: { lineHeight: 1.55 } } as const;

const SECTIONS = ['methods', 'minimum', 'balance', 'refunds', 'security', 'support'] as const;

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <Paper
      component="section"
      id={id}
      aria-labelledby={`${id}-title`}
      withBorder
      p={{ base: 'md', sm: 'lg' }}
      style={{ scrollMarginTop: 80 }}
    >
      <Title order={2} fz="h3" id={`${id}-title`} mb="sm">
        {title}
      </Title>
      {children}
    </Paper>
  );
}

export default function HelpPage() {
  const { t } = useTranslation('help');
  const config = useConfig();
  const { hash } = useLocation();

  // The router does not scroll to a #fragment by itself; do it once the section is on the page.
  useEffect(() => {
    if (!hash) return;
    document.getElementById(decodeURIComponent(hash.slice(1)))?.scrollIntoView({ block: 'start' });
  }, [hash, config.isSuccess]);

  const c = config.data;
  return (
    <Stack gap="lg">
      <PageHeader title={t('title')} subtitle={t('subtitle')} />

      <Group component="nav" aria-label={t('contents')} gap="xs">
        {SECTIONS.map((s) => (
          <Anchor
            key={s}
            component={Link}
            to={`#${s}`}
            size="sm"
            px="sm"
            py={4}
            bd="1px solid var(--mantine-color-default-border)"
            style={{ borderRadius: 999 }}
          >
            {t(`${s}.title`)}
          </Anchor>
        ))}
      </Group>

      <Section id="methods" title={t('methods.title')}>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
          {METHODS.map(({ id, icon: Icon }) => (
            <Paper key={id} bg="var(--mantine-color-default-hover)" p="md" radius="md">
              <Group gap="sm" wrap="nowrap" mb="xs">
                <ThemeIcon variant="light" size="lg" aria-hidden>
                  <Icon size={20} />
                </ThemeIcon>
                <Text fw={600}>{t(`common:method.${id}`)}</Text>
              </Group>
              <Badge
                variant="outline"
                color="gray"
                leftSection={<IconClockHour4 size={12} aria-hidden />}
                mb="xs"
                tt="none"
              >
                {t(`methods.${id}.time`)}
              </Badge>
              <Text size="sm">{t(`methods.${id}.how`)}</Text>
            </Paper>
          ))}
        </SimpleGrid>
      </Section>

      <Section id="minimum" title={t('minimum.title')}>
        {c ? (
          <Text>
            {t('minimum.before')} <Money amount={c.min_topup.amount} currency={c.min_topup.currency} fw={700} />{' '}
            {t('minimum.after')}
          </Text>
        ) : (
          <Skeleton h={20} w="60%" />
        )}
        <Text size="sm" c="dimmed" mt={4}>
          {t('minimum.methods')}
        </Text>
      </Section>

      <Section id="balance" title={t('balance.title')}>
        <Text>{t('balance.body')}</Text>
      </Section>

      <Section id="refunds" title={t('refunds.title')}>
        <List
          spacing="xs"
          icon={<IconReceiptRefund size={18} aria-hidden style={{ marginTop: 3 }} />}
          styles={listStyles}
        >
          <List.Item>{t('refunds.notRefundable')}</List.Item>
          <List.Item>{t('refunds.unused')}</List.Item>
          <List.Item>{t('refunds.never')}</List.Item>
        </List>
      </Section>

      <Section id="security" title={t('security.title')}>
        <Stack gap="sm">
          <Alert variant="light" color="teal" icon={<IconLock aria-hidden />} title={t('security.officialTitle')}>
            <Text size="sm">
              {t('security.official')}{' '}
              {c ? (
                <Text span fw={700} ff="monospace">
                  {c.official_host}
                </Text>
              ) : (
                <Skeleton h={14} w={140} display="inline-block" />
              )}
            </Text>
          </Alert>
          <List
            spacing="xs"
            icon={<IconShieldCheck size={18} aria-hidden style={{ marginTop: 3 }} />}
            styles={listStyles}
          >
            <List.Item>{t('security.network')}</List.Item>
            <List.Item>{t('security.receipts')}</List.Item>
            <List.Item>{t('security.password')}</List.Item>
          </List>
          <Text size="sm">
            <Anchor component={Link} to="/security">
              {t('security.manage')}
            </Anchor>
          </Text>
        </Stack>
      </Section>

      <Section id="support" title={t('support.title')}>
        {c?.support_email ? (
          <Group gap="xs" wrap="nowrap" align="flex-start">
            <IconMail size={18} aria-hidden style={{ flexShrink: 0, marginTop: 3 }} />
            <Text>
              {t('support.write')}{' '}
              <Anchor href={`mailto:${c.support_email}`} style={{ wordBreak: 'break-all' }}>
                {c.support_email}
              </Anchor>
            </Text>
          </Group>
        ) : c ? (
          <Text>{t('support.platform', { operator: c.operator_name })}</Text>
        ) : (
          <Skeleton h={20} w="50%" />
        )}
        <Text size="sm" c="dimmed" mt={4}>
          {t('support.orderId')}
        </Text>
      </Section>
    </Stack>
  );
}
