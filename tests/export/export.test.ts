import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFfmpeg, flickerIndex, runExport, type ExportProgress } from '../../src-main/export/index.js';
import { StationError } from '../../src-main/util/errors.js';
import { makeFrames, type FixtureFrame } from './fixtures.js';
import { frameMeans, probe } from './probe.js';

let root: string;
let frames: FixtureFrame[];
let flicker: FixtureFrame[];

/** Irregular capture times: 30 s, then a 20-minute gap, then 10 s intervals. */
const irregular = (i: number): number => (i < 20 ? i * 30 : i < 40 ? 1800 + i * 30 : 3000 + i * 10);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'skystation-export-test-'));
  frames = await makeFrames(join(root, 'frames'), { count: 60, at: irregular });
  flicker = await makeFrames(join(root, 'flicker'), { count: 60, gain: (i) => (i % 2 === 0 ? 1.2 : 0.8) });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function shuffled<T>(a: readonly T[]): T[] {
  // Deterministic: odd indices reversed after evens.
  return [...a.filter((_, i) => i % 2 === 0), ...a.filter((_, i) => i % 2 === 1).reverse()];
}

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(StationError);
    return { code: (err as StationError).code, message: (err as Error).message };
  }
  throw new Error('expected a rejection');
}

describe('runExport', () => {
  it('writes 1080p H.264 (yuv420p, avc1, faststart) with every frame once, in capture order, at a constant rate', async () => {
    const progress: ExportProgress[] = [];
    const r = await runExport(
      {
        frames: shuffled(frames),
        preset: 'h264-1080p',
        fps: 30,
        encoderPreset: 'ultrafast',
        outputDir: join(root, 'out'),
        name: 'night',
      },
      { onProgress: (p) => progress.push(p) },
    );
    expect(r.outputPath).toBe(join(root, 'out', 'night.mp4'));
    expect(r.frames).toBe(60);
    expect(r.durationSeconds).toBe(2);
    const info = await probe(r.outputPath);
    expect(info).toMatchObject({
      codec: 'h264',
      tag: 'avc1',
      pixFmt: 'yuv420p',
      width: 1920,
      height: 1080,
      frames: 60,
    });
    expect(info.duration).toBeCloseTo(2, 1);
    const bytes = await readFile(r.outputPath);
    expect(bytes.indexOf('moov')).toBeLessThan(bytes.indexOf('mdat'));
    expect(progress.at(-1)!.fraction).toBe(1);
    expect(progress.some((p) => p.etaSeconds !== null)).toBe(true);
    expect(await readdir(join(root, 'out'))).toEqual(['night.mp4']);
  });

  it('writes H.265 tagged hvc1, with vidstab stabilisation, at 25 fps', async () => {
    const r = await runExport({
      frames,
      preset: 'h265-4k',
      fps: 25,
      width: 640,
      height: 360,
      stabilise: true,
      encoderPreset: 'ultrafast',
      outputPath: join(root, 'out', 'hevc.mp4'),
    });
    const info = await probe(r.outputPath);
    expect(info).toMatchObject({ codec: 'hevc', tag: 'hvc1', width: 640, height: 360, frames: 60 });
    expect(info.duration).toBeCloseTo(2.4, 1);
  });

  it('writes an image-sequence folder with the date/time/temperature overlay burned in', async () => {
    const r = await runExport({
      frames: frames.slice(0, 12),
      preset: 'image-sequence',
      imageFormat: 'png',
      overlay: true,
      overlayTimeZone: 'UTC',
      outputDir: join(root, 'out'),
      name: 'seq',
    });
    const files = (await readdir(r.outputPath)).sort();
    expect(files).toHaveLength(12);
    expect(files[0]).toBe('frame_00001.png');
    const meta = await sharp(join(r.outputPath, files[0]!)).metadata();
    expect([meta.width, meta.height]).toEqual([320, 180]);
    // The text box sits bottom-left: that corner differs from the source, the top-right does not.
    const diff = async (a: string, b: string, left: number, top: number): Promise<number> => {
      const box = { left, top, width: 60, height: 12 };
      const [x, y] = await Promise.all([a, b].map((p) => sharp(p).extract(box).greyscale().raw().toBuffer()));
      let s = 0;
      for (let i = 0; i < x!.length; i++) s += Math.abs(x![i]! - y![i]!);
      return s / x!.length;
    };
    const out = join(r.outputPath, files[0]!);
    expect(await diff(out, frames[0]!.path, 12, 160)).toBeGreaterThan(15);
    expect(await diff(out, frames[0]!.path, 250, 2)).toBeLessThan(4);
  });

  it("deflicker 'smooth' removes most frame-to-frame brightness variation; 'ffmpeg' reduces it", async () => {
    const base = {
      frames: flicker,
      preset: 'h264-720p-web',
      width: 320,
      height: 180,
      encoderPreset: 'ultrafast',
      crf: 12,
      outputDir: join(root, 'out'),
    } as const;
    const [none, smooth, ff] = await Promise.all([
      runExport({ ...base, name: 'flicker-none', deflicker: 'none' }),
      runExport({ ...base, name: 'flicker-smooth', deflicker: 'smooth' }),
      runExport({ ...base, name: 'flicker-ffmpeg', deflicker: 'ffmpeg' }),
    ]);
    const before = flickerIndex(await frameMeans(none.outputPath));
    const afterSmooth = flickerIndex(await frameMeans(smooth.outputPath));
    const afterFfmpeg = flickerIndex(await frameMeans(ff.outputPath));
    expect(before).toBeGreaterThan(10);
    expect(afterSmooth).toBeLessThan(before * 0.15);
    expect(afterFfmpeg).toBeLessThan(before * 0.8);
  });

  it("deflicker 'smooth' on mixed JPEG/PNG frames (the sharp stream path) removes the flicker too", async () => {
    const png = await makeFrames(join(root, 'flicker-png'), {
      count: 30,
      format: 'png',
      gain: (i) => (i % 2 === 0 ? 1.2 : 0.8),
      start: '2025-01-10T20:30:00Z',
    });
    const mixed = [...flicker.slice(0, 30), ...png];
    const base = {
      frames: mixed,
      preset: 'h264-720p-web',
      width: 320,
      height: 180,
      encoderPreset: 'ultrafast',
      crf: 12,
      outputDir: join(root, 'out'),
    } as const;
    const none = await runExport({ ...base, name: 'mixed-none', deflicker: 'none' });
    const smooth = await runExport({ ...base, name: 'mixed-smooth', deflicker: 'smooth' });
    const before = flickerIndex(await frameMeans(none.outputPath));
    expect(before).toBeGreaterThan(10);
    expect(flickerIndex(await frameMeans(smooth.outputPath))).toBeLessThan(before * 0.15);
    expect((await probe(smooth.outputPath)).frames).toBe(60);
  });

  it('cancel mid-export leaves neither the final file nor a temporary one', async () => {
    const dir = join(root, 'cancel');
    const controller = new AbortController();
    const p = runExport(
      {
        frames: flicker,
        preset: 'h264-1080p',
        deflicker: 'smooth',
        encoderPreset: 'slow',
        outputDir: dir,
        name: 'cancelled',
      },
      {
        signal: controller.signal,
        onProgress: (pr) => {
          if (pr.stage === 'encoding' && pr.fraction > 0.1) controller.abort();
        },
      },
    );
    expect((await codeOf(p)).code).toBe('export_cancelled');
    expect(controller.signal.aborted).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it('a corrupt frame fails with a clear error and leaves no file', async () => {
    const dir = join(root, 'corrupt');
    const bad = await makeFrames(join(dir, 'frames'), { count: 10, prefix: 'c' });
    await writeFile(bad[4]!.path, 'not a jpeg');
    const plain = await codeOf(
      runExport({
        frames: bad,
        preset: 'h264-720p-web',
        encoderPreset: 'ultrafast',
        outputDir: join(dir, 'out'),
        name: 'plain',
      }),
    );
    expect(plain.code).toBe('ffmpeg_failed');
    expect(plain.message).toMatch(/ffmpeg failed \(exit code 1\):\n.*(JPEG|Invalid data)/s);
    const smooth = await codeOf(
      runExport({
        frames: bad,
        preset: 'h264-720p-web',
        deflicker: 'smooth',
        outputDir: join(dir, 'out'),
        name: 'smooth',
      }),
    );
    expect(smooth.code).toBe('frame_unreadable');
    expect(smooth.message).toContain(bad[4]!.path);
    expect(await readdir(join(dir, 'out'))).toEqual([]);
  });

  it('an ffmpeg error carries the last stderr lines', async () => {
    const e = await codeOf(
      runExport({
        frames: frames.slice(0, 3),
        preset: 'h264-720p-web',
        crop: { left: 0, top: 0, width: 5000, height: 100 },
        outputDir: join(root, 'bad-crop'),
        name: 'x',
      }),
    );
    expect(e.code).toBe('ffmpeg_failed');
    expect(e.message).toMatch(/crop/i);
    expect(await readdir(join(root, 'bad-crop'))).toEqual([]);
  });

  it('a bogus ffmpeg path, or none on PATH, gives ffmpeg_missing', async () => {
    const e = await codeOf(
      runExport(
        { frames, preset: 'h264-720p-web', outputDir: join(root, 'x'), name: 'x' },
        { ffmpegPath: join(root, 'no-such-ffmpeg') },
      ),
    );
    expect(e.code).toBe('ffmpeg_missing');
    expect(e.message).toContain('no-such-ffmpeg');
    expect((await codeOf(findFfmpeg({ env: { PATH: root } }))).code).toBe('ffmpeg_missing');
    expect(await findFfmpeg({ env: { PATH: '/usr/bin' } })).toBe('/usr/bin/ffmpeg');
  });

  it('validates the request and names the field', async () => {
    const e = await codeOf(runExport({ frames, preset: 'h264-1080p', fps: 29, outputDir: root, name: 'x' }));
    expect(e.code).toBe('invalid_export_request');
    expect(e.message).toContain('fps');
  });
});
