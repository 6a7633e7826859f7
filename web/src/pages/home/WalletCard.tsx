import { Button, Card, Group, Stack, Text } from '@mantine/core';
import { IconArrowsRightLeft, IconPlus, IconWallet } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { Balance } from '../../api/types';
import { Money } from '../../components/Money';

interface Props {
  wallet: Balance;
  canMove: boolean;
  onMove: () => void;
}

/** The wallet first: what can be spent, large; what is held and posted, small. */
export function WalletCard({ wallet, canMove, onMove }: Props) {
  const { t } = useTranslation('home');
  return (
    <Card
      withBorder
      radius="lg"
      p={{ base: 'md', sm: 'xl' }}
      component="section"
      aria-labelledby="wallet-title"
      shadow="xs"
    >
      <Stack gap="lg">
        <Group gap="xs">
          <IconWallet size={22} aria-hidden style={{ color: 'var(--mantine-color-teal-7)' }} />
          <Text id="wallet-title" component="h2" fw={600} fz="lg" m={0}>
            {t('wallet.title')}
          </Text>
        </Group>
        <div>
          <Text size="sm" c="dimmed">
            {t('available')}
          </Text>
          <Money
            amount={wallet.available}
            currency={wallet.currency}
            fz={{ base: 34, sm: 44 }}
            fw={700}
            lh={1.15}
            inline={false}
            data-testid="wallet-available"
          />
          <Group gap="xl" mt={6}>
            <Text size="sm" c="dimmed">
              {t('held')} <Money amount={wallet.held} currency={wallet.currency} c="var(--mantine-color-text)" />
            </Text>
            <Text size="sm" c="dimmed">
              {t('posted')} <Money amount={wallet.posted} currency={wallet.currency} c="var(--mantine-color-text)" />
            </Text>
          </Group>
        </div>
        <Group gap="sm" grow preventGrowOverflow={false} wrap="wrap">
          <Button
            component={Link}
            to="/topup?balance=wallet"
            size="md"
            leftSection={<IconPlus size={18} aria-hidden />}
            miw={160}
          >
            {t('wallet.topUp')}
          </Button>
          {canMove && (
            <Button
              variant="default"
              size="md"
              onClick={onMove}
              leftSection={<IconArrowsRightLeft size={18} aria-hidden />}
              miw={160}
            >
              {t('wallet.move')}
            </Button>
          )}
        </Group>
      </Stack>
    </Card>
  );
}
