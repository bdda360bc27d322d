/**
 * CaptureService with bracketed sets: a real journal and captures folder, a
 * plain-object camera that can fail on a chosen exposure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CameraCapabilities, CameraDriver, DriverSettings } from './camera/driver.js';
import { CaptureService } from './capture-service.js';
import { Journal } from './db/journal.js';
import { DeploymentStore } from './profile/deployment-store.js';
import type { AgentEvent } from './protocol/index.js';
import { CapturesStore } from './storage/captures-store.js';
import { CameraError } from './util/errors.js';
import { createLogger } from './util/log.js';

const CAPS: CameraCapabilities = {
  model: 'Test camera',
  width: 8,
  height: 8,
  isoMin: 100,
  isoMax: 6400,
  shutterMinSeconds: 1 / 4000,
  shutterMaxSeconds: 30,
  longExposure: true,
  livePreview: false,
  bracketing: true,
  autofocus: false,
  temperature: false,
  whiteBalanceModes: ['auto'],
};

class FakeCamera implements CameraDriver {
  readonly driver = 'fake';
  seen: DriverSettings[] = [];
  failOn: number | null = null;
  constructor(private readonly caps: CameraCapabilities) {}
  open(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  capabilities(): CameraCapabilities {
    return this.caps;
  }
  state(): 'ready' {
    return 'ready';
  }
  meter(): Promise<{ lux: number }> {
    return Promise.resolve({ lux: 1000 });
  }
  capture(settings: DriverSettings): ReturnType<CameraDriver['capture']> {
    this.seen.push(settings);
    if (this.failOn === this.seen.length) {
      return Promise.reject(new CameraError('camera_io', 'The camera stopped answering.'));
    }
    return Promise.resolve({
      jpeg: Buffer.from(`jpeg ${this.seen.length} ${settings.shutter_speed}`),
      width: 8,
      height: 8,
      metadata: { lux: 1000, exposure_started_at: new Date().toISOString(), duration_ms: 1 },
    });
  }
}

describe('bracketed sets in the capture service', () => {
  let dir: string;
  let journal: Journal;
  let events: AgentEvent[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skys-bracket-spec-'));
    journal = Journal.open(join(dir, 'journal.db'));
    events = [];
  });
  afterEach(async () => {
    journal.close();
    await rm(dir, { recursive: true, force: true });
  });

  const service = async (
    camera: CameraDriver,
    holdCamera?: <T>(fn: () => Promise<T>) => Promise<T>,
  ): Promise<CaptureService> => {
    const store = new CapturesStore(dir);
    await store.init();
    const log = createLogger('silent');
    let tick = Date.parse('2025-10-01T20:00:00Z');
    return new CaptureService({
      camera,
      journal,
      store,
      deployments: new DeploymentStore(dir, log),
      cameraName: 'test',
      log,
      emit: (e) => events.push(e),
      now: () => new Date((tick += 1000)),
      ...(holdCamera ? { holdCamera } : {}),
    });
  };

  it('keeps the camera held (live preview paused) from the first image of a set to the last', async () => {
    const camera = new FakeCamera(CAPS);
    const log: string[] = [];
    const capture = camera.capture.bind(camera);
    camera.capture = (settings) => {
      log.push(`expose ${settings.shutter_speed}`);
      return capture(settings);
    };
    const hold = async <T>(fn: () => Promise<T>): Promise<T> => {
      log.push('hold');
      try {
        return await fn();
      } finally {
        log.push('release');
      }
    };
    const svc = await service(camera, hold);
    await svc.capture({ iso: 400, shutter_speed: '1/100', bracket: { evs: [0, 1] } });
    expect(log).toEqual(['hold', 'expose 1/100', 'expose 1/50', 'release']);
    // A single frame needs no hold of its own (the camera wrapper pauses the preview per still).
    await svc.capture({ iso: 400, shutter_speed: '1/100' });
    expect(log.slice(4)).toEqual(['expose 1/100']);
  });

  it('journals every image with the shared group, in order, and a dark set as dark', async () => {
    const camera = new FakeCamera(CAPS);
    const r = await (
      await service(camera)
    ).capture({
      iso: 400,
      shutter_speed: '1/100',
      bracket: { evs: [-1, 0, 1] },
      frame_kind: 'dark',
    });
    expect(camera.seen.map((s) => [s.shutter_speed, s.frame_kind])).toEqual([
      ['1/200', 'dark'],
      ['1/100', 'dark'],
      ['1/50', 'dark'],
    ]);
    const rows = journal.list(0, 10, false).items;
    expect(rows.map((c) => c.bracket)).toEqual(
      [0, 1, 2].map((index) => ({
        group: r.bracket_group,
        index,
        count: 3,
        ev: index - 1,
      })),
    );
    expect(rows.every((c) => c.frame_kind === 'dark')).toBe(true);
    // The driver hint is not a setting: settings_used stays the wire's settings.
    expect(rows.every((c) => !('frame_kind' in c.settings_used))).toBe(true);
    expect(events.filter((e) => e.type === 'capture.done')).toHaveLength(3);
  });

  it('keeps the images taken before a failure and says how many there are', async () => {
    const camera = new FakeCamera(CAPS);
    camera.failOn = 3;
    const svc = await service(camera);
    const err = await svc.capture({ auto: true, bracket: { evs: [-2, -1, 0, 1, 2] } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'bracket_incomplete', status: 503 });
    expect((err as Error).message).toMatch(/stopped after 2 of 5 images \(The camera stopped answering\.\)/);
    const rows = journal.list(0, 10, false).items;
    expect(rows).toHaveLength(2);
    expect(rows.map((c) => c.bracket?.index)).toEqual([0, 1]);
    expect(rows.every((c) => !c.synced)).toBe(true);
    // Each exposure is announced (capture.started) before its outcome: three started, two done, then the failure.
    expect(events.map((e) => e.type)).toEqual([
      'capture.started',
      'capture.done',
      'capture.started',
      'capture.done',
      'capture.started',
      'capture.failed',
    ]);
    // The service is free again afterwards.
    camera.failOn = null;
    await expect(svc.capture({ auto: true })).resolves.toMatchObject({ status: 'success' });
  });

  it('a failure on the first image is the camera’s own error, and nothing is journalled', async () => {
    const camera = new FakeCamera(CAPS);
    camera.failOn = 1;
    const err = await (
      await service(camera)
    )
      .capture({ auto: true, bracket: { evs: [0, 2] } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'camera_io' });
    expect(journal.list(0, 10, false).items).toHaveLength(0);
  });

  it('refuses a bracket on a camera without bracketing, before metering or exposing', async () => {
    const camera = new FakeCamera({ ...CAPS, bracketing: false });
    let metered = 0;
    camera.meter = () => {
      metered++;
      return Promise.resolve({ lux: 1000 });
    };
    const svc = await service(camera);
    await expect(svc.capture({ auto: true, bracket: { evs: [-1, 1] } })).rejects.toMatchObject({
      code: 'bracketing_unsupported',
      status: 409,
    });
    expect(metered).toBe(0);
    expect(camera.seen).toHaveLength(0);
    expect(events).toHaveLength(0);
    expect(svc.busy()).toBe(false);
  });
});
