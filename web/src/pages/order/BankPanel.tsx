import { Alert, Button, FileInput, Group, Paper, SimpleGrid, Stack, Text } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconCircleCheck, IconPaperclip } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMarkPaid, useUploadProof } from '../../api/topups';
import type { NextAction, Order } from '../../api/types';
import { CopyField } from '../../components/CopyField';
import { errorMessage } from '../../components/errors';
import { Money } from '../../components/Money';
import { formatAmount } from '../../components/money';
import { ExpiryNote } from './ExpiryNote';

type BankAction = Extract<NextAction, { type: 'bank_transfer' }>;

const PROOF_TYPES = ['image/png', 'image/jpeg', 'application/pdf'];
const PROOF_MAX_BYTES = 5 * 1024 * 1024;

/** Bank transfer: where to send it, the reference to write, then "I have paid" (with a proof if there is one). */
export function BankPanel({ order, action }: { order: Order; action: BankAction }) {
  const { t, i18n } = useTranslation('order');
  const a = action.account;
  return (
    <Stack gap="lg">
      <Paper radius="md" p="md" bg="yellow.0" style={{ border: '2px solid var(--mantine-color-yellow-5)' }}>
        <Stack gap={6}>
          <Text fw={700}>{t('pay.bank.referenceTitle')}</Text>
          <CopyField label={t('pay.bank.reference')} value={action.reference} mono emphasis />
          <Text size="sm">{t('pay.bank.referenceWhy')}</Text>
        </Stack>
      </Paper>
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
        <CopyField
          label={t('pay.bank.amount')}
          value={formatAmount(action.amount, action.currency, 'en').replace(/,/g, '')}
          display={<Money amount={action.amount} currency={action.currency} />}
          emphasis
        />
        <CopyField label={t('pay.bank.beneficiary')} value={a.beneficiary} />
        <CopyField label={t('pay.bank.bankName')} value={a.bank_name} />
        <CopyField label={t('pay.bank.accountNumber')} value={a.account_number} mono />
        {a.swift && <CopyField label={t('pay.bank.swift')} value={a.swift} mono />}
        {a.branch && <CopyField label={t('pay.bank.branch')} value={a.branch} />}
      </SimpleGrid>
      <ExpiryNote until={order.expires_at} />
      <MarkPaid order={order} locale={i18n.language} />
    </Stack>
  );
}

function MarkPaid({ order, locale }: { order: Order; locale: string }) {
  const { t } = useTranslation('order');
  const upload = useUploadProof(order.id);
  const markPaid = useMarkPaid(order.id);
  const [file, setFile] = useState<File | null>(null);
  const fileError =
    file && !PROOF_TYPES.includes(file.type)
      ? t('pay.bank.proofType')
      : file && file.size > PROOF_MAX_BYTES
        ? t('pay.bank.proofSize')
        : null;
  const busy = upload.isPending || markPaid.isPending;
  const error = upload.error ?? markPaid.error;
  const done = upload.isSuccess || markPaid.isSuccess;
  const phone = useMediaQuery('(max-width: 48em)');
  const submit = () => {
    if (fileError) return;
    if (file) upload.mutate(file);
    else markPaid.mutate();
  };
  if (done) {
    return (
      <Alert color="teal" variant="light" icon={<IconCircleCheck size={20} aria-hidden />} role="status">
        {t('pay.bank.thanks')}
      </Alert>
    );
  }
  return (
    <Stack gap="sm">
      <Text fw={650}>{t('pay.bank.afterTitle')}</Text>
      <FileInput
        label={t('pay.bank.proof')}
        description={t('pay.bank.proofHint')}
        placeholder={t('pay.bank.proofPlaceholder')}
        accept={PROOF_TYPES.join(',')}
        value={file}
        onChange={setFile}
        clearable
        leftSection={<IconPaperclip size={16} aria-hidden />}
        error={fileError}
      />
      {error && (
        <Alert color="red" variant="light" role="alert">
          {errorMessage(t, error, locale)}
        </Alert>
      )}
      <Group>
        <Button
          size="md"
          onClick={submit}
          loading={busy}
          disabled={Boolean(fileError)}
          miw={200}
          flex={phone ? 1 : undefined}
        >
          {t('pay.bank.paid')}
        </Button>
      </Group>
    </Stack>
  );
}
