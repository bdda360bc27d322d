import { randomUUID } from 'node:crypto';
import type { CameraDriver, DriverSettings } from './camera/driver.js';
import type { Journal } from './db/journal.js';
import { autoExposure, DEFAULT_LIMITS, ev100FromLux, interpolateLuxTable, type ExposureLimits } from './exposure.js';
import type { DeploymentStore } from './profile/deployment-store.js';
import {
  shutterToSeconds,
  type AgentEvent,
  type CaptureRecord,
  type CaptureRequest,
  type CaptureResponse,
  type DeploymentBundle,
  type ExtraFile,
  type SettingsUsed,
} from './protocol/index.js';
import type { CapturesStore } from './storage/captures-store.js';
import { AgentError, ConflictError } from './util/errors.js';
import type { Logger } from './util/log.js';

export interface CaptureServiceDeps {
  camera: CameraDriver;
  journal: Journal;
  store: CapturesStore;
  deployments: DeploymentStore;
  cameraName: string;
  log: Logger;
  emit: (event: AgentEvent) => void;
  now: () => Date;
}

/** Settings worked out before a capture (the plan runner prepares them ahead of the planned instant). */
export interface PreparedCapture {
  settings: DriverSettings;
  lux: number | null;
  profile: string | null;
  profileVersion: string | null;
  schedule: string | null;
  testId: string | null;
  variant: string | null;
}

type Plan = PreparedCapture;

export interface CaptureOptions {
  /** Settings from prepare(); the exposure then starts with no metering delay. */
  prepared?: PreparedCapture;
  /** Called synchronously right before the camera is told to expose, with the journal's capture time. */
  onExposureStart?: (at: Date) => void;
}

type ProfileBase = DeploymentBundle['settings']['base'];

function limitsFrom(base: ProfileBase): ExposureLimits {
  return {
    isoMin: base.iso_min ?? DEFAULT_LIMITS.isoMin,
    isoMax: base.iso_max ?? DEFAULT_LIMITS.isoMax,
    shutterPreferredMax: DEFAULT_LIMITS.shutterPreferredMax,
    shutterMin: base.shutter_min ? shutterToSeconds(base.shutter_min) : DEFAULT_LIMITS.shutterMin,
    shutterMax: base.shutter_max ? shutterToSeconds(base.shutter_max) : DEFAULT_LIMITS.shutterMax,
  };
}

/**
 * Turns a capture request into settings (explicit, deployed profile with a
 * one-shot override, or automatic), runs one capture at a time, stores the
 * file, journals it and announces it.
 */
export class CaptureService {
  private queue: Promise<unknown> = Promise.resolve();
  private pending = 0;

  constructor(private readonly deps: CaptureServiceDeps) {}

  /** Meter now and suggest settings for a middle grey. */
  async meter(): Promise<{ lux: number; ev100: number; iso: number; shutter: string; sunAltitudeDeg?: number }> {
    const reading = await this.deps.camera.meter();
    const ev100 = ev100FromLux(reading.lux);
    const ae = autoExposure(ev100);
    return {
      lux: reading.lux,
      ev100,
      iso: ae.iso,
      shutter: ae.shutter,
      ...(reading.sunAltitudeDeg === undefined ? {} : { sunAltitudeDeg: reading.sunAltitudeDeg }),
    };
  }

  /** Captures are serialised: a camera takes one frame at a time. */
  capture(request: CaptureRequest, options: CaptureOptions = {}): Promise<CaptureResponse> {
    this.pending++;
    const run = this.queue.then(() => this.captureNow(request, options)).finally(() => this.pending--);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** True while a capture runs or waits for the camera. */
  busy(): boolean {
    return this.pending > 0;
  }

  /** Works out the settings for a request now (metering included), to capture with later. */
  prepare(request: CaptureRequest): Promise<PreparedCapture> {
    return this.plan(request);
  }

  private async plan(request: CaptureRequest): Promise<Plan> {
    if ('use_deployed_profile' in request) {
      const bundle = this.deps.deployments.get();
      if (!bundle) {
        throw new ConflictError(
          'no_profile_deployed',
          'No profile is deployed on this agent; deploy one with POST /profile/deploy first.',
        );
      }
      const schedule = request.schedule_type ?? null;
      const base: ProfileBase = {
        ...bundle.settings.base,
        ...(schedule ? (bundle.settings.schedule_overrides?.[schedule] ?? {}) : {}),
      };
      const o = request.override ?? {};
      const { lux } = await this.deps.camera.meter();
      const evComp = o.exposure_compensation ?? base.ev_compensation ?? base.exposure_compensation ?? 0;
      // Exposure compensation is applied once, by the sensor pipeline; the AE meters for a neutral middle grey.
      const ae = autoExposure(ev100FromLux(lux), limitsFrom(base));
      const kelvin = o.colour_temperature_k ?? interpolateLuxTable(bundle.settings.adaptive_wb?.lux_table ?? [], lux);
      const settings: DriverSettings = {
        iso: o.iso ?? base.iso ?? ae.iso,
        shutter_speed: o.shutter_speed ?? base.shutter_speed ?? ae.shutter,
        exposure_compensation: evComp,
        awb_mode: o.awb_mode ?? base.awb_mode ?? 0,
        ae_metering_mode: o.ae_metering_mode ?? base.ae_metering_mode ?? base.metering_mode ?? 0,
        ...(kelvin === undefined ? {} : { colour_temperature_k: kelvin }),
      };
      return {
        settings,
        lux,
        profile: bundle.profile_id,
        profileVersion: bundle.version,
        schedule,
        testId: request.test_id ?? null,
        variant: request.variant ?? null,
      };
    }
    if ('auto' in request) {
      const m = await this.meter();
      return {
        settings: { iso: m.iso, shutter_speed: m.shutter, exposure_compensation: 0, awb_mode: 0, ae_metering_mode: 0 },
        lux: m.lux,
        profile: request.profile ?? null,
        profileVersion: null,
        schedule: request.schedule ?? null,
        testId: null,
        variant: null,
      };
    }
    return {
      settings: {
        iso: request.iso,
        shutter_speed: request.shutter_speed,
        exposure_compensation: request.exposure_compensation ?? 0,
        awb_mode: request.awb_mode ?? 0,
        ae_metering_mode: request.ae_metering_mode ?? 0,
      },
      lux: null,
      profile: request.profile ?? null,
      profileVersion: null,
      schedule: request.schedule ?? null,
      testId: null,
      variant: null,
    };
  }

  private async captureNow(request: CaptureRequest, options: CaptureOptions): Promise<CaptureResponse> {
    // Every log line of this capture carries its capture id (the correlation id); a failed capture keeps
    // the id it would have had, so its lines can still be found together.
    let log = this.deps.log.child({ correlation_id: randomUUID(), component: 'capture' });
    try {
      const plan = options.prepared ?? (await this.plan(request));
      const at = this.deps.now();
      let seq = this.deps.journal.nextSeq();
      let captureId = this.deps.store.captureId(at, this.deps.cameraName, seq);
      log = this.deps.log.child({ correlation_id: captureId, capture_id: captureId, component: 'capture' });
      options.onExposureStart?.(at);
      // The camera is told first; the log line must not delay the exposure.
      const exposure = this.deps.camera.capture(plan.settings);
      log.info(
        {
          event: 'capture.start',
          settings: plan.settings,
          profile: plan.profile,
          schedule: plan.schedule,
          test_id: plan.testId,
        },
        'capture started',
      );
      const result = await exposure;
      let fileName = this.deps.store.relativePathFor(at, plan.schedule, plan.profile, captureId);
      // A file with this name can only exist if a crash came between rename and insert: never overwrite it.
      while (await this.deps.store.exists(fileName)) {
        seq += 1;
        captureId = this.deps.store.captureId(at, this.deps.cameraName, seq);
        fileName = this.deps.store.relativePathFor(at, plan.schedule, plan.profile, captureId);
        log = this.deps.log.child({ correlation_id: captureId, capture_id: captureId, component: 'capture' });
      }
      // Originals the camera sent besides the JPEG (an INDI camera's FITS) go first, atomically, next to it.
      const extraFiles: ExtraFile[] = [];
      for (const extra of result.extraFiles ?? []) {
        const kept = await this.deps.store.write(fileName.replace(/\.jpg$/, extra.suffix), extra.data);
        extraFiles.push({ suffix: extra.suffix, sha256: kept.sha256, size_bytes: kept.sizeBytes });
      }
      const stored = await this.deps.store.write(fileName, result.jpeg);
      const lux = plan.lux ?? result.metadata.lux;
      const settingsUsed: SettingsUsed = { ...plan.settings, lux };
      const record: CaptureRecord = this.deps.journal.insert({
        capture_id: captureId,
        seq,
        file_name: stored.fileName,
        captured_at: at.toISOString(),
        sha256: stored.sha256,
        size_bytes: stored.sizeBytes,
        width: result.width,
        height: result.height,
        settings_used: settingsUsed,
        profile: plan.profile,
        profile_version: plan.profileVersion,
        schedule: plan.schedule,
        test_id: plan.testId,
        variant: plan.variant,
        lux,
        temperature_c: result.metadata.temperature_c ?? null,
        ...(extraFiles.length > 0 ? { extra_files: extraFiles } : {}),
      });
      log.info(
        {
          event: 'capture.done',
          capture_id: captureId,
          seq,
          file: stored.fileName,
          bytes: stored.sizeBytes,
          duration_ms: result.metadata.duration_ms,
        },
        'capture stored',
      );
      this.deps.emit({ type: 'capture.done', capture: record });
      return {
        status: 'success',
        capture_id: captureId,
        image_path: stored.absolutePath,
        captured_at: record.captured_at,
        sha256: stored.sha256,
        size_bytes: stored.sizeBytes,
        settings_used: settingsUsed,
        profile: plan.profile,
        schedule: plan.schedule,
        test_id: plan.testId,
      };
    } catch (err) {
      const code = err instanceof AgentError ? err.code : 'capture_failed';
      const message = err instanceof Error ? err.message : String(err);
      log.error({ event: 'capture.failed', code, err }, 'capture failed');
      this.deps.emit({ type: 'capture.failed', code, message, time: this.deps.now().toISOString() });
      throw err;
    }
  }
}
