import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CameraError, ValidationError } from '../util/errors.js';
import type { CameraDriver, CaptureResult, DriverSettings } from './driver.js';
import { ResilientCamera, watchdogFromEnv, type CameraFailureEvent } from './resilient.js';

const SETTINGS: DriverSettings = {
  iso: 100,
  shutter_speed: '1/100',
  exposure_compensation: 0,
  awb_mode: 0,
  ae_metering_mode: 0,
};

type Behaviour = 'ok' | 'hang' | 'unplugged' | 'busy' | 'invalid';

/** A driver whose next behaviour the test sets; it records opens, closes and aborted calls. */
function fakeDriver() {
  const fake = {
    behaviour: 'ok' as Behaviour,
    opens: 0,
    closes: 0,
    aborted: 0,
    driver: 'fake',
    open(): Promise<void> {
      fake.opens += 1;
      if (fake.behaviour === 'unplugged') return Promise.reject(new CameraError('no_camera', 'No camera detected.'));
      if (fake.behaviour === 'hang') return new Promise<void>(() => undefined);
      return Promise.resolve();
    },
    close(): Promise<void> {
      fake.closes += 1;
      return Promise.resolve();
    },
    capabilities: () => ({}) as ReturnType<CameraDriver['capabilities']>,
    state: () => 'ready' as const,
    meter: () => Promise.resolve({ lux: 10 }),
    capture(_s: DriverSettings, signal?: AbortSignal): Promise<CaptureResult> {
      switch (fake.behaviour) {
        case 'hang':
          return new Promise((_resolve, reject) =>
            signal?.addEventListener('abort', () => {
              fake.aborted += 1;
              reject(new CameraError('capture_aborted', 'cancelled'));
            }),
          );
        case 'unplugged':
          return Promise.reject(new CameraError('camera_io', 'USB error.'));
        case 'busy':
          return Promise.reject(new CameraError('camera_busy', 'Busy.'));
        case 'invalid':
          return Promise.reject(new ValidationError('Refused.', undefined, 'unsupported_setting'));
        default:
          return Promise.resolve({
            jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xd9]),
            width: 1,
            height: 1,
            metadata: { lux: 1, exposure_started_at: new Date().toISOString(), duration_ms: 1 },
          });
      }
    },
  };
  return fake;
}

describe('ResilientCamera', () => {
  it('times a hung capture out, closes the camera, and the next capture reopens it and succeeds', async () => {
    const fake = fakeDriver();
    const cam = new ResilientCamera(fake, { marginMs: 200, initialBackoffMs: 60_000 });
    await cam.open();
    fake.behaviour = 'hang';
    const failures: CameraFailureEvent[] = [];
    cam.on('failure', (e: CameraFailureEvent) => failures.push(e));
    await expect(cam.capture(SETTINGS)).rejects.toMatchObject({ code: 'camera_timeout' });
    expect(fake.aborted).toBe(1);
    expect(fake.closes).toBeGreaterThanOrEqual(1);
    expect(cam.state()).toBe('disconnected');
    expect(cam.stats()).toMatchObject({ connected: false, reconnects: 0, failures: { timeout: 1 } });
    expect(failures).toEqual([
      expect.objectContaining({ kind: 'timeout', code: 'camera_timeout', operation: 'capture' }),
    ]);

    fake.behaviour = 'ok';
    const reconnected = once(cam, 'reconnected');
    await expect(cam.capture(SETTINGS)).resolves.toMatchObject({ width: 1 });
    await reconnected;
    expect(cam.stats()).toMatchObject({ connected: true, reconnects: 1 });
    await cam.close();
  });

  it('starts without a camera, reports no_camera, and reconnects by itself with backoff when it returns', async () => {
    const fake = fakeDriver();
    fake.behaviour = 'unplugged';
    const cam = new ResilientCamera(fake, { marginMs: 500, initialBackoffMs: 20, maxBackoffMs: 80 });
    await cam.open();
    expect(cam.state()).toBe('disconnected');
    await expect(cam.capture(SETTINGS)).rejects.toMatchObject({ code: 'no_camera' });
    const reconnected = once(cam, 'reconnected');
    fake.behaviour = 'ok';
    await reconnected;
    expect(cam.stats().connected).toBe(true);
    expect(cam.stats().failures.disconnected).toBeGreaterThanOrEqual(2);
    await expect(cam.capture(SETTINGS)).resolves.toMatchObject({ height: 1 });
    await cam.close();
  });

  it('reopens after an I/O error, but not after a busy camera or a refused setting', async () => {
    const fake = fakeDriver();
    const cam = new ResilientCamera(fake, { marginMs: 500, initialBackoffMs: 60_000 });
    await cam.open();
    const opens = fake.opens;
    fake.behaviour = 'busy';
    await expect(cam.capture(SETTINGS)).rejects.toMatchObject({ code: 'camera_busy' });
    fake.behaviour = 'invalid';
    await expect(cam.capture(SETTINGS)).rejects.toMatchObject({ code: 'unsupported_setting', status: 400 });
    expect(cam.stats()).toMatchObject({ connected: true, failures: { busy: 1, invalid_settings: 1 } });
    expect(fake.opens).toBe(opens);
    fake.behaviour = 'unplugged';
    await expect(cam.capture(SETTINGS)).rejects.toMatchObject({ code: 'camera_io' });
    expect(cam.stats()).toMatchObject({ connected: false, failures: { io: 1 } });
    await cam.close();
  });

  it('does not count a capture the caller cancelled', async () => {
    const fake = fakeDriver();
    const cam = new ResilientCamera(fake, { marginMs: 60_000 });
    await cam.open();
    fake.behaviour = 'hang';
    const ac = new AbortController();
    const pending = cam.capture(SETTINGS, ac.signal);
    ac.abort();
    await expect(pending).rejects.toMatchObject({ code: 'capture_aborted' });
    expect(Object.values(cam.stats().failures).every((n) => n === 0)).toBe(true);
    expect(cam.stats().connected).toBe(true);
    await cam.close();
  });

  it('gives up on a hung open after the margin and keeps retrying in the background', async () => {
    const fake = fakeDriver();
    fake.behaviour = 'hang';
    const cam = new ResilientCamera(fake, { marginMs: 100, initialBackoffMs: 20, maxBackoffMs: 40 });
    await cam.open();
    expect(cam.stats()).toMatchObject({ connected: false, failures: { timeout: 1 } });
    const reconnected = once(cam, 'reconnected');
    fake.behaviour = 'ok';
    await reconnected;
    expect(cam.state()).toBe('ready');
    await cam.close();
  });

  it('reads its timing from the environment and rejects nonsense', () => {
    expect(watchdogFromEnv({})).toEqual({ marginMs: 30_000, initialBackoffMs: 1_000 });
    expect(watchdogFromEnv({ SKYSTATION_CAMERA_MARGIN_MS: '1500', SKYSTATION_CAMERA_BACKOFF_MS: '200' })).toEqual({
      marginMs: 1500,
      initialBackoffMs: 200,
    });
    expect(() => watchdogFromEnv({ SKYSTATION_CAMERA_MARGIN_MS: 'soon' })).toThrow(/SKYSTATION_CAMERA_MARGIN_MS/);
  });
});
