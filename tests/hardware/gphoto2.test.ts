/**
 * The gphoto2 driver against the REAL gphoto2 program (/usr/bin/gphoto2).
 * There is no camera on this machine, so this covers the no-camera path for
 * real: auto-detect lists nothing, open and capture fail with no_camera and a
 * sentence that says what to do, and a running agent answers 503 no_camera.
 * The path with a camera runs against a stand-in (tests/fixtures/bin/gphoto2-dslr,
 * a program that behaves like gphoto2 with a Canon EOS 600D attached), because
 * no DSLR can be attached here.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gphoto2Camera } from '../../agent/src/camera/gphoto2.js';
import { startAgentProcess } from '../helpers/processes.js';
import { FIXTURE_BIN, postCapture, standInRuns } from './helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'skys-gphoto2-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const version = execFileSync('gphoto2', ['--version'], { encoding: 'utf8' });

describe('gphoto2 driver with the real gphoto2 and no camera attached', () => {
  it('runs the installed gphoto2', () => {
    expect(version).toMatch(/^gphoto2 2\.\d+/);
  });

  it('auto-detect lists no camera, and open says no camera was detected', async () => {
    const cam = new Gphoto2Camera({ tempDir: join(dir, 'captures') });
    expect(await cam.detect()).toEqual([]);
    await expect(cam.open()).rejects.toMatchObject({
      code: 'no_camera',
      status: 503,
      message: expect.stringMatching(/^No camera detected by gphoto2; check the USB cable/) as string,
    });
    expect(cam.state()).toBe('disconnected');
  });

  it('capture-image-and-download fails with no_camera, and no temp file is left behind', async () => {
    const cam = new Gphoto2Camera({ tempDir: join(dir, 'captures') });
    await expect(
      cam.capture({ iso: 400, shutter_speed: '1/125', exposure_compensation: 0, awb_mode: 0, ae_metering_mode: 0 }),
    ).rejects.toMatchObject({
      code: 'no_camera',
      message: expect.stringMatching(/No camera detected by gphoto2/) as string,
    });
    expect(readdirSync(join(dir, 'captures'))).toEqual([]);
  });

  it('a port with nothing on it is reported as no camera on that port', async () => {
    const cam = new Gphoto2Camera({ tempDir: join(dir, 'captures'), port: 'usb:009,099' });
    await expect(cam.open()).rejects.toMatchObject({ code: 'no_camera' });
  });

  it('a running agent with --camera gphoto2 starts anyway and answers a capture with 503 no_camera', async () => {
    const agent = await startAgentProcess(join(dir, 'agent'), ['--camera', 'gphoto2'], {
      SKYSTATION_CAMERA_BACKOFF_MS: '60000',
    });
    try {
      const r = await postCapture(agent.port, agent.auth);
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({
        status: 'error',
        error: { code: 'no_camera', message: expect.stringMatching(/^No camera detected by gphoto2/) as string },
      });
      expect(
        agent.stdout.some((l) => l.includes('"event":"camera.failure"') && l.includes('"kind":"disconnected"')),
      ).toBe(true);
    } finally {
      await agent.stop();
    }
  });
});

describe('gphoto2 driver with a DSLR (gphoto2-dslr stand-in)', () => {
  const DSLR = join(FIXTURE_BIN, 'gphoto2-dslr');
  let control: string;
  let runLog: string;
  const setMode = (mode: string): void => writeFileSync(control, JSON.stringify({ mode }));
  const camera = (port?: string): Gphoto2Camera =>
    new Gphoto2Camera({ tempDir: join(dir, 'dslr'), program: DSLR, port, aperture: '8', marginMs: 15_000 });
  const SETTINGS = { iso: 800, shutter_speed: '1/250', exposure_compensation: 0, awb_mode: 1, ae_metering_mode: 0 };

  beforeAll(() => {
    control = join(dir, 'dslr-control.json');
    runLog = join(dir, 'dslr-runs.jsonl');
    process.env['SKYSTATION_FAKE_GPHOTO2_CONTROL'] = control;
    process.env['SKYSTATION_FAKE_GPHOTO2_LOG'] = runLog;
    setMode('ok');
  });

  it('detects the camera, sets ISO, shutter, aperture and white balance, and downloads the JPEG', async () => {
    const cam = camera();
    await cam.open();
    expect(cam.capabilities()).toMatchObject({ model: 'Canon EOS 600D', temperature: true });
    const result = await cam.capture(SETTINGS);
    expect(await sharp(result.jpeg).metadata()).toMatchObject({ format: 'jpeg', width: 600, height: 400 });
    expect(result.metadata.temperature_c).toBe(31.5);
    const capture = standInRuns(runLog).find((r) => r.argv.includes('--capture-image-and-download'))!;
    expect(capture.argv.slice(0, 10)).toEqual([
      '--port',
      'usb:001,005',
      '--set-config',
      'iso=800',
      '--set-config',
      'shutterspeed=1/250',
      '--set-config',
      'aperture=8',
      '--set-config',
      'whitebalance=Daylight',
    ]);
    // Downloaded into a temp file inside the storage folder, removed after reading.
    expect(readdirSync(join(dir, 'dslr'))).toEqual([]);
    await cam.close();
  });

  it('streams live view from --capture-movie', async () => {
    const cam = camera('usb:001,005');
    await cam.open();
    const ac = new AbortController();
    let frames = 0;
    for await (const frame of cam.previewFrames({ width: 320, height: 212, fps: 25 }, ac.signal)) {
      expect(frame).toMatchObject({ width: 320, height: 212 });
      if (++frames === 3) ac.abort();
    }
    expect(frames).toBe(3);
    await cam.close();
  });

  it('maps a refused setting, a claimed USB device, an unplugged camera and a wrong port to their codes', async () => {
    const cam = camera();
    await cam.open();
    await expect(cam.capture({ ...SETTINGS, awb_mode: 7 })).rejects.toMatchObject({
      code: 'unsupported_setting',
      status: 400,
    });
    setMode('busy');
    await expect(cam.capture(SETTINGS)).rejects.toMatchObject({ code: 'camera_busy' });
    setMode('unplugged');
    await expect(cam.capture(SETTINGS)).rejects.toMatchObject({ code: 'no_camera' });
    await expect(camera().open()).rejects.toMatchObject({ code: 'no_camera' });
    setMode('ok');
    await expect(camera('usb:002,009').open()).rejects.toThrow(
      'No camera on port usb:002,009; gphoto2 sees Canon EOS 600D on usb:001,005.',
    );
    await cam.close();
  });
});
