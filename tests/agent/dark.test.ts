/**
 * Issue 6, dark frames: POST /capture with `frame_kind: "dark"` on a real
 * agent process (simulated camera, at night). The dark is near-black with the
 * camera's hot pixels; a night light frame with the same settings has them in
 * the same places, and subtracting the dark (in linear light) removes them.
 * Another camera (another identity) has its hot pixels elsewhere.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureListResponse, CaptureResponse } from '../../agent/src/protocol/index.js';
import { agentHttp, expectShape, type AgentHttp } from '../contract/client.js';
import { startAgentProcess, type RunningProcess } from '../helpers/processes.js';

const W = 640;
const H = 360;
/** Local midnight in Colorado: the sun is far below the horizon. */
const NIGHT = ['--sim-time', '2025-10-01T06:00:00Z', '--sim-resolution', `${W}x${H}`];
const NIGHT_SETTINGS = { iso: 3200, shutter_speed: '20' };

interface Grey {
  data: Float64Array;
  mean: number;
}

/** The image as linear light per pixel (mean of the channels), 0..1. */
async function linearGrey(path: string): Promise<Grey> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  expect(info).toMatchObject({ width: W, height: H, channels: 3 });
  const toLinear = (c: number): number => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const out = new Float64Array(W * H);
  let sum = 0;
  for (let p = 0; p < W * H; p++) {
    out[p] = (toLinear(data[p * 3]!) + toLinear(data[p * 3 + 1]!) + toLinear(data[p * 3 + 2]!)) / 3;
    sum += data[p * 3]! + data[p * 3 + 1]! + data[p * 3 + 2]!;
  }
  return { data: out, mean: sum / (W * H * 3) };
}

/** How far a pixel stands above the median of its 8 neighbours (linear). */
function excess(img: Float64Array, p: number): number {
  const x = p % W;
  const y = Math.floor(p / W);
  const around: number[] = [];
  for (let dy = -1; dy <= 1; dy++)
    for (let dx = -1; dx <= 1; dx++) {
      if (dx === 0 && dy === 0) continue;
      const nx = Math.min(W - 1, Math.max(0, x + dx));
      const ny = Math.min(H - 1, Math.max(0, y + dy));
      around.push(img[ny * W + nx]!);
    }
  around.sort((a, b) => a - b);
  return img[p]! - (around[3]! + around[4]!) / 2;
}

/** Pixels that stand well above their neighbours: hot pixels (and, in a light frame, stars). */
function outliers(img: Float64Array, threshold: number): number[] {
  const hits: number[] = [];
  for (let p = 0; p < img.length; p++) if (excess(img, p) > threshold) hits.push(p);
  return hits;
}

describe('dark frames on a simulated camera', () => {
  let dir: string;
  let agent: RunningProcess & { port: number };
  let other: (RunningProcess & { port: number }) | null = null;
  let http: AgentHttp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-dark-'));
    agent = await startAgentProcess(join(dir, 'a'), NIGHT);
    http = agentHttp(agent.port, join(dir, 'a'));
  });

  afterAll(async () => {
    await agent?.stop();
    await other?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const capture = async (h: AgentHttp, body: object): Promise<CaptureResponse> => {
    const r = await h.post('/capture', body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return expectShape(CaptureResponse, r.body, 'POST /capture');
  };

  let darkHot: number[] = [];

  it('a dark frame is near-black, journalled as dark, with hot pixels that a night frame has in the same places', async () => {
    const light = await capture(http, NIGHT_SETTINGS);
    const dark = await capture(http, { ...NIGHT_SETTINGS, frame_kind: 'dark' });
    expect(light.frame_kind).toBeUndefined();
    expect(dark.frame_kind).toBe('dark');
    const rows = expectShape(CaptureListResponse, (await http.get('/captures')).body, 'GET /captures').items;
    expect(rows.find((c) => c.capture_id === dark.capture_id)).toMatchObject({
      frame_kind: 'dark',
      bracket: null,
      settings_used: { iso: 3200, shutter_speed: '20' },
    });
    expect(rows.find((c) => c.capture_id === light.capture_id)?.frame_kind).toBe('light');

    const d = await linearGrey(dark.image_path);
    const l = await linearGrey(light.image_path);
    expect(d.mean, 'the dark frame is near-black').toBeLessThan(20);
    expect(l.mean - d.mean, 'the night sky is brighter than the capped lens').toBeGreaterThan(8);

    darkHot = outliers(d.data, 0.08);
    // About one pixel in 4000 is hot; JPEG keeps most of them as isolated bright points.
    expect(darkHot.length).toBeGreaterThan(10);
    expect(darkHot.length).toBeLessThan(200);
    const lightHot = darkHot.filter((p) => excess(l.data, p) > 0.08);
    expect(
      lightHot.length / darkHot.length,
      'hot pixels of the dark are bright points in the light frame',
    ).toBeGreaterThan(0.8);

    // Subtracting the matching dark in linear light removes them.
    const corrected = l.data.map((v, p) => Math.max(0, v - d.data[p]!));
    const remaining = darkHot.filter((p) => excess(corrected, p) > 0.08);
    // A few keep a trace (JPEG's chroma subsampling mixes a coloured hot pixel with a blue sky differently from black).
    expect(remaining.length / darkHot.length, 'hot pixels left after subtraction').toBeLessThan(0.2);
    const meanExcess = (img: Float64Array): number =>
      darkHot.reduce((sum, p) => sum + excess(img, p), 0) / darkHot.length;
    expect(meanExcess(corrected) / meanExcess(l.data), 'hot pixel brightness left after subtraction').toBeLessThan(
      0.15,
    );
  });

  it('a dark frame at a short exposure and low gain is darker and has fewer visible hot pixels', async () => {
    const short = await capture(http, { iso: 400, shutter_speed: '1', frame_kind: 'dark' });
    const d = await linearGrey(short.image_path);
    expect(d.mean).toBeLessThan(3);
    expect(outliers(d.data, 0.08).length).toBeLessThan(darkHot.length / 2);
  });

  it('another camera has its hot pixels in other places', async () => {
    other = await startAgentProcess(join(dir, 'b'), NIGHT);
    const dark = await capture(agentHttp(other.port, join(dir, 'b')), { ...NIGHT_SETTINGS, frame_kind: 'dark' });
    const hot = new Set(outliers((await linearGrey(dark.image_path)).data, 0.08));
    expect(hot.size).toBeGreaterThan(10);
    const shared = darkHot.filter((p) => hot.has(p)).length;
    expect(shared / darkHot.length).toBeLessThan(0.1);
  });
});
