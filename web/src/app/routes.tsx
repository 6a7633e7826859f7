import { createBrowserRouter } from 'react-router';
import { PortalLayout } from './PortalLayout';
import { RequireSession } from './RequireSession';
import { PageLoader } from './PageLoader';
import { RouteError } from './RouteError';

// One folder per page (web/src/pages/<page>/index.tsx, default export), loaded on demand.
const page = (load: () => Promise<{ default: React.ComponentType }>) => async () => ({
  Component: (await load()).default,
});

export const router = createBrowserRouter([
  {
    path: '/signin',
    lazy: page(() => import('../pages/signin')),
    errorElement: <RouteError />,
    hydrateFallbackElement: <PageLoader />,
  },
  {
    element: <RequireSession />,
    errorElement: <RouteError />,
    hydrateFallbackElement: <PageLoader />,
    children: [
      {
        element: <PortalLayout />,
        children: [
          { index: true, lazy: page(() => import('../pages/home')) },
          { path: 'topup', lazy: page(() => import('../pages/topup')) },
          { path: 'orders', lazy: page(() => import('../pages/orders')) },
          { path: 'orders/:id', lazy: page(() => import('../pages/order')) },
          { path: 'statement', lazy: page(() => import('../pages/statement')) },
          { path: 'help', lazy: page(() => import('../pages/help')) },
          { path: 'security', lazy: page(() => import('../pages/security')) },
          { path: '*', lazy: page(() => import('../pages/not-found')) },
        ],
      },
    ],
  },
]);
