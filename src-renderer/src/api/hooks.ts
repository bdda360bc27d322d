/** Server state: react-query hooks over the StationApi, kept fresh by station events. */
import { createContext, useContext, useEffect, useState } from 'react';
import { useMutation, useMutationState, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { AgentView, CapturePage, CaptureView } from '@contract';
import { entryFromEvent } from '../alerts/event-log';
import { useUiStore } from '../state/ui-store';
import type { Station } from './station';

export const GALLERY_LIMIT = 24;

export const queryKeys = {
  agents: ['agents'] as const,
  newestCaptures: ['captures', 'newest'] as const,
  /** One camera's newest captures (fleet card thumbnail, camera page strip). */
  agentCaptures: (agentId: string, limit: number) => ['captures', 'agent', agentId, limit] as const,
  session: (agentId: string) => ['session', agentId] as const,
  /** The same key as orchKeys.alerts (schedules/api.ts): every list of alerts lives under it. */
  alerts: ['orch', 'alerts'] as const,
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

/** One camera's newest light frames, kept fresh by capture.added events. */
export function useAgentCaptures(agentId: string, limit: number) {
  const { api } = useStation();
  return useQuery({
    queryKey: queryKeys.agentCaptures(agentId, limit),
    queryFn: () => api.listCaptures({ agentId, limit }),
  });
}

/** Put a capture at the front of every list of its camera's newest captures. */
export function prependAgentCapture(client: QueryClient, capture: CaptureView): void {
  for (const [key] of client.getQueriesData<CapturePage>({ queryKey: ['captures', 'agent', capture.agentId] })) {
    const limit = typeof key[3] === 'number' ? key[3] : GALLERY_LIMIT;
    client.setQueryData<CapturePage>(key, (page) => {
      if (page === undefined) return page;
      if (page.items.some((c) => c.id === capture.id)) return page;
      return { ...page, items: [capture, ...page.items].slice(0, limit) };
    });
  }
}

/** A timelapse session's state on one camera (CinePi session endpoints through the station). */
export function useSession(agentId: string, enabled = true) {
  const { api } = useStation();
  return useQuery({
    queryKey: queryKeys.session(agentId),
    queryFn: () => api.sessionStatus({ agentId }),
    enabled,
    refetchInterval: (q) => (q.state.data?.active === true ? 5_000 : 30_000),
  });
}

/** When the oldest running mutation with this key started (ms), or null when none runs: for elapsed-time displays. */
export function useRunningSince(mutationKey: readonly unknown[]): number | null {
  const starts = useMutationState({
    filters: { mutationKey: [...mutationKey], status: 'pending' },
    select: (m) => m.state.submittedAt,
  });
  return starts.length > 0 ? Math.min(...starts) : null;
}

/**
 * The newest exposure a camera started since `since` (ms), from the station's capture.started events:
 * its length and when this page heard of it (the page's own clock, so a camera clock that is off does
 * not skew the countdown). Null until one arrives.
 */
export function useExposureStarted(
  agentId: string,
  since: number,
): { exposureSeconds: number; heardAtMs: number } | null {
  const { api } = useStation();
  // Kept with the action it belongs to: a new action (another `since`) starts with nothing heard.
  const [heard, setHeard] = useState<{ key: string; exposureSeconds: number; heardAtMs: number } | null>(null);
  const key = `${agentId}@${since}`;
  useEffect(
    () =>
      api.onEvent((e) => {
        if (e.event !== 'capture.started' || e.data.agentId !== agentId || Date.now() < since) return;
        setHeard({ key, exposureSeconds: e.data.exposureSeconds, heardAtMs: Date.now() });
      }),
    [api, agentId, since, key],
  );
  return heard !== null && heard.key === key
    ? { exposureSeconds: heard.exposureSeconds, heardAtMs: heard.heardAtMs }
    : null;
}

/** The current time, updated every `intervalMs` while `running` (for countdowns and elapsed times). */
export function useNow(running = true, intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return undefined;
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [running, intervalMs]);
  return now;
}

export function useCaptureNow(agentId: string) {
  const { api } = useStation();
  const client = useQueryClient();
  return useMutation({
    mutationKey: ['captureNow', agentId],
    mutationFn: () => api.captureNow({ agentId }),
    onSuccess: (capture) => {
      prependCapture(client, capture);
      prependAgentCapture(client, capture);
    },
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
      const before = client.getQueryData<AgentView[]>(queryKeys.agents);
      useUiStore.getState().addLogEntries(entryFromEvent(e, before, new Date().toISOString()));
      switch (e.event) {
        case 'agents.changed':
          client.setQueryData<AgentView[]>(queryKeys.agents, e.data);
          break;
        case 'capture.added':
          prependCapture(client, e.data);
          prependAgentCapture(client, e.data);
          break;
        case 'alert':
          showToast(e.data.level, e.data.message);
          void client.invalidateQueries({ queryKey: queryKeys.alerts });
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
