/**
 * The export service end to end with the real gallery (SQLite), real files
 * and real ffmpeg: a selection with bracketed sets, single lights and dark
 * frames exports one frame per set, never a dark as a light, and subtracts
 * the darks by default; marking a capture as dark takes it out of the next
 * export.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapturesRepo, type CaptureRow } from '../../src-main/db/captures-repo.js';
import { openDatabase, type Db } from '../../src-main/db/database.js';
import type { ExportJobView } from '../../src-main/export/api-types.js';
import { ExportService } from '../../src-main/export/service.js';
import { createLogger } from '../../src-main/util/log.js';
import { HOT, hotPixels, makeBrackets, makeDark, makeLight, meanAt, rawOf } from './hdr-fixtures.js';
import { probe } from './probe.js';

const AGENT = 'cam-roof-0001';
let dir: string;
let media: string;
let db: Db;
let repo: CapturesRepo;
let svc: ExportService;
const hot = hotPixels(7);

function row(path: string, capturedAt: string, extra: Partial<CaptureRow>): CaptureRow {
  const rel = relative(media, path);
  return {
    agentId: AGENT,
    captureId: rel.replace(/[^A-Za-z0-9]+/g, '-'),
    seq: 0,
    capturedAt,
    schedule: 'night',
    profile: 'p1',
    profileVersion: '1',
    testId: null,
    variant: null,
    iso: 800,
    shutterSpeed: '10',
    settingsJson: '{}',
    lux: 0.01,
    temperatureC: 5,
    width: 192,
    height: 108,
    sizeBytes: 1,
    sha256: 'x',
    imagePath: rel,
    thumbPath: rel,
    importedAt: capturedAt,
    ...extra,
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skystation-hdr-svc-'));
  media = join(dir, 'media');
  db = openDatabase(join(dir, 'gallery.sqlite'));
  repo = new CapturesRepo(db);
  const orig = join(media, 'originals', AGENT);
  await mkdir(orig, { recursive: true });
  // 4 bracketed sets at dusk (17:00), 3 night lights with hot pixels (20:00), 3 darks in between.
  const sets = await makeBrackets(join(orig, 'dusk'), { sets: 4, agentId: AGENT });
  repo.insertMany(
    sets.map((f) =>
      row(f.path, f.capturedAt, {
        shutterSpeed: '1/100',
        iso: 100,
        bracketGroup: f.bracket.group,
        bracketIndex: f.bracket.index,
        bracketCount: f.bracket.count,
        bracketEv: f.bracket.ev,
      }),
    ),
  );
  for (let i = 0; i < 3; i++) {
    const light = join(orig, `light-${i}.png`);
    await makeLight(light, hot);
    const dark = join(orig, `dark-${i}.png`);
    await makeDark(dark, hot, i);
    repo.insert(row(light, `2025-01-10T20:0${i}:00Z`, {}));
    repo.insert(row(dark, `2025-01-10T19:5${i}:00Z`, { frameKind: 'dark' }));
  }
  svc = new ExportService({
    dataDir: dir,
    db,
    mediaDir: media,
    gallery: repo,
    agents: () => [{ id: AGENT, name: 'Roof' }],
    emit: () => undefined,
    log: createLogger(null),
  });
  await svc.start();
});

afterAll(async () => {
  await svc?.close();
  db?.close();
  await rm(dir, { recursive: true, force: true });
});

async function finished(job: ExportJobView): Promise<ExportJobView> {
  await svc.queue.idle();
  return svc.get(job.id);
}

const selection = { agentIds: ['Roof'], from: '2025-01-10T16:00:00Z', to: '2025-01-10T21:00:00Z' };

describe('exports of bracketed sets and dark frames (gallery → service → ffmpeg)', () => {
  it('one frame per set plus each light; darks are never exported as lights', async () => {
    const job = await finished(
      svc.create({ selection, options: { preset: 'h264-720p-web', encoderPreset: 'ultrafast', name: 'mixed' } }),
    );
    expect(job.status).toBe('done');
    // 12 bracketed images (4 sets) + 3 lights selected, the 3 darks not: the job card counts the 7 frames
    // of the video, not the 15 captures behind them (issue #15).
    expect(job.frames).toBe(7);
    expect(job.result!.frames).toBe(7);
    expect((await probe(job.result!.outputPath)).frames).toBe(7);
    // The dusk lights (1/100 s, ISO 100) have no dark, and need none: no warning.
    expect(job.warnings).toEqual([]);
  });

  it('subtracts the matching darks by default (hot pixels gone), and not with darks off', async () => {
    const night = { ...selection, from: '2025-01-10T19:00:00Z' };
    const auto = await finished(
      svc.create({ selection: night, options: { preset: 'image-sequence', imageFormat: 'png', name: 'auto' } }),
    );
    const off = await finished(
      svc.create({
        selection: night,
        options: { preset: 'image-sequence', imageFormat: 'png', name: 'off', darks: 'off' },
      }),
    );
    for (const j of [auto, off]) expect(j.result!.frames).toBe(3);
    const first = async (j: ExportJobView): Promise<Buffer> => {
      const files = (await readdir(j.result!.outputPath)).sort();
      expect(files).toHaveLength(3);
      return rawOf(join(j.result!.outputPath, files[0]!));
    };
    expect(meanAt(await first(off), hot)).toBeGreaterThan(HOT);
    expect(meanAt(await first(auto), hot)).toBeLessThan(50);
    expect(auto.warnings).toEqual([]);
  });

  it("'middle' exports one image per set without processing", async () => {
    const job = await finished(
      svc.create({
        selection: { ...selection, to: '2025-01-10T18:00:00Z' },
        options: { preset: 'image-sequence', imageFormat: 'png', name: 'middle', hdr: 'middle' },
      }),
    );
    expect(job.result!.frames).toBe(4);
  });

  it('a set cut by the time range is fused from what is there; the warning survives a restart', async () => {
    const job = await finished(
      svc.create({
        selection: { ...selection, from: '2025-01-10T16:59:00Z', to: '2025-01-10T17:00:01Z' },
        options: { preset: 'image-sequence', imageFormat: 'png', name: 'cut' },
      }),
    );
    // Two images of one set: one output frame on the card and in the result.
    expect(job.frames).toBe(1);
    expect(job.result!.frames).toBe(1);
    const warning =
      '1 bracketed set of 1 was incomplete in this selection: 1 fused from the images present, 0 exported as their single image.';
    expect(job.warnings).toEqual([warning]);
    await svc.close();
    svc = new ExportService({
      dataDir: dir,
      db,
      mediaDir: media,
      gallery: repo,
      agents: () => [{ id: AGENT, name: 'Roof' }],
      emit: () => undefined,
      log: createLogger(null),
    });
    await svc.start();
    expect(svc.get(job.id).warnings).toEqual([warning]);
  });

  it('a capture marked as dark leaves the next export (and back)', async () => {
    const night = { ...selection, from: '2025-01-10T19:00:00Z' };
    const lights = repo.page({ agentId: AGENT, from: night.from, frameKind: 'light', limit: 10 }).items;
    expect(lights).toHaveLength(3);
    expect(repo.page({ agentId: AGENT, frameKind: 'dark', limit: 10 }).items).toHaveLength(3);
    const marked = repo.setFrameKind(
      [
        { agentId: AGENT, captureId: lights[0]!.captureId },
        { agentId: AGENT, captureId: 'no-such-capture' },
      ],
      'dark',
    );
    expect(marked.map((c) => c.frameKind)).toEqual(['dark']);
    const opts = { preset: 'image-sequence', imageFormat: 'png', darks: 'off' } as const;
    const two = await finished(svc.create({ selection: night, options: { ...opts, name: 'marked' } }));
    expect(two.result!.frames).toBe(2);
    repo.setFrameKind([{ agentId: AGENT, captureId: lights[0]!.captureId }], 'light');
    const three = await finished(svc.create({ selection: night, options: { ...opts, name: 'unmarked' } }));
    expect(three.result!.frames).toBe(3);
  });
});
