import { describe, expect, it } from 'vitest';
import { shutterSeconds } from './imaging.js';
import {
  matchDarks,
  needsPixels,
  outputFrameCount,
  planProcessing,
  type DarkSource,
  type PlanFrame,
} from './processing.js';

const at = (s: number): string => new Date(Date.parse('2025-01-10T20:00:00Z') + s * 1000).toISOString();

function bracket(group: string, t0: number, evs: readonly number[], agentId = 'cam'): PlanFrame[] {
  return evs.map((ev, index) => ({
    path: `${group}-${index}.jpg`,
    capturedAt: at(t0 + index),
    agentId,
    bracket: { group, index, count: 3, ev },
  }));
}

describe('planProcessing: bracketed sets', () => {
  const frames: PlanFrame[] = [
    { path: 'single-a.jpg', capturedAt: at(0) },
    ...bracket('s1', 30, [-2, 0, 2]),
    ...bracket('s2', 60, [-2, 0, 2]),
    { path: 'single-b.jpg', capturedAt: at(90) },
  ];

  it("'fuse' makes one unit per set, at the set's first capture time, in time order", () => {
    const plan = planProcessing(frames, { hdr: 'fuse', darks: 'off' });
    expect(plan.units.map((u) => u.sources.map((s) => s.frame.path))).toEqual([
      ['single-a.jpg'],
      ['s1-0.jpg', 's1-1.jpg', 's1-2.jpg'],
      ['s2-0.jpg', 's2-1.jpg', 's2-2.jpg'],
      ['single-b.jpg'],
    ]);
    expect(plan.units[1]!.capturedAt).toBe(at(30));
    expect(plan.work).toBe(2);
    expect(plan.warnings).toEqual([]);
  });

  it("'middle' keeps the image nearest ev 0 and needs no pixel work", () => {
    const plan = planProcessing(frames, { hdr: 'middle', darks: 'off' });
    expect(plan.units.map((u) => u.sources[0]!.frame.path)).toEqual([
      'single-a.jpg',
      's1-1.jpg',
      's2-1.jpg',
      'single-b.jpg',
    ]);
    expect(plan.work).toBe(0);
    expect(plan.units.some(needsPixels)).toBe(false);
  });

  it('incomplete sets: fuses two, keeps a lone image, and says so', () => {
    const partial = [...bracket('p2', 0, [-2, 0, 2]).slice(0, 2), ...bracket('p1', 30, [-2, 0, 2]).slice(2)];
    const plan = planProcessing(partial, { hdr: 'fuse', darks: 'off' });
    expect(plan.units.map((u) => u.sources.length)).toEqual([2, 1]);
    expect(plan.warnings).toEqual([
      '2 bracketed sets of 2 were incomplete in this selection: 1 fused from the images present, 1 exported as their single image.',
    ]);
  });

  it('sets with the same group id on two cameras stay apart', () => {
    const plan = planProcessing([...bracket('g', 0, [-1, 0, 1], 'a'), ...bracket('g', 0, [-1, 0, 1], 'b')], {
      hdr: 'fuse',
      darks: 'off',
    });
    expect(plan.units).toHaveLength(2);
  });
});

describe('matchDarks and dark planning', () => {
  const darks: DarkSource[] = [
    { path: 'd10-cold-1', agentId: 'cam', exposureSeconds: 10, gain: 800, temperatureC: 2 },
    { path: 'd10-cold-2', agentId: 'cam', exposureSeconds: 10, gain: 800, temperatureC: 3 },
    { path: 'd10-warm', agentId: 'cam', exposureSeconds: 10, gain: 800, temperatureC: 20 },
    { path: 'd30', agentId: 'cam', exposureSeconds: 30, gain: 800, temperatureC: 2 },
    { path: 'other-cam', agentId: 'other', exposureSeconds: 10, gain: 800, temperatureC: 2 },
  ];
  const light = (exposureSeconds: number, temperatureC: number, agentId = 'cam'): PlanFrame => ({
    path: 'l.jpg',
    capturedAt: at(0),
    agentId,
    exposureSeconds,
    gain: 800,
    temperatureC,
  });

  it('stacks the same camera, exposure and gain, nearest temperature first', () => {
    expect(matchDarks(light(10, 2), darks, 3, 2)?.paths).toEqual(['d10-cold-1', 'd10-cold-2']);
    expect(matchDarks(light(10, 19), darks, 3, 1)?.paths).toEqual(['d10-warm']);
    expect(matchDarks(light(30, 2), darks)?.paths).toEqual(['d30']);
  });

  it('leaves a light with no dark within tolerance, or without exposure data, unmatched', () => {
    expect(matchDarks(light(120, 2), darks)).toBeNull();
    expect(matchDarks(light(10, 2, 'nobody-has-darks'), darks.slice(4, 4))).toBeNull();
    expect(matchDarks({ path: 'x', capturedAt: at(0) }, darks)).toBeNull();
  });

  it('counts unmatched lights in a warning', () => {
    const plan = planProcessing([light(10, 2), { ...light(120, 2), path: 'long.jpg' }], {
      hdr: 'fuse',
      darks: 'auto',
      darkFrames: darks,
    });
    expect(plan.work).toBe(1);
    expect(plan.stats).toMatchObject({ lights: 2, darkSubtracted: 1, noDark: 1 });
    expect(plan.warnings[0]).toMatch(/^1 light frame of 2 had no dark close enough/);
    expect(planProcessing([light(10, 2)], { hdr: 'fuse', darks: 'off', darkFrames: darks }).work).toBe(0);
  });

  it('says nothing about lights of cameras that have no darks at all', () => {
    const plan = planProcessing([light(10, 2, 'no-darks-cam'), light(10, 2)], {
      hdr: 'fuse',
      darks: 'auto',
      darkFrames: darks,
    });
    expect(plan.stats).toMatchObject({ lights: 1, darkSubtracted: 1, noDark: 0 });
    expect(plan.warnings).toEqual([]);
    expect(planProcessing([light(10, 2)], { hdr: 'fuse', darks: 'auto', darkFrames: [] }).warnings).toEqual([]);
    // A daylight exposure of a camera with darks needs none.
    const day = planProcessing([{ ...light(1 / 500, 20), gain: 100 }], {
      hdr: 'fuse',
      darks: 'auto',
      darkFrames: darks,
    });
    expect(day.warnings).toEqual([]);
  });
});

describe('shutterSeconds', () => {
  it('reads the agent shutter format', () => {
    expect(shutterSeconds('1/500')).toBeCloseTo(0.002);
    expect(shutterSeconds('2.5')).toBe(2.5);
    expect(shutterSeconds('30s')).toBe(30);
    expect(shutterSeconds('auto')).toBeNull();
    expect(shutterSeconds('0')).toBeNull();
  });
});

describe('outputFrameCount', () => {
  it('counts a bracketed set as one frame: 22 singles and two sets of two are 26 captures, 24 frames', () => {
    const frames: PlanFrame[] = [
      ...Array.from({ length: 22 }, (_, i) => ({ path: `s${i}.jpg`, capturedAt: at(i * 10), agentId: 'cam' })),
      ...bracket('x', 300, [-1, 1]),
      ...bracket('y', 400, [-1, 1]),
    ];
    expect(frames).toHaveLength(26);
    expect(outputFrameCount(frames)).toBe(24);
    for (const hdr of ['fuse', 'middle'] as const)
      expect(planProcessing(frames, { hdr, darks: 'off' }).units).toHaveLength(24);
    // The same group name on two cameras is two sets.
    expect(outputFrameCount([...bracket('g', 0, [0, 1], 'a'), ...bracket('g', 0, [0, 1], 'b')])).toBe(2);
  });
});
