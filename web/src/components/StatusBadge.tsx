import { Badge, type BadgeProps } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { STATUS_COLOR } from '../app/theme';

export interface StatusBadgeProps extends Omit<BadgeProps, 'color' | 'children'> {
  /** An order status: pending, processing, succeeded, failed, expired, cancelled. */
  status: string;
}

/** An order status as a coloured badge with its name as text (never colour alone). */
export function StatusBadge({ status, variant = 'light', ...rest }: StatusBadgeProps) {
  const { t } = useTranslation('common');
  return (
    <Badge color={STATUS_COLOR[status] ?? 'gray'} variant={variant} {...rest}>
      {t(`status.${status}`, { defaultValue: status })}
    </Badge>
  );
}

export default StatusBadge;
