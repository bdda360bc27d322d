/** Server state: react-query hooks over the StationApi, kept fresh by station events. */
import { createContext, useContext, useEffect } from 'react';
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { AgentView, CapturePage, CaptureView } from '../../../src-main/api/contract';
import { useUiStore } from '../state/ui-store';
import type { Station } from './station';

export const GALLERY_LIMIT = 24;

export const queryKeys = {
  agents: ['agents'] as const,
  newestCaptures: ['captures', 'newest'] as const,
};

export const StationContext = createContext<Station | null>(null);

export function useStation(): Station {
  const station = useContext(StationContext);
  if (station === null) throw new Error('useStation() needs a <StationContext.Provider>.');
  return station;
}

export function useAgents() {
  const { api } = useStation();
  return useQuery({ queryKey: queryKeys.agents, queryFn: () => api.listAgents() });
}

export function useNewestCaptures() {
  const { api } = useStation();
  return useQuery({ queryKey: queryKeys.newestCaptures, queryFn: () => api.listCaptures({ limit: GALLERY_LIMIT }) });
}

/** Put a capture at the front of the gallery, once, without refetching. */
export function prependCapture(client: QueryClient, capture: CaptureView): void {
  client.setQueryData<CapturePage>(queryKeys.newestCaptures, (page) => {
    if (page === undefined) return { items: [capture], nextCursor: null };
    if (page.items.some((c) => c.id === capture.id)) return page;
    return { ...page, items: [capture, ...page.items].slice(0, GALLERY_LIMIT) };
  });
}

export function useCaptureNow(agentId: string) {
  const { api } = useStation();
  const client = useQueryClient();
  return useMutation({
    mutationKey: ['captureNow', agentId],
    mutationFn: () => api.captureNow({ agentId }),
    onSuccess: (capture) => prependCapture(client, capture),
  });
}

/** Subscribes once to the station's events and to reconnects. */
export function useStationEvents(): void {
  const station = useStation();
  const client = useQueryClient();
  const showToast = useUiStore((s) => s.showToast);
  const setConnection = useUiStore((s) => s.setConnection);

  useEffect(() => {
    const offEvents = station.api.onEvent((e) => {
      switch (e.event) {
        case 'agents.changed':
          client.setQueryData<AgentView[]>(queryKeys.agents, e.data);
          break;
        case 'capture.added':
          prependCapture(client, e.data);
          break;
        case 'alert':
          showToast(e.data.level, e.data.message);
          break;
      }
    });
    const initial = station.connectionState();
    setConnection(initial);
    let wasOpen = initial === 'open';
    const offConnection = station.onConnectionChange((state) => {
      setConnection(state);
      // Events sent while we were away are lost: refetch after a reconnect.
      if (state === 'open' && wasOpen) void client.invalidateQueries();
      if (state === 'open') wasOpen = true;
    });
    return () => {
      offEvents();
      offConnection();
    };
  }, [station, client, showToast, setConnection]);
}
