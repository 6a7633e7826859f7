import { Input, PinInput } from '@mantine/core';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';

export const PIN_LENGTH = 6;

interface Props {
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** called when all six digits are in */
  onComplete?: (value: string) => void;
  description?: React.ReactNode;
  error?: React.ReactNode;
  autoFocus?: boolean;
  disabled?: boolean;
}

/** The 6-digit payment password: masked digits, numeric keyboard on phones, one label for the group. */
export function PaymentPasswordInput({
  label,
  value,
  onChange,
  onComplete,
  description,
  error,
  autoFocus,
  disabled,
}: Props) {
  const { t } = useTranslation('layout');
  const id = useId();
  return (
    <Input.Wrapper
      label={label}
      description={description}
      error={error}
      labelProps={{ id: `${id}-label`, htmlFor: `${id}-pin-0` }}
      errorProps={{ id: `${id}-error`, role: 'alert' }}
    >
      <div role="group" aria-labelledby={`${id}-label`} style={{ marginTop: 6 }}>
        <PinInput
          id={`${id}-pin`}
          length={PIN_LENGTH}
          type="number"
          mask
          oneTimeCode={false}
          autoFocus={autoFocus}
          disabled={disabled}
          value={value}
          onChange={onChange}
          onComplete={onComplete}
          error={Boolean(error)}
          placeholder=""
          size="md"
          gap="xs"
          getInputProps={(i) => ({
            id: `${id}-pin-${i}`,
            'aria-label': t('pin.digit', { label, n: i + 1, total: PIN_LENGTH }),
            'aria-describedby': error ? `${id}-error` : undefined,
            autoComplete: 'off',
          })}
        />
      </div>
    </Input.Wrapper>
  );
}
