/**
 * Dark-frame subtraction on the simulated camera's own frames: its night
 * lights carry the sensor's fixed hot pixels, its darks (lens capped) the same
 * hot pixels alone, both as the agent's JPEGs. An export with darks 'auto'
 * leaves much less of the hot pixels than the same export with darks off.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedCamera } from '../../agent/src/camera/simulated.js';
import type { DriverSettings } from '../../agent/src/camera/driver.js';
import { runExport } from '../../src-main/export/index.js';
import { rawOf } from './hdr-fixtures.js';

const W = 480;
const H = 270;
let root: string;

/** Green of pixel i minus the median of its 8 neighbours (0 at the border). */
function excess(raw: Uint8Array, i: number): number {
  const x = i % W;
  const y = Math.floor(i / W);
  if (x < 1 || y < 1 || x >= W - 1 || y >= H - 1) return 0;
  const v: number[] = [];
  for (let dy = -1; dy <= 1; dy++)
    for (let dx = -1; dx <= 1; dx++) if (dx !== 0 || dy !== 0) v.push(raw[((y + dy) * W + x + dx) * 3 + 1]!);
  v.sort((a, b) => a - b);
  return raw[i * 3 + 1]! - (v[3]! + v[4]!) / 2;
}

const settings = (frameKind: 'light' | 'dark'): DriverSettings => ({
  // A moderate night exposure: the sky stays well below white, so the lights' hot pixels are not clipped.
  iso: 800,
  shutter_speed: '8',
  exposure_compensation: 0,
  awb_mode: 0,
  ae_metering_mode: 0,
  frame_kind: frameKind,
});

let lights: { path: string; capturedAt: string; agentId: string; exposureSeconds: number; gain: number }[];
let darks: { path: string; agentId: string; exposureSeconds: number; gain: number; temperatureC: null }[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'skystation-simdark-'));
  await mkdir(join(root, 'cam'), { recursive: true });
  const night = new Date('2025-01-10T23:00:00Z');
  const camera = new SimulatedCamera({
    clock: { now: () => night },
    location: { latitude: 47.3, longitude: 8.5 },
    width: W,
    height: H,
    timeScale: 0.001,
    cameraIdentity: 'export-darks-test',
  });
  await camera.open();
  lights = [];
  darks = [];
  for (let i = 0; i < 3; i++) {
    const l = await camera.capture(settings('light'));
    const lp = join(root, 'cam', `light-${i}.jpg`);
    await writeFile(lp, l.jpeg);
    lights.push({
      path: lp,
      capturedAt: new Date(night.getTime() + i * 30_000).toISOString(),
      agentId: 'sim',
      exposureSeconds: 8,
      gain: 800,
    });
    const d = await camera.capture(settings('dark'));
    const dp = join(root, 'cam', `dark-${i}.jpg`);
    await writeFile(dp, d.jpeg);
    darks.push({ path: dp, agentId: 'sim', exposureSeconds: 8, gain: 800, temperatureC: null });
  }
  await camera.close();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("dark subtraction on the simulated camera's frames", () => {
  it('leaves well under two thirds of the hot pixels', async () => {
    // The sensor's hot pixels: where the first dark is bright.
    const dark = await rawOf(darks[0]!.path);
    const hot: number[] = [];
    for (let i = 0; i < W * H; i++) if (dark[i * 3 + 1]! > 60 && excess(dark, i) > 40) hot.push(i);
    const render = async (name: string, extra: Record<string, unknown>): Promise<number> => {
      const r = await runExport({
        frames: lights,
        preset: 'image-sequence',
        imageFormat: 'png',
        outputDir: join(root, 'out'),
        name,
        ...extra,
      });
      const files = (await readdir(r.outputPath)).sort();
      expect(files).toHaveLength(3);
      const img = await rawOf(join(r.outputPath, files[0]!));
      return hot.reduce((a, i) => a + Math.abs(excess(img, i)), 0) / hot.length;
    };
    const before = await render('raw', {});
    const after = await render('calibrated', { darks: 'auto', darkFrames: darks });
    // The simulated sensor has about one hot pixel in 4,000 (~32 at this size); the brighter ones are found.
    // JPEG compression (4:2:0) of both frames leaves a residue: a third to a half, measured.
    expect(hot.length).toBeGreaterThanOrEqual(8);
    expect(before).toBeGreaterThan(30);
    expect(after).toBeLessThan(before * 0.6);
  });
});
