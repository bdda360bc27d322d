/** react-query hooks of the planning view. */
import { useQuery } from '@tanstack/react-query';
import { useStation } from '../api/hooks';

export function usePlanningDay(agentId: string | null, date: string | null) {
  const { api } = useStation();
  return useQuery({
    // Under 'orch' so that saving a schedule or an assignment refreshes it (useOrchMutation).
    queryKey: ['orch', 'planningDay', agentId ?? '', date ?? ''],
    queryFn: () => api.planningDay({ ...(agentId ? { agentId } : {}), date: date ?? '' }),
    enabled: date !== null,
    staleTime: 60_000,
  });
}

/** The sun's bands over `days` local days from `date` (the strip's shading). */
export function usePlanningBands(date: string | null, days = 31) {
  const { api } = useStation();
  return useQuery({
    queryKey: ['orch', 'planningBands', date ?? '', days],
    queryFn: () => api.planningBands({ date: date ?? '', days }),
    enabled: date !== null,
    staleTime: 10 * 60_000,
  });
}
