import { Button, Card, Group, SimpleGrid, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { Balance } from '../../api/types';
import { Money } from '../../components/Money';

/** One card per product balance: its name, what is available, and a Top up. */
export function ProductCards({ products }: { products: Balance[] }) {
  const { t } = useTranslation('home');
  return (
    <section aria-labelledby="products-title">
      <Text id="products-title" component="h2" fw={600} fz="lg" mb="sm" mt={0}>
        {t('products.title')}
      </Text>
      <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} spacing="sm">
        {products.map((p) => (
          <Card key={p.balance} withBorder radius="lg" p="md" data-testid={`product-${p.balance}`}>
            <Group justify="space-between" wrap="nowrap" align="center" gap="sm">
              <Stack gap={0} miw={0}>
                <Text fw={600} truncate="end">
                  {p.name}
                </Text>
                <Text size="xs" c="dimmed">
                  {t('available')}
                </Text>
                <Money amount={p.available} currency={p.currency} fz="xl" fw={650} inline={false} />
                {p.held > 0 && (
                  <Text size="xs" c="dimmed">
                    {t('held')} <Money amount={p.held} currency={p.currency} />
                  </Text>
                )}
              </Stack>
              <Button
                component={Link}
                to={`/topup?balance=${encodeURIComponent(p.balance)}`}
                variant="light"
                size="sm"
                aria-label={t('products.topUpLabel', { name: p.name })}
                style={{ flexShrink: 0 }}
              >
                {t('products.topUp')}
              </Button>
            </Group>
          </Card>
        ))}
      </SimpleGrid>
    </section>
  );
}
