import { Card, Text, Timeline } from '@mantine/core';
import { IconCheck, IconClock, IconLoader2, IconX } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { STATUS_COLOR } from '../../app/theme';
import type { Order } from '../../api/types';
import { formatDateTime } from '../../components/dates';

const ICON: Record<string, typeof IconCheck> = { succeeded: IconCheck, processing: IconLoader2, pending: IconClock };

/** Every step of the order, oldest first, with who or what caused it. */
export function OrderTimeline({ order }: { order: Order }) {
  const { t, i18n } = useTranslation('order');
  const steps = order.timeline;
  return (
    <Card
      withBorder
      radius="lg"
      p={{ base: 'md', sm: 'lg' }}
      component="section"
      aria-labelledby="timeline-title"
      h="100%"
    >
      <Text id="timeline-title" component="h2" fw={650} fz="lg" mt={0} mb="md">
        {t('timeline.title')}
      </Text>
      {steps.length === 0 ? (
        <Text size="sm" c="dimmed">
          {t('timeline.empty')}
        </Text>
      ) : (
        <Timeline
          active={steps.length - 1}
          bulletSize={24}
          lineWidth={2}
          color={STATUS_COLOR[order.status] === 'gray' ? 'teal' : STATUS_COLOR[order.status]}
        >
          {steps.map((s, i) => {
            const Icon = ICON[s.status] ?? IconX;
            return (
              <Timeline.Item
                key={`${s.at}-${i}`}
                bullet={<Icon size={14} aria-hidden />}
                title={t(`common:status.${s.status}`, { defaultValue: s.status })}
              >
                {s.note && (
                  <Text size="sm" c="dimmed">
                    {s.note}
                  </Text>
                )}
                <Text size="xs" c="dimmed" mt={2}>
                  <time dateTime={s.at}>{formatDateTime(s.at, i18n.language)}</time>
                </Text>
              </Timeline.Item>
            );
          })}
        </Timeline>
      )}
    </Card>
  );
}
