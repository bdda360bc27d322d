import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CapturesRepo, type CaptureRow } from '../db/captures-repo.js';
import { openDatabase, type Db } from '../db/database.js';
import { FrameSelector, isNightCapture } from './frame-selection.js';

let dir: string;
let db: Db;
let gallery: CapturesRepo;

function row(agentId: string, n: number, extra: Partial<CaptureRow> = {}): CaptureRow {
  return {
    agentId,
    captureId: `c${n}`,
    seq: n,
    capturedAt: `2026-01-10T2${n % 4}:00:0${n % 10}Z`,
    schedule: 'night',
    profile: null,
    profileVersion: null,
    testId: null,
    variant: null,
    iso: 800,
    shutterSpeed: '15',
    settingsJson: '{}',
    lux: 0.01,
    temperatureC: 4,
    width: 4,
    height: 3,
    sizeBytes: 1,
    sha256: 'x',
    imagePath: `originals/${agentId}/c${n}.jpg`,
    thumbPath: `thumbs/${agentId}/c${n}.jpg`,
    importedAt: '2026-01-11T00:00:00Z',
    ...extra,
  };
}

const agents = [
  { id: 'aaaa1111', name: 'roof' },
  { id: 'aaaa2222', name: 'yard' },
];

function selector(maxFrames?: number): FrameSelector {
  return new FrameSelector({ mediaDir: join(dir, 'media'), gallery, agents: () => agents, maxFrames });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skys-frames-'));
  db = openDatabase(join(dir, 'gallery.sqlite'));
  gallery = new CapturesRepo(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('FrameSelector', () => {
  it('names cameras by id, id prefix or name, and a removed camera by the id its images carry', () => {
    gallery.insert(row('gone', 1));
    const s = selector();
    expect(s.resolveAgents(['aaaa2222', 'roof', 'aaaa1', 'gone'])).toEqual([
      agents[1],
      agents[0],
      agents[0],
      { id: 'gone', name: 'gone' },
    ]);
    expect(() => s.resolveAgents(['aaaa'])).toThrow(expect.objectContaining({ code: 'agent_ambiguous' }) as Error);
    expect(() => s.resolveAgents(['nobody'])).toThrow(
      expect.objectContaining({
        code: 'agent_unknown',
        message: expect.stringContaining('roof (aaaa1111)') as string,
      }) as Error,
    );
  });

  it('selects the light frames in the range, oldest first across cameras, with what processing needs', () => {
    gallery.insertMany([
      row('aaaa1111', 1),
      row('aaaa2222', 2, { bracketGroup: 'g', bracketIndex: 0, bracketCount: 3, bracketEv: -2 }),
      row('aaaa1111', 3, { frameKind: 'dark' }),
      row('aaaa1111', 5, { variant: 'B' }),
    ]);
    const s = selector();
    const frames = s.select({
      agentIds: ['aaaa1111', 'aaaa2222'],
      from: '2026-01-10T20:00:00Z',
      to: '2026-01-10T23:59:59Z',
    });
    expect(frames.map((f) => [f.agentId, f.capturedAt])).toEqual([
      ['aaaa1111', '2026-01-10T21:00:01Z'],
      ['aaaa1111', '2026-01-10T21:00:05Z'],
      ['aaaa2222', '2026-01-10T22:00:02Z'],
    ]);
    expect(frames[0]).toMatchObject({
      path: join(dir, 'media', 'originals/aaaa1111/c1.jpg'),
      night: true,
      exposureSeconds: 15,
      gain: 800,
      temperatureC: 4,
    });
    expect(frames.find((f) => f.agentId === 'aaaa2222')?.bracket).toEqual({ group: 'g', index: 0, count: 3, ev: -2 });
    const onlyB = s.select({
      agentIds: ['aaaa1111'],
      from: '2026-01-10T00:00:00Z',
      to: '2026-01-11T00:00:00Z',
      variant: 'B',
    });
    expect(onlyB.map((f) => f.capturedAt)).toEqual(['2026-01-10T21:00:05Z']);
    expect(() =>
      selector(1).select({
        agentIds: ['aaaa1111', 'aaaa2222'],
        from: '2026-01-10T00:00:00Z',
        to: '2026-01-11T00:00:00Z',
      }),
    ).toThrow(expect.objectContaining({ code: 'too_many_frames' }) as Error);
  });

  it('finds each camera’s dark frames with their exposure and refuses a path outside the media folder', () => {
    gallery.insertMany([
      row('aaaa1111', 3, { frameKind: 'dark' }),
      row('aaaa1111', 4, { frameKind: 'dark', iso: null }),
    ]);
    const s = selector();
    expect(s.darksOf(['aaaa1111', 'aaaa2222'])).toEqual([
      {
        path: join(dir, 'media', 'originals/aaaa1111/c3.jpg'),
        agentId: 'aaaa1111',
        exposureSeconds: 15,
        gain: 800,
        temperatureC: 4,
      },
    ]);
    expect(() => s.mediaFile('../secrets.txt')).toThrow(expect.objectContaining({ code: 'bad_media_path' }) as Error);
  });

  it('counts night-schedule captures and very dark ones as night frames', () => {
    expect(isNightCapture({ schedule: 'milky_way', lux: 500 })).toBe(true);
    expect(isNightCapture({ schedule: 'day', lux: 0.5 })).toBe(true);
    expect(isNightCapture({ schedule: 'day', lux: null })).toBe(false);
  });
});
