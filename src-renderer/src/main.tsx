import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StationContext } from './api/hooks';
import { shouldRetry } from './api/retry';
import { connectStation } from './api/station';
import { App } from './App';
import { applyNightMode } from './shell/theme';
import { useUiStore } from './state/ui-store';
import './styles.css';

// Before the first paint, so a night-adapted operator never sees a bright frame.
applyNightMode(useUiStore.getState().night);

const station = connectStation();
const queryClient = new QueryClient({
  defaultOptions: {
    // Events keep the data fresh; refetch only on reconnect (see useStationEvents). A refusal
    // (no location yet, an unknown camera) is shown at once instead of after two retries.
    queries: { staleTime: Infinity, refetchOnWindowFocus: false, retry: shouldRetry },
    mutations: { retry: false },
  },
});

const rootElement = document.getElementById('root');
if (rootElement === null) throw new Error('index.html has no #root element.');

createRoot(rootElement).render(
  <StrictMode>
    <StationContext.Provider value={station}>
      <QueryClientProvider client={queryClient}>
        <App />
      </QueryClientProvider>
    </StationContext.Provider>
  </StrictMode>,
);
