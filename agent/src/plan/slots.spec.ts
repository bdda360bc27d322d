import { describe, expect, it } from 'vitest';
import type { DeploymentBundle } from '../protocol/index.js';
import { missedSlots, nextSlot, runWindows } from './slots.js';

const T0 = Date.parse('2025-06-21T18:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

function bundle(windows: [number, number, number, string][]): DeploymentBundle {
  return {
    profile_id: 'p',
    version: '1.0.0',
    settings: { base: {} },
    plan: {
      generated_at: iso(T0),
      horizon: iso(T0 + 86_400_000),
      windows: windows.map(([s, e, i, schedule]) => ({ start: iso(s), end: iso(e), interval_seconds: i, schedule })),
    },
  };
}

describe('plan slots', () => {
  // Listed out of order on purpose: the runner sorts them.
  const windows = runWindows(
    bundle([
      [T0 + 60_000, T0 + 120_000, 30, 'daytime'],
      [T0, T0 + 60_000, 15, 'sunset'],
    ]),
  );

  it('finds the next slot strictly after an instant, across window boundaries', () => {
    expect(nextSlot(windows, T0 - 1)).toMatchObject({ plannedMs: T0, slotIndex: 0, schedule: 'sunset' });
    expect(nextSlot(windows, T0)).toMatchObject({ plannedMs: T0 + 15_000, slotIndex: 1 });
    // The end of a window is exclusive: 18:01:00 is the next window's first slot, taken once.
    expect(nextSlot(windows, T0 + 45_000)).toMatchObject({ plannedMs: T0 + 60_000, schedule: 'daytime', slotIndex: 0 });
    expect(nextSlot(windows, T0 + 90_000)).toBeNull();
    expect(nextSlot([], T0)).toBeNull();
  });

  it('lists slots whose late limit has passed as missed, in order, up to a limit', () => {
    const missed = missedSlots(windows, T0 - 1, T0 + 75_000, 100);
    expect(missed.map((s) => s.plannedMs - T0)).toEqual([0, 15_000, 30_000, 45_000, 60_000]);
    // A slot less than its late limit ago may still start: not missed.
    expect(missedSlots(windows, T0 + 45_000, T0 + 60_500, 100)).toEqual([]);
    expect(missedSlots(windows, T0 - 1, T0 + 200_000, 3)).toHaveLength(3);
  });

  it('ignores windows that are empty or unparseable and limits lateness to half the interval', () => {
    const w = runWindows(
      bundle([
        [T0, T0, 1, 'x'],
        [T0, T0 + 10_000, 1, 'y'],
      ]),
    );
    expect(w).toHaveLength(1);
    expect(w[0]!.lateLimitMs).toBe(500);
    expect(runWindows(null)).toEqual([]);
  });
});
