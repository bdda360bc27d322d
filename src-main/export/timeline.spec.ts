import { describe, expect, it } from 'vitest';
import { medianInterval, orderFrames, paceFrames } from './timeline.js';

const at = (s: number): string => new Date(Date.parse('2025-01-10T20:00:00Z') + s * 1000).toISOString();

describe('timeline', () => {
  it('orders by capture time, stable for equal times, whatever the input order', () => {
    const o = orderFrames([
      { path: 'c', capturedAt: at(60) },
      { path: 'a', capturedAt: at(0) },
      { path: 'b1', capturedAt: at(30) },
      { path: 'b2', capturedAt: '2025-01-10T21:00:30+01:00' },
    ]);
    expect(o.map((f) => f.path)).toEqual(['a', 'b1', 'b2', 'c']);
  });

  it("'sequence' keeps every frame once despite gaps and interval changes", () => {
    const o = orderFrames([0, 30, 60, 3600, 3610, 3620].map((s, i) => ({ path: String(i), capturedAt: at(s) })));
    expect(paceFrames(o, 'sequence').map((f) => f.path)).toEqual(['0', '1', '2', '3', '4', '5']);
  });

  it("'realtime' holds frames through slow stretches, thins bursts, and shortens long gaps", () => {
    // 10 s interval; one 30 s stretch (held); a 5 s burst (thinned); a 2 h gap (shortened).
    const secs = [0, 10, 20, 50, 60, 65, 70, 80, 7280, 7290];
    const o = orderFrames(secs.map((s) => ({ path: String(s), capturedAt: at(s) })));
    expect(medianInterval(o)).toBe(10_000);
    const p = paceFrames(o, 'realtime').map((f) => f.path);
    expect(p).toEqual(['0', '10', '20', '20', '50', '50', '60', '70', '80', '7280', '7290']);
  });
});
