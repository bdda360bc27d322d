/**
 * The export's processing stage with real files: bracketed sets fused by
 * exposure fusion (ffprobe counts one frame per set, and the fused frame has
 * fewer clipped highlights and shadows than the over- and under-exposed
 * images), dark-frame subtraction that removes fixed hot pixels with the
 * dark matched by exposure and temperature, and cancelling while processing.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExport, type ExportProgress } from '../../src-main/export/index.js';
import { StationError } from '../../src-main/util/errors.js';
import {
  H,
  HOT,
  W,
  bracketPixels,
  clipping,
  hotPixels,
  makeBrackets,
  makeDark,
  makeLight,
  meanAt,
  rawOf,
  type BracketFrame,
} from './hdr-fixtures.js';
import { probe } from './probe.js';

let root: string;
let sets: BracketFrame[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'skystation-hdr-test-'));
  sets = await makeBrackets(join(root, 'brackets'), { sets: 10 });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const at = (s: number): string => new Date(Date.parse('2025-01-10T22:00:00Z') + s * 1000).toISOString();

describe('bracketed sets in exports', () => {
  it('fuse: one video frame per set (ffprobe), singles kept, in time order', async () => {
    const singles = [sets[0]!, sets[3]!].map((f, i) => ({
      path: f.path,
      capturedAt: new Date(Date.parse('2025-01-10T18:00:00Z') + i * 30_000).toISOString(),
    }));
    const r = await runExport({
      frames: [...sets, ...singles],
      preset: 'h264-720p-web',
      encoderPreset: 'ultrafast',
      outputDir: join(root, 'out-fuse'),
      name: 'fused',
    });
    expect(r.frames).toBe(12);
    expect(r.warnings).toBeUndefined();
    expect((await probe(r.outputPath)).frames).toBe(12);
    expect(await readdir(join(root, 'out-fuse'))).toEqual(['fused.mp4']);
  });

  it('the fused frame has fewer clipped highlights than the over image and fewer clipped shadows than the under one', async () => {
    const r = await runExport({
      frames: sets.slice(0, 3),
      preset: 'image-sequence',
      imageFormat: 'png',
      outputDir: join(root, 'out-img'),
      name: 'fused-seq',
    });
    const files = await readdir(r.outputPath);
    expect(files).toEqual(['frame_00001.png']);
    const fusedRaw = await rawOf(join(r.outputPath, files[0]!));
    const fused = clipping(fusedRaw);
    // Not a plain average: each region takes its best-exposed image (mid-tones
    // from the over image, the bright end from the under image).
    const evs = [-2, 0, 2].map((ev) => bracketPixels(ev));
    const average = Buffer.from(evs[0]!.map((v, p) => Math.round((v + evs[1]![p]! + evs[2]![p]!) / 3)));
    const column = (buf: Uint8Array, x0: number, x1: number): number => {
      let s = 0;
      for (let y = 0; y < H; y++) for (let x = x0; x < x1; x++) s += buf[(y * W + x) * 3 + 1]!;
      return s / (H * (x1 - x0));
    };
    expect(column(fusedRaw, 80, 110)).toBeGreaterThan(column(average, 80, 110) + 30);
    expect(column(fusedRaw, 160, W)).toBeLessThan(column(average, 160, W) - 40);
    const under = clipping(bracketPixels(-2));
    const normal = clipping(bracketPixels(0));
    const over = clipping(bracketPixels(2));
    // The fixtures are what the test needs: clipping at both ends.
    expect(over.highlights).toBeGreaterThan(0.3);
    expect(under.shadows).toBeGreaterThan(0.15);
    expect(fused.highlights).toBeLessThan(over.highlights * 0.5);
    expect(fused.highlights).toBeLessThanOrEqual(normal.highlights);
    expect(fused.shadows).toBeLessThan(under.shadows * 0.5);
    expect(fused.shadows).toBeLessThanOrEqual(normal.shadows);
  });

  it("'middle' keeps the metered image of each set, with no processing stage", async () => {
    const progress: ExportProgress[] = [];
    const r = await runExport(
      {
        frames: sets.slice(0, 6),
        hdr: 'middle',
        preset: 'image-sequence',
        imageFormat: 'png',
        outputDir: join(root, 'out-mid'),
        name: 'middle',
      },
      { onProgress: (p) => progress.push(p) },
    );
    const files = (await readdir(r.outputPath)).sort();
    expect(files).toEqual(['frame_00001.png', 'frame_00002.png']);
    const got = await rawOf(join(r.outputPath, files[0]!));
    const want = bracketPixels(0, 0);
    let diff = 0;
    for (let p = 0; p < got.length; p++) diff += Math.abs(got[p]! - want[p]!);
    expect(diff / got.length).toBeLessThan(1);
    expect(progress.some((p) => p.stage === 'processing')).toBe(false);
  });

  it('incomplete sets are fused from what is there or kept as a single image, and the result says so', async () => {
    const partial = [...sets.slice(0, 2), sets[5]!];
    const r = await runExport({
      frames: partial,
      preset: 'h264-720p-web',
      encoderPreset: 'ultrafast',
      outputDir: join(root, 'out-partial'),
      name: 'partial',
    });
    expect((await probe(r.outputPath)).frames).toBe(2);
    expect(r.warnings).toEqual([
      '2 bracketed sets of 2 were incomplete in this selection: 1 fused from the images present, 1 exported as their single image.',
    ]);
  });
});

describe('dark frames in exports', () => {
  let lights: { path: string; capturedAt: string; exposureSeconds: number; gain: number; temperatureC: number }[];
  let darks: { path: string; exposureSeconds: number; gain: number; temperatureC: number; agentId: string }[];
  const hotCold = hotPixels(1);
  const hotWarm = hotPixels(2);
  const hotLong = hotPixels(3);

  beforeAll(async () => {
    const dir = join(root, 'night');
    await mkdir(dir, { recursive: true });
    darks = [];
    // Three dark libraries with different hot pixels: 10 s at 5 °C, 10 s at 25 °C, 30 s at 5 °C.
    const libs = [
      { name: 'cold10', hot: hotCold, exposureSeconds: 10, temperatureC: 5 },
      { name: 'warm10', hot: hotWarm, exposureSeconds: 10, temperatureC: 25 },
      { name: 'cold30', hot: hotLong, exposureSeconds: 30, temperatureC: 5 },
    ];
    for (const [li, lib] of libs.entries()) {
      for (let k = 0; k < 3; k++) {
        const path = join(dir, `dark-${lib.name}-${k}.png`);
        await makeDark(path, lib.hot, li * 10 + k);
        darks.push({
          path,
          exposureSeconds: lib.exposureSeconds,
          gain: 800,
          temperatureC: lib.temperatureC + k * 0.5,
          agentId: 'cam',
        });
      }
    }
    lights = [];
    // Warm 10 s lights carry the warm hot pixels; cold 30 s lights the long ones.
    for (let i = 0; i < 4; i++) {
      const warm = i < 2;
      const path = join(dir, `light-${i}.png`);
      await makeLight(path, warm ? hotWarm : hotLong);
      lights.push({
        path,
        capturedAt: at(i * 30),
        exposureSeconds: warm ? 10 : 30,
        gain: 800,
        temperatureC: warm ? 24 : 4,
      });
    }
  });

  async function exportNight(name: string, extra: Record<string, unknown>): Promise<Buffer[]> {
    const r = await runExport({
      frames: lights.map((l) => ({ ...l, agentId: 'cam' })),
      preset: 'image-sequence',
      imageFormat: 'png',
      outputDir: join(root, 'out-night'),
      name,
      ...extra,
    });
    const files = (await readdir(r.outputPath)).sort();
    expect(files).toHaveLength(4);
    return Promise.all(files.map((f) => rawOf(join(r.outputPath, f))));
  }

  it('without darks the hot pixels are in the export', async () => {
    const frames = await exportNight('raw', {});
    expect(meanAt(frames[0]!, hotWarm)).toBeGreaterThan(HOT);
    expect(meanAt(frames[3]!, hotLong)).toBeGreaterThan(HOT);
  });

  it('auto: the dark matched by exposure and temperature removes the hot pixels and touches nothing else', async () => {
    const frames = await exportNight('calibrated', { darks: 'auto', darkFrames: darks });
    const bg = (f: Buffer): number => meanAt(f, hotPixels(99));
    for (const [i, f] of frames.entries()) {
      const own = i < 2 ? hotWarm : hotLong;
      // Hot pixels gone: within a few levels of the sky around them.
      expect(Math.abs(meanAt(f, own) - bg(f))).toBeLessThan(4);
      // The other libraries' hot pixels were not subtracted (that would leave black holes).
      expect(meanAt(f, hotCold)).toBeGreaterThan(15);
      expect(meanAt(f, i < 2 ? hotLong : hotWarm)).toBeGreaterThan(15);
    }
  });

  it('lights with no dark within tolerance are left as they are, missing darks skipped, both in the warnings', async () => {
    const r = await runExport({
      frames: lights.map((l, i) => ({ ...l, agentId: 'cam', exposureSeconds: i === 0 ? 120 : l.exposureSeconds })),
      darks: 'auto',
      darkFrames: [...darks, { ...darks[0]!, path: join(root, 'night', 'deleted-dark.png') }],
      preset: 'image-sequence',
      imageFormat: 'png',
      outputDir: join(root, 'out-night'),
      name: 'one-unmatched',
    });
    expect(r.warnings).toEqual([
      '1 light frame of 4 had no dark close enough in exposure, gain and temperature and was exported without dark subtraction.',
      '1 dark frame was missing from the media folder and not used.',
    ]);
    const first = await rawOf(join(r.outputPath, 'frame_00001.png'));
    expect(meanAt(first, hotWarm)).toBeGreaterThan(HOT);
  });
});

describe('cancelling while processing', () => {
  it('stops in the processing stage and leaves no output, partial or final', async () => {
    const many = await makeBrackets(join(root, 'many'), { sets: 40, group: 'many' });
    const out = join(root, 'out-cancel');
    const ac = new AbortController();
    const stages: ExportProgress[] = [];
    const err = await runExport(
      { frames: many, preset: 'h264-720p-web', encoderPreset: 'ultrafast', outputDir: out, name: 'cancelled' },
      {
        signal: ac.signal,
        onProgress: (p) => {
          stages.push(p);
          if (p.stage === 'processing' && p.fraction > 0.05) ac.abort();
        },
      },
    ).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StationError);
    expect((err as StationError).code).toBe('export_cancelled');
    expect(stages.every((p) => p.stage === 'processing')).toBe(true);
    expect(stages.some((p) => p.etaSeconds !== null)).toBe(true);
    expect(await readdir(out)).toEqual([]);
  });
});
