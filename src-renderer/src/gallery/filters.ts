/**
 * The filter bar's state (what the form fields hold) and the API filter it
 * means. Dates are the viewer's local calendar days: "from" starts at local
 * midnight, "to" ends at the next local midnight.
 */
import type { GalleryFilter, GalleryNightView } from '@contract';

export interface FilterState {
  agentId: string;
  /** "YYYY-MM-DD" or "". */
  from: string;
  to: string;
  schedule: string;
  profile: string;
  testId: string;
  variant: string;
  darks: '' | 'light' | 'dark';
  brackets: '' | 'only' | 'exclude';
  tag: string;
}

export const EMPTY_FILTER: FilterState = {
  agentId: '',
  from: '',
  to: '',
  schedule: '',
  profile: '',
  testId: '',
  variant: '',
  darks: '',
  brackets: '',
  tag: '',
};

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Local midnight of a "YYYY-MM-DD" day as an ISO instant; null when the text is not a date. */
export function localDayStart(day: string, plusDays = 0): string | null {
  const m = DAY.exec(day);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays, 0, 0, 0, 0);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** The API filter for a form state; the problem in words when the dates make no sense. */
export function toApiFilter(s: FilterState): { filter: GalleryFilter; problem: string | null } {
  const filter: GalleryFilter = {};
  if (s.agentId) filter.agentIds = [s.agentId];
  if (s.schedule) filter.schedule = s.schedule;
  if (s.profile) filter.profile = s.profile;
  if (s.testId) filter.testId = s.testId;
  if (s.variant) filter.variant = s.variant;
  if (s.darks) filter.frameKind = s.darks;
  if (s.brackets) filter.brackets = s.brackets;
  if (s.tag) filter.tag = s.tag;
  const from = s.from ? localDayStart(s.from) : null;
  // "to" is inclusive of the whole day: up to the last millisecond before the next midnight.
  const next = s.to ? localDayStart(s.to, 1) : null;
  const to = next === null ? null : new Date(Date.parse(next) - 1).toISOString();
  if (from) filter.from = from;
  if (to) filter.to = to;
  const problem = from && to && from > to ? 'The first day is after the last day: swap them or clear one.' : null;
  return { filter, problem };
}

/** How many fields are set (for "3 filters" and the Clear button). */
export function activeCount(s: FilterState): number {
  return (Object.keys(s) as (keyof FilterState)[]).filter((k) => s[k] !== '').length;
}

/** "Tue 10 Jan 2026" for a night key "2026-01-10", in the viewer's locale. */
export function nightLabel(night: string): string {
  const m = DAY.exec(night);
  if (!m) return night;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return `Night of ${d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' })}`;
}

/** The filter for one night's captures: the operator's filter narrowed to the night's first and last capture. */
export function nightFilter(filter: GalleryFilter, night: Pick<GalleryNightView, 'oldest' | 'newest'>): GalleryFilter {
  return { ...filter, from: night.oldest, to: night.newest };
}
