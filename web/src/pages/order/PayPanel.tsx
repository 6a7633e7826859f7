import { Card, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Order } from '../../api/types';
import { BankPanel } from './BankPanel';
import { CardPanel } from './CardPanel';
import { CryptoPanel } from './CryptoPanel';

/** While pending: how to pay this order, by its method. */
export function PayPanel({ order }: { order: Order }) {
  const { t } = useTranslation('order');
  const action = order.next_action!;
  return (
    <Card
      withBorder
      radius="lg"
      p={{ base: 'md', sm: 'lg' }}
      component="section"
      aria-labelledby="pay-title"
      shadow="xs"
    >
      <Text id="pay-title" component="h2" fw={650} fz="lg" mt={0} mb="md">
        {t(`pay.title.${action.type}`)}
      </Text>
      {action.type === 'redirect' && <CardPanel order={order} url={action.url} />}
      {action.type === 'crypto_transfer' && <CryptoPanel order={order} action={action} />}
      {action.type === 'bank_transfer' && <BankPanel order={order} action={action} />}
    </Card>
  );
}
