import { Group, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';

/** A page's title (the one h1), a line under it, and actions on the right when there are any. */
export function PageHeader({
  title,
  subtitle,
  actions,
}: {
  title: ReactNode;
  subtitle?: ReactNode;
  actions?: ReactNode;
}) {
  const heading = (
    <div>
      <Title order={1} fz={{ base: 'h2', sm: 'h1' }}>
        {title}
      </Title>
      {subtitle && (
        <Text c="dimmed" size="sm" component="div">
          {subtitle}
        </Text>
      )}
    </div>
  );
  if (!actions) return heading;
  return (
    <Group justify="space-between" align="flex-end" gap="sm">
      {heading}
      {actions}
    </Group>
  );
}
