/** react-query hooks for the orchestration panes (schedules, profiles, tests, alerts). */
import { useEffect } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ParamsOf } from '@contract';
import { queryKeys, useStation } from '../api/hooks';

export const orchKeys = {
  location: ['orch', 'location'] as const,
  schedules: ['orch', 'schedules'] as const,
  assignments: ['orch', 'assignments'] as const,
  profiles: ['orch', 'profiles'] as const,
  profile: (id: string, version?: string) => ['orch', 'profile', id, version ?? 'latest'] as const,
  plan: (agentId: string) => ['orch', 'plan', agentId] as const,
  tests: ['orch', 'tests'] as const,
  testResults: (id: string) => ['orch', 'testResults', id] as const,
  alerts: ['orch', 'alerts'] as const,
};

export function useLocation() {
  const { api } = useStation();
  return useQuery({ queryKey: orchKeys.location, queryFn: () => api.getLocation() });
}

export function useSchedules() {
  const { api } = useStation();
  return useQuery({ queryKey: orchKeys.schedules, queryFn: () => api.listSchedules() });
}

export function useAssignments() {
  const { api } = useStation();
  return useQuery({ queryKey: orchKeys.assignments, queryFn: () => api.listAssignments() });
}

export function useProfiles() {
  const { api } = useStation();
  return useQuery({ queryKey: orchKeys.profiles, queryFn: () => api.listProfiles() });
}

export function useProfile(profileId: string | null, version?: string) {
  const { api } = useStation();
  return useQuery({
    queryKey: orchKeys.profile(profileId ?? '', version),
    queryFn: () => api.getProfile({ profileId: profileId ?? '', ...(version ? { version } : {}) }),
    enabled: profileId !== null,
  });
}

export function usePlan(agentId: string | null) {
  const { api } = useStation();
  return useQuery({
    queryKey: orchKeys.plan(agentId ?? ''),
    queryFn: async () => (await api.planPreview({ agentIds: [agentId ?? ''] }))[0] ?? null,
    enabled: agentId !== null,
    staleTime: 60_000,
  });
}

export function useTests() {
  const { api } = useStation();
  return useQuery({
    queryKey: orchKeys.tests,
    queryFn: () => api.listTests(),
    refetchInterval: (q) => (q.state.data?.some((t) => t.status === 'running') ? 2_000 : false),
  });
}

export function useTestResults(testId: string | null) {
  const { api } = useStation();
  return useQuery({
    queryKey: orchKeys.testResults(testId ?? ''),
    queryFn: () => api.testResults({ testId: testId ?? '' }),
    enabled: testId !== null,
    // Poll while the test runs (its progress), then until every variant with captures has its quality figures.
    refetchInterval: (q) =>
      q.state.data?.test.status === 'running'
        ? 1_500
        : q.state.data?.variants.some((v) => v.captures > 0 && v.meanBrightness === null)
          ? 2_000
          : false,
  });
}

export function useAlerts() {
  const { api } = useStation();
  const client = useQueryClient();
  useEffect(
    () =>
      api.onEvent((e) => {
        if (e.event === 'alert') void client.invalidateQueries({ queryKey: orchKeys.alerts });
      }),
    [api, client],
  );
  return useQuery({ queryKey: orchKeys.alerts, queryFn: () => api.listAlerts({ limit: 100 }) });
}

/** A mutation that refreshes the orchestration queries (and the cameras) when it succeeds. */
export function useOrchMutation<P, R>(fn: (p: P) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['orch'] });
      void client.invalidateQueries({ queryKey: queryKeys.agents });
    },
  });
}

export type CreateScheduleParams = ParamsOf<'createSchedule'>;
