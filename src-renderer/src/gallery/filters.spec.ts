import { describe, expect, it } from 'vitest';
import { activeCount, EMPTY_FILTER, localDayStart, nightLabel, toApiFilter } from './filters';

describe('gallery filters', () => {
  it('maps the form to the API filter, days in local time, "to" inclusive', () => {
    const { filter, problem } = toApiFilter({
      ...EMPTY_FILTER,
      agentId: 'cam-1',
      from: '2026-01-10',
      to: '2026-01-11',
      darks: 'dark',
      brackets: 'exclude',
      tag: 'meteor',
    });
    expect(problem).toBeNull();
    expect(filter).toMatchObject({ agentIds: ['cam-1'], frameKind: 'dark', brackets: 'exclude', tag: 'meteor' });
    expect(filter.from).toBe(new Date(2026, 0, 10).toISOString());
    expect(Date.parse(filter.to!)).toBe(new Date(2026, 0, 12).getTime() - 1);
    expect(toApiFilter(EMPTY_FILTER)).toEqual({ filter: {}, problem: null });
  });
  it('says when the days are the wrong way round, ignores non-dates', () => {
    expect(toApiFilter({ ...EMPTY_FILTER, from: '2026-02-01', to: '2026-01-01' }).problem).toMatch(/swap/);
    expect(localDayStart('yesterday')).toBeNull();
    expect(activeCount({ ...EMPTY_FILTER, schedule: 'night', tag: 'x' })).toBe(2);
    expect(nightLabel('2026-01-10')).toMatch(/^Night of .*2026/);
  });
});
