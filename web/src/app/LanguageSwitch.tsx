import { Button, Menu } from '@mantine/core';
import { IconCheck, IconLanguage } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { sessionKeys, useSaveLocale } from '../api/session';
import type { Me } from '../api/types';
import { LANGUAGES } from '../i18n';

interface Props {
  /** remember the choice for the signed-in customer (PUT /portal/api/locale) */
  remember?: boolean;
  /** only the icon (narrow screens); the current language stays the accessible name */
  compact?: boolean;
}

/** English / 简体中文, switchable anywhere; each option is labelled in its own language. */
export function LanguageSwitch({ remember = false, compact = false }: Props) {
  const { t, i18n } = useTranslation('layout');
  const save = useSaveLocale();
  const qc = useQueryClient();
  const current = LANGUAGES.find((l) => l.code === i18n.language) ?? LANGUAGES[0];
  const choose = (code: string) => {
    if (code === i18n.language) return;
    void i18n.changeLanguage(code);
    if (remember)
      save.mutate(code, {
        // keep the cached customer in step, so nothing switches the language back
        onSuccess: () => qc.setQueryData<Me | null>(sessionKeys.me, (me) => (me ? { ...me, locale: code } : me)),
      });
  };
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button
          variant="subtle"
          color="gray"
          size="compact-md"
          px={compact ? 6 : undefined}
          leftSection={<IconLanguage size={18} aria-hidden />}
          aria-label={`${t('language')}: ${current.label}`}
        >
          {compact ? null : current.label}
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{t('language')}</Menu.Label>
        {LANGUAGES.map((l) => (
          <Menu.Item
            key={l.code}
            lang={l.code}
            onClick={() => choose(l.code)}
            rightSection={l.code === current.code ? <IconCheck size={16} aria-hidden /> : null}
            aria-current={l.code === current.code ? 'true' : undefined}
          >
            {l.label}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}
