import { Skeleton, Stack } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { useMe } from '../../api/session';
import { PaymentPassword } from './PaymentPassword';
import { Sessions } from './Sessions';
import { PageHeader } from '../../components/PageHeader';

/** Security: the payment password and the signed-in sessions. */
export default function SecurityPage() {
  const { t } = useTranslation('security');
  const me = useMe();
  return (
    <Stack gap="lg">
      <PageHeader title={t('title')} subtitle={t('subtitle')} />
      {me.data ? <PaymentPassword me={me.data} /> : <Skeleton h={260} aria-hidden />}
      <Sessions />
    </Stack>
  );
}
