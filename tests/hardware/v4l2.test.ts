/**
 * The v4l2 driver (USB cameras through ffmpeg's v4l2 input). This machine has
 * no /dev/video device, so the driver is given a stand-in ffmpeg
 * (tests/fixtures/bin/ffmpeg-v4l2) that takes the same arguments, swaps the
 * v4l2 input for a lavfi test pattern and runs the real /usr/bin/ffmpeg for
 * everything else; told to, it fails the way ffmpeg does for an unplugged or
 * busy device, or hangs. The driver receives the ffmpeg path as an option.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ResilientCamera } from '../../agent/src/camera/resilient.js';
import { V4l2Camera } from '../../agent/src/camera/v4l2.js';
import { until } from '../helpers/processes.js';
import { FIXTURE_BIN, isAlive, standInRuns } from './helpers.js';

const FFMPEG = join(FIXTURE_BIN, 'ffmpeg-v4l2');
const SETTINGS = { iso: 400, shutter_speed: '1/60', exposure_compensation: 0, awb_mode: 0, ae_metering_mode: 0 };

let dir: string;
let control: string;
let runLog: string;
const setMode = (mode: string): void => writeFileSync(control, JSON.stringify({ mode }));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'skys-v4l2-'));
  control = join(dir, 'control.json');
  runLog = join(dir, 'runs.jsonl');
  process.env['SKYSTATION_FAKE_V4L2_CONTROL'] = control;
  process.env['SKYSTATION_FAKE_V4L2_LOG'] = runLog;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => setMode('ok'));

const camera = (): V4l2Camera =>
  new V4l2Camera({ device: '/dev/video2', ffmpeg: FFMPEG, width: 320, height: 240, marginMs: 15_000 });

describe('v4l2 driver (ffmpeg stand-in for a USB camera)', () => {
  it('captures one JPEG frame from the device with ffmpeg', async () => {
    setMode('ok');
    const cam = camera();
    await cam.open();
    const result = await cam.capture(SETTINGS);
    expect(await sharp(result.jpeg).metadata()).toMatchObject({ format: 'jpeg', width: 320, height: 240 });
    expect(cam.capabilities()).toMatchObject({ width: 320, height: 240, longExposure: false });
    expect(result.metadata.lux).toBeGreaterThan(0);
    const argv = standInRuns(runLog).at(-1)!.argv;
    expect(argv).toEqual(
      expect.arrayContaining(['-f', 'v4l2', '-video_size', '320x240', '-i', '/dev/video2', '-frames:v', '1']),
    );
    await cam.close();
  });

  it('streams MJPEG preview frames and stops ffmpeg when the preview ends', async () => {
    const cam = camera();
    await cam.open();
    const ac = new AbortController();
    const sizes: { width: number; height: number }[] = [];
    for await (const frame of cam.previewFrames({ width: 160, height: 120, fps: 10 }, ac.signal)) {
      sizes.push({ width: frame.width, height: frame.height });
      if (sizes.length === 3) ac.abort();
    }
    expect(sizes).toEqual(Array(3).fill({ width: 160, height: 120 }));
    const run = standInRuns(runLog).at(-1)!;
    expect(run.argv).toEqual(expect.arrayContaining(['-f', 'mjpeg', '-']));
    await until(
      () => isAlive(run.pid),
      (alive) => !alive,
    );
    await cam.close();
  });

  it('reports an unplugged device as no_camera and a device in use as camera_busy', async () => {
    setMode('unplugged');
    await expect(camera().open()).rejects.toMatchObject({ code: 'no_camera' });
    await expect(camera().open()).rejects.toThrow(/^No USB camera at \/dev\/video2; plug it in/);
    setMode('busy');
    await expect(camera().open()).rejects.toMatchObject({ code: 'camera_busy' });
  });

  it('under the watchdog, a hung ffmpeg is killed and the camera is reopened when it answers again', async () => {
    // The margin covers the reopen too, which starts ffmpeg: 1 s was too short on a loaded CI host.
    const cam = new ResilientCamera(camera(), { marginMs: 4_000, initialBackoffMs: 60_000 });
    await cam.open();
    setMode('hang-hard');
    const before = standInRuns(runLog).length;
    await expect(cam.capture(SETTINGS)).rejects.toMatchObject({ code: 'camera_timeout' });
    const hung = standInRuns(runLog).slice(before)[0]!;
    await until(
      () => isAlive(hung.pid),
      (alive) => !alive,
    );
    expect(cam.stats()).toMatchObject({ connected: false, failures: { timeout: 1 } });
    setMode('ok');
    await expect(cam.capture(SETTINGS)).resolves.toMatchObject({ width: 320 });
    expect(cam.stats()).toMatchObject({ connected: true, reconnects: 1 });
    await cam.close();
  });
});
