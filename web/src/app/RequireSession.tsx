import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, Outlet, useLocation } from 'react-router';
import { useConfig, useMe } from '../api/session';
import { setCurrencyExponents } from '../components/money';
import { PageLoader } from './PageLoader';

/** Pages behind the session: without one, the sign-in page (which comes back here afterwards). */
export function RequireSession() {
  const me = useMe();
  const config = useConfig();
  const location = useLocation();
  const { i18n } = useTranslation();
  if (config.data) setCurrencyExponents(config.data.currencies);
  // The customer's remembered language wins over the browser's, once per sign-in.
  const remembered = me.data?.locale;
  useEffect(() => {
    if (remembered && remembered !== i18n.language) void i18n.changeLanguage(remembered);
  }, [remembered, i18n]);
  if (me.isPending || config.isPending) return <PageLoader />;
  if (me.isError) throw me.error;
  if (config.isError) throw config.error;
  if (me.data === null) {
    const next = location.pathname + location.search;
    return <Navigate to={`/signin${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`} replace />;
  }
  return <Outlet />;
}
