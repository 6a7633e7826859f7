/** "12 Mar 2025, 14:05" in the chosen language. */
export function formatDateTime(iso: string | null | undefined, locale: string): string {
  if (!iso) return '';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/** "12 Mar" — for chart axes and compact lists. */
export function formatShortDate(isoDate: string, locale: string): string {
  // a bare "YYYY-MM-DD" is a calendar day: read it as UTC so it never shifts by a day
  const d = /^\d{4}-\d{2}-\d{2}$/.test(isoDate) ? new Date(`${isoDate}T00:00:00Z`) : new Date(isoDate);
  return new Intl.DateTimeFormat(locale, {
    month: 'short',
    day: 'numeric',
    timeZone: /^\d{4}-\d{2}-\d{2}$/.test(isoDate) ? 'UTC' : undefined,
  }).format(d);
}
