/**
 * The libcamera driver against stand-ins for rpicam-still / rpicam-vid /
 * rpicam-hello (tests/fixtures/bin): this machine has no Raspberry Pi camera.
 * The stand-ins take the real programs' flags, refuse unknown ones the way
 * they do, write real JPEGs and libcamera-style JSON metadata, and can be told
 * to hang or to behave like an unplugged camera. The watchdog tests run a
 * real agent process with the stand-ins first on its PATH.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { classifyRpicamError, LibcameraCamera } from '../../agent/src/camera/libcamera.js';
import { ResilientCamera } from '../../agent/src/camera/resilient.js';
import { runToExit, startAgentProcess, until, waitForLine, type RunningProcess } from '../helpers/processes.js';
import { FIXTURE_BIN, isAlive, pathWithStandIns, postCapture, standInRuns } from './helpers.js';

const STILL = join(FIXTURE_BIN, 'rpicam-still');
const VID = join(FIXTURE_BIN, 'rpicam-vid');
const BASE = { exposure_compensation: 0, awb_mode: 0, ae_metering_mode: 0 };

let dir: string;
let control: string;
let runLog: string;
const setMode = (mode: string): void => writeFileSync(control, JSON.stringify({ mode }));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'skys-libcamera-'));
  control = join(dir, 'control.json');
  runLog = join(dir, 'runs.jsonl');
  // The driver runs the stand-ins by absolute path; they read their mode from this file on every run.
  process.env['SKYSTATION_FAKE_RPICAM_CONTROL'] = control;
  process.env['SKYSTATION_FAKE_RPICAM_LOG'] = runLog;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('libcamera driver (rpicam stand-ins)', () => {
  const camera = (): LibcameraCamera =>
    new LibcameraCamera({ tempDir: join(dir, 'captures'), stillProgram: STILL, vidProgram: VID, marginMs: 15_000 });

  afterEach(() => setMode('ok'));

  it('opens, captures a real JPEG with the mapped flags, and reads lux and colour temperature from the metadata', async () => {
    setMode('ok');
    const cam = camera();
    await cam.open();
    expect(cam.capabilities()).toMatchObject({ model: 'Raspberry Pi camera (imx477)', width: 640, height: 480 });
    const result = await cam.capture({ ...BASE, iso: 200, shutter_speed: '1/100', awb_mode: 1, ae_metering_mode: 1 });
    const meta = await sharp(result.jpeg).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 640, height: 480 });
    expect(result.metadata.lux).toBeGreaterThan(0);
    expect(result.metadata).toMatchObject({ colour_temperature_k: 5200, temperature_c: 41 });
    const argv = standInRuns(runLog).at(-1)!.argv;
    expect(argv).toEqual(expect.arrayContaining(['-n', '--immediate', '--metadata', '-', '--metadata-format', 'json']));
    const flag = (name: string): string | undefined => argv[argv.indexOf(name) + 1];
    expect([flag('--shutter'), flag('--gain'), flag('--awb'), flag('--metering'), flag('--ev')]).toEqual([
      '10000',
      '2',
      'daylight',
      'spot',
      '0',
    ]);
    // The temp file inside the captures folder is gone.
    expect(argv[argv.indexOf('-o') + 1]).toMatch(/captures\/\.tmp-rpicam-/);
    await expect(stat(flag('-o')!)).rejects.toThrow();
    await cam.close();
  });

  it('sets white balance gains for a colour temperature', async () => {
    const cam = camera();
    await cam.open();
    await cam.capture({ ...BASE, iso: 100, shutter_speed: '1/50', colour_temperature_k: 3200 });
    const argv = standInRuns(runLog).at(-1)!.argv;
    expect(argv).toContain('--awbgains');
    expect(argv).not.toContain('--awb');
    await cam.close();
  });

  it('streams MJPEG preview frames from rpicam-vid and stops the program when the preview ends', async () => {
    const cam = camera();
    await cam.open();
    const ac = new AbortController();
    const frames = [];
    for await (const frame of cam.previewFrames({ width: 160, height: 120, fps: 15 }, ac.signal)) {
      frames.push(frame);
      if (frames.length === 3) ac.abort();
    }
    expect(frames).toHaveLength(3);
    for (const f of frames) expect(await sharp(f.jpeg).metadata()).toMatchObject({ width: 160, height: 120 });
    const vid = standInRuns(runLog)
      .filter((r) => r.program === 'rpicam-vid')
      .at(-1)!;
    expect(vid.argv).toEqual(expect.arrayContaining(['--codec', 'mjpeg', '-o', '-', '-t', '0']));
    await until(
      () => isAlive(vid.pid),
      (alive) => !alive,
    );
    await cam.close();
  });

  it('under the watchdog, a preview that stops delivering frames is stopped and the camera reopened', async () => {
    setMode('ok');
    const cam = new ResilientCamera(camera(), { marginMs: 1_000, initialBackoffMs: 60_000 });
    await cam.open();
    setMode('hang-hard');
    const before = standInRuns(runLog).length;
    const pull = async (): Promise<number> => {
      const ac = new AbortController();
      let n = 0;
      for await (const _frame of cam.previewFrames!({ width: 160, height: 120, fps: 15 }, ac.signal)) {
        n += 1;
        if (n === 2) ac.abort();
      }
      return n;
    };
    await expect(pull()).rejects.toMatchObject({ code: 'camera_timeout' });
    expect(cam.stats()).toMatchObject({ connected: false, failures: { timeout: 1 } });
    const vid = standInRuns(runLog)
      .slice(before)
      .find((r) => r.program === 'rpicam-vid')!;
    await until(
      () => isAlive(vid.pid),
      (alive) => !alive,
    );
    setMode('ok');
    expect(await pull()).toBe(2);
    expect(cam.stats()).toMatchObject({ connected: true, reconnects: 1 });
    await cam.close();
  });

  it('reports an unplugged camera as no_camera and a camera in use as camera_busy', async () => {
    setMode('unplugged');
    await expect(camera().open()).rejects.toMatchObject({
      code: 'no_camera',
      message: /No camera detected by libcamera/,
    });
    setMode('ok');
    const cam = camera();
    await cam.open();
    setMode('unplugged');
    await expect(cam.capture({ ...BASE, iso: 100, shutter_speed: '1/100' })).rejects.toMatchObject({
      code: 'no_camera',
    });
    setMode('busy');
    await expect(cam.capture({ ...BASE, iso: 100, shutter_speed: '1/100' })).rejects.toMatchObject({
      code: 'camera_busy',
    });
    await cam.close();
  });

  it('the stand-in refuses unknown flags like rpicam-still, and the driver maps that to unsupported_setting', async () => {
    const r = await runToExit(STILL, ['-n', '--no-such-flag', '-o', join(dir, 'x.jpg')]);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain("ERROR: *** unrecognised option '--no-such-flag' ***");
    expect(classifyRpicamError('rpicam-still', r.stderr)).toMatchObject({ code: 'unsupported_setting', status: 400 });
    const bad = await runToExit(STILL, ['-n', '--awb', 'sunny', '-o', join(dir, 'x.jpg')]);
    expect(bad.code).not.toBe(0);
  });
});

describe('watchdog and recovery in a running agent (libcamera stand-ins on its PATH)', () => {
  let agent: (RunningProcess & { port: number; auth: { authorization: string } }) | null = null;
  afterEach(async () => {
    await agent?.stop();
    agent = null;
  });

  const start = async (extra: string[] = []): Promise<NonNullable<typeof agent>> => {
    const data = mkdtempSync(join(dir, 'agent-'));
    agent = await startAgentProcess(data, ['--camera', 'libcamera', ...extra], {
      PATH: pathWithStandIns(),
      SKYSTATION_FAKE_RPICAM_CONTROL: control,
      SKYSTATION_FAKE_RPICAM_LOG: runLog,
      SKYSTATION_CAMERA_MARGIN_MS: '1500',
      SKYSTATION_CAMERA_BACKOFF_MS: '200',
    });
    return agent;
  };

  it('kills a hung rpicam-still, fails the capture with camera_timeout, and captures again once the camera answers', async () => {
    setMode('ok');
    const a = await start();
    const first = await postCapture(a.port, a.auth);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'success' });
    expect((await readFile(first.body['image_path'] as string)).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));

    // The camera wedges: rpicam-still never returns and even ignores SIGTERM.
    setMode('hang-hard');
    const before = standInRuns(runLog).length;
    const hung = await postCapture(a.port, a.auth);
    expect(hung.status).toBe(503);
    expect(hung.body).toMatchObject({ status: 'error', error: { code: 'camera_timeout' } });
    expect((hung.body['error'] as { message: string }).message).toMatch(/did not answer within 2 s/);
    const stuck = standInRuns(runLog)
      .slice(before)
      .find((r) => r.program === 'rpicam-still' && r.argv.includes('--immediate'))!;
    expect(stuck).toBeDefined();
    // Closed means killed: SIGTERM, then SIGKILL because it ignores SIGTERM.
    await until(
      () => isAlive(stuck.pid),
      (alive) => !alive,
    );

    // The camera comes back; the agent reopens it by itself, without a restart.
    setMode('ok');
    await waitForLine(a, /"event":"camera.reconnected"/);
    const again = await postCapture(a.port, a.auth);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'success' });
    expect(a.child.exitCode).toBeNull();
  });

  it('leaves no hung camera program behind when the agent stops during recovery', async () => {
    setMode('ok');
    const a = await start();
    setMode('hang-hard');
    const before = standInRuns(runLog).length;
    expect((await postCapture(a.port, a.auth)).status).toBe(503);
    // The reconnect loop is now waiting on a rpicam-still --list-cameras that never answers.
    await until(
      () => standInRuns(runLog).slice(before),
      (runs) => runs.some((r) => r.argv.includes('--list-cameras')),
    );
    expect(await a.stop()).toBe(0);
    agent = null;
    for (const run of standInRuns(runLog).slice(before)) {
      await until(
        () => isAlive(run.pid),
        (alive) => !alive,
      );
    }
  });

  it('starts with the camera unplugged, answers no_camera, and resumes when it is plugged in', async () => {
    setMode('unplugged');
    const a = await start();
    const missing = await postCapture(a.port, a.auth);
    expect(missing.status).toBe(503);
    expect(missing.body).toMatchObject({
      error: { code: 'no_camera', message: expect.stringMatching(/^No camera detected/) as string },
    });
    setMode('ok');
    await waitForLine(a, /"event":"camera.reconnected"/);
    expect((await postCapture(a.port, a.auth)).status).toBe(200);
  });

  it('--camera auto picks libcamera when rpicam-hello lists a camera and gphoto2 finds none, and says why', async () => {
    setMode('ok');
    const a = await start(['--camera', 'auto']);
    const line = await waitForLine(a, /"event":"camera.auto"/);
    expect(JSON.parse(line)).toMatchObject({
      driver: 'libcamera',
      reason: expect.stringMatching(/rpicam-hello lists camera 0/) as string,
    });
    expect((await postCapture(a.port, a.auth)).status).toBe(200);
  });
});
