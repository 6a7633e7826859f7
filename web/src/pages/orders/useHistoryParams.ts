import { useCallback, useMemo } from 'react';
import { useLocation, useNavigate, useSearchParams } from 'react-router';
import type { HistoryFilters } from '../../api/history';

// The filters and the page cursor live in the URL (?status=&method=&balance=&from=&to=&after=), so a
// filtered view can be shared and reloaded. The cursors of the newer pages already seen are kept in
// the history entry's state, so "Newer" goes back exactly one page.

const FILTER_KEYS = ['status', 'method', 'balance', 'from', 'to'] as const;

interface CursorState {
  newer?: (string | null)[];
}

function filtersOf(params: URLSearchParams): HistoryFilters {
  const f: HistoryFilters = {};
  for (const k of FILTER_KEYS) {
    const v = params.get(k);
    if (v) f[k] = v;
  }
  return f;
}

/** The filters in the address bar now: two changes in a row must not undo each other before a render. */
const currentFilters = () => filtersOf(new URLSearchParams(window.location.search));

export function useHistoryParams() {
  const [params] = useSearchParams();
  const location = useLocation();
  const navigate = useNavigate();

  const filters = useMemo(() => filtersOf(params), [params]);
  const after = params.get('after');
  const newer = ((location.state as CursorState | null)?.newer ?? []) as (string | null)[];

  const go = useCallback(
    (f: HistoryFilters, cursor: string | null, stack: (string | null)[]) => {
      const next = new URLSearchParams();
      for (const k of FILTER_KEYS) if (f[k]) next.set(k, f[k]!);
      if (cursor) next.set('after', cursor);
      const search = next.toString();
      navigate(
        { search: search ? `?${search}` : '' },
        { state: { newer: stack } satisfies CursorState, replace: false },
      );
    },
    [navigate],
  );

  return {
    filters,
    after,
    hasFilters: FILTER_KEYS.some((k) => !!filters[k]),
    /** a changed filter starts again from the newest page */
    setFilter: (key: keyof HistoryFilters, value: string | null) =>
      go({ ...currentFilters(), [key]: value || undefined }, null, []),
    clearFilters: () => go({}, null, []),
    older: (lastId: string) => go(filters, lastId, [...newer, after]),
    /** back one page; a shared link with no remembered pages goes back to the newest */
    newerPage: () => go(filters, newer.length ? (newer[newer.length - 1] ?? null) : null, newer.slice(0, -1)),
    canGoNewer: after !== null,
  };
}
