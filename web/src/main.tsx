import '@mantine/core/styles.css';
import '@mantine/charts/styles.css';
import { MantineProvider } from '@mantine/core';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router';
import { ApiError } from './api/client';
import { sessionKeys } from './api/session';
import './i18n';
import { router } from './app/routes';
import { theme } from './app/theme';

// A session that ends while a page is open (idle, revoked, signed out elsewhere): any 401 sends the
// customer to the sign-in page, which brings them back here afterwards.
const onError = (err: unknown) => {
  if (err instanceof ApiError && err.status === 401 && queryClient.getQueryData(sessionKeys.me))
    queryClient.setQueryData(sessionKeys.me, null);
};

const queryClient: QueryClient = new QueryClient({
  queryCache: new QueryCache({ onError }),
  mutationCache: new MutationCache({ onError }),
  defaultOptions: {
    queries: {
      // A 4xx is an answer, not a hiccup: only network errors and 5xx are retried.
      retry: (count, err) => count < 2 && !(err instanceof ApiError && err.status >= 400 && err.status < 500),
      refetchOnWindowFocus: true,
    },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="light">
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
