import { randomUUID } from 'node:crypto';
import { bracketSteps } from './bracket.js';
import type { CameraDriver, DriverSettings } from './camera/driver.js';
import type { Journal } from './db/journal.js';
import { autoExposure, DEFAULT_LIMITS, ev100FromLux, interpolateLuxTable, type ExposureLimits } from './exposure.js';
import type { DeploymentStore } from './profile/deployment-store.js';
import {
  shutterToSeconds,
  type AgentEvent,
  type BracketInfo,
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
  /** Runs `fn` with the camera kept for stills (the live preview paused throughout); a bracketed set uses it. */
  holdCamera?: <T>(fn: () => Promise<T>) => Promise<T>;
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
  /** Aborted while the capture still waits for the camera: it is dropped (the client went away). */
  signal?: AbortSignal;
  /** Refuse with 503 camera_busy when this many captures already wait behind the running one. */
  maxWaiting?: number;
}

/** The camera's queue is full: try again later (HTTP 503 with Retry-After). */
export class CameraBusyError extends AgentError {
  constructor(waiting: number) {
    super(
      'camera_busy',
      `The camera is busy: a capture is running and ${waiting} more wait for it; try again in a few seconds.`,
      { status: 503 },
    );
    this.name = 'CameraBusyError';
  }
}

type ProfileBase = DeploymentBundle['settings']['base'];

function clientGone(): AgentError {
  return new AgentError('client_gone', 'The client went away before the camera was free; nothing was captured.', {
    status: 499,
  });
}

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
  /** Captures queued and not yet started. */
  private waiting = 0;

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
    if (request.bracket && !this.deps.camera.capabilities().bracketing) {
      // Refused before anything is metered or exposed: nothing is captured.
      return Promise.reject(
        new ConflictError(
          'bracketing_unsupported',
          `This camera (${this.deps.camera.capabilities().model}, driver ${this.deps.camera.driver}) cannot take bracketed sets; capture single frames instead.`,
        ),
      );
    }
    if (options.maxWaiting !== undefined && this.pending > 0 && this.waiting >= options.maxWaiting) {
      return Promise.reject(new CameraBusyError(this.waiting));
    }
    if (options.signal?.aborted) return Promise.reject(clientGone());
    this.pending++;
    this.waiting++;
    const run = this.queue
      .then(() => {
        this.waiting--;
        // Nobody waits for this one any more: the camera goes to the next.
        if (options.signal?.aborted) {
          this.deps.log.info({ event: 'capture.dropped' }, 'a queued capture was dropped: its client went away');
          throw clientGone();
        }
        return this.captureNow(request, options);
      })
      .finally(() => this.pending--);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Captures waiting for the camera (not counting the one running). */
  waitingCount(): number {
    return this.waiting;
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
    const frameKind = request.frame_kind ?? 'light';
    let plan: Plan;
    try {
      plan = options.prepared ?? (await this.plan(request));
    } catch (err) {
      this.failed(this.deps.log.child({ correlation_id: randomUUID(), component: 'capture' }), err);
      throw err;
    }
    if (!request.bracket) {
      const shot = await this.shoot(plan, plan.settings, { frameKind, bracket: null }, options.onExposureStart);
      return this.response(plan, shot);
    }
    const { evs } = request.bracket;
    const bracket = (): Promise<CaptureResponse> => this.captureBracket(plan, evs, frameKind, options);
    return this.deps.holdCamera ? this.deps.holdCamera(bracket) : bracket();
  }

  /**
   * A bracketed set: every image back to back from the base exposure, inside the one capture slot, each
   * journalled on its own with the set's group id. Images taken before a failure stay journalled.
   */
  private async captureBracket(
    plan: Plan,
    evs: readonly number[],
    frameKind: 'light' | 'dark',
    options: CaptureOptions,
  ): Promise<CaptureResponse> {
    const group = randomUUID();
    const steps = bracketSteps(plan.settings, evs, this.deps.camera.capabilities());
    const log = this.deps.log.child({ correlation_id: group, bracket_group: group, component: 'capture' });
    log.info(
      {
        event: 'bracket.start',
        evs,
        frame_kind: frameKind,
        steps: steps.map((s) => ({ ev: s.ev, iso: s.settings.iso, shutter: s.settings.shutter_speed })),
      },
      'bracketed set started',
    );
    const shots: Shot[] = [];
    for (const [index, step] of steps.entries()) {
      if (Math.abs(step.achievedEv - step.ev) > 0.25) {
        log.warn(
          { event: 'bracket.limited', ev: step.ev, achieved_ev: Math.round(step.achievedEv * 100) / 100 },
          'the camera limits cut this bracket exposure short',
        );
      }
      const bracket: BracketInfo = { group, index, count: steps.length, ev: step.ev };
      try {
        shots.push(
          await this.shoot(
            plan,
            step.settings,
            { frameKind, bracket },
            index === 0 ? options.onExposureStart : undefined,
          ),
        );
      } catch (err) {
        if (shots.length === 0) throw err;
        const reason = err instanceof Error ? err.message : String(err);
        log.error(
          { event: 'bracket.incomplete', taken: shots.length, count: steps.length },
          'bracketed set stopped early',
        );
        throw new AgentError(
          'bracket_incomplete',
          `The bracketed set stopped after ${shots.length} of ${steps.length} images (${reason}); the ${shots.length} taken are kept and will sync as usual.`,
          { status: err instanceof AgentError ? err.status : 500, cause: err },
        );
      }
    }
    log.info({ event: 'bracket.done', captures: shots.map((s) => s.record.capture_id) }, 'bracketed set stored');
    return {
      ...this.response(plan, shots[0]!),
      frame_kind: frameKind,
      bracket_group: group,
      captures: shots.map((s) => ({
        capture_id: s.record.capture_id,
        image_path: s.absolutePath,
        captured_at: s.record.captured_at,
        sha256: s.record.sha256,
        size_bytes: s.record.size_bytes,
        settings_used: s.settingsUsed,
        bracket: s.record.bracket!,
      })),
    };
  }

  private response(plan: Plan, shot: Shot): CaptureResponse {
    const { record } = shot;
    return {
      status: 'success',
      capture_id: record.capture_id,
      image_path: shot.absolutePath,
      captured_at: record.captured_at,
      sha256: record.sha256,
      size_bytes: record.size_bytes,
      seq: record.seq,
      settings_used: shot.settingsUsed,
      profile: plan.profile,
      schedule: plan.schedule,
      test_id: plan.testId,
      ...(record.frame_kind === 'dark' ? { frame_kind: 'dark' as const } : {}),
    };
  }

  private failed(log: Logger, err: unknown): void {
    const code = err instanceof AgentError ? err.code : 'capture_failed';
    const message = err instanceof Error ? err.message : String(err);
    log.error({ event: 'capture.failed', code, err }, 'capture failed');
    this.deps.emit({ type: 'capture.failed', code, message, time: this.deps.now().toISOString() });
  }

  /** One exposure: the camera, the file, the journal row, the event. */
  private async shoot(
    plan: Plan,
    settings: DriverSettings,
    kind: { frameKind: 'light' | 'dark'; bracket: BracketInfo | null },
    onExposureStart?: (at: Date) => void,
  ): Promise<Shot> {
    // Every log line of this capture carries its capture id (the correlation id); a failed capture keeps
    // the id it would have had, so its lines can still be found together.
    let log = this.deps.log.child({ correlation_id: randomUUID(), component: 'capture' });
    try {
      const at = this.deps.now();
      let seq = this.deps.journal.nextSeq();
      let captureId = this.deps.store.captureId(at, this.deps.cameraName, seq);
      log = this.deps.log.child({ correlation_id: captureId, capture_id: captureId, component: 'capture' });
      onExposureStart?.(at);
      // The camera is told first; the log line must not delay the exposure. A dark frame tells the driver the
      // lens is capped (the simulated camera renders its capped sensor).
      const exposure = this.deps.camera.capture(
        kind.frameKind === 'dark' ? { ...settings, frame_kind: 'dark' } : settings,
      );
      this.deps.emit({
        type: 'capture.started',
        capture_id: captureId,
        exposure_seconds: shutterToSeconds(settings.shutter_speed),
        started_at: at.toISOString(),
      });
      this.journalIntent(captureId, at, plan, settings, kind);
      log.info(
        {
          event: 'capture.start',
          settings,
          profile: plan.profile,
          schedule: plan.schedule,
          test_id: plan.testId,
          ...(kind.frameKind === 'dark' ? { frame_kind: 'dark' } : {}),
          ...(kind.bracket ? { bracket: kind.bracket } : {}),
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
      // 507 before anything is written when the disk cannot hold the files and their journal row.
      await this.deps.store.ensureRoom(
        result.jpeg.length + (result.extraFiles ?? []).reduce((n, e) => n + e.data.length, 0),
      );
      // Originals the camera sent besides the JPEG (an INDI camera's FITS) go first, atomically, next to it.
      const extraFiles: ExtraFile[] = [];
      for (const extra of result.extraFiles ?? []) {
        const kept = await this.deps.store.write(fileName.replace(/\.jpg$/, extra.suffix), extra.data);
        extraFiles.push({ suffix: extra.suffix, sha256: kept.sha256, size_bytes: kept.sizeBytes });
      }
      const stored = await this.deps.store.write(fileName, result.jpeg);
      const lux = plan.lux ?? result.metadata.lux;
      // What the camera really exposed at (a DSLR snaps to its own steps), so ramps and exports see the truth.
      const settingsUsed: SettingsUsed = { ...settings, ...result.applied, lux };
      const record: CaptureRecord = await this.journalOrDiscard(stored.fileName, extraFiles, {
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
        ...(kind.bracket ? { bracket: kind.bracket } : {}),
        frame_kind: kind.frameKind,
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
      return { record, absolutePath: stored.absolutePath, settingsUsed };
    } catch (err) {
      this.failed(log, err);
      throw err;
    }
  }

  /**
   * Journals what this capture was asked for, once the camera has been told (never before the exposure), so a
   * file a crash leaves without its row is journalled with these settings. A failure is logged, never thrown.
   */
  private journalIntent(
    captureId: string,
    at: Date,
    plan: Plan,
    settings: DriverSettings,
    kind: { frameKind: 'light' | 'dark'; bracket: BracketInfo | null },
  ): void {
    try {
      this.deps.journal.recordIntent({
        capture_id: captureId,
        started_at: at.toISOString(),
        settings: { ...settings, ...(plan.lux === null ? {} : { lux: plan.lux }) },
        profile: plan.profile,
        profile_version: plan.profileVersion,
        schedule: plan.schedule,
        test_id: plan.testId,
        variant: plan.variant,
        lux: plan.lux,
        frame_kind: kind.frameKind,
        bracket: kind.bracket,
      });
    } catch (err) {
      this.deps.log.warn(
        { event: 'capture.intent_failed', capture_id: captureId, err },
        'could not journal the capture',
      );
    }
  }

  /** Journals a stored capture; when the disk is too full for its row, its files go and the 507 stands. */
  private async journalOrDiscard(
    fileName: string,
    extraFiles: readonly ExtraFile[],
    capture: Parameters<Journal['insert']>[0],
  ): Promise<CaptureRecord> {
    try {
      return this.deps.journal.insert(capture);
    } catch (err) {
      if ((err as { code?: unknown }).code === 'disk_full')
        await this.deps.store.discard([fileName, ...extraFiles.map((e) => fileName.replace(/\.jpg$/, e.suffix))]);
      throw err;
    }
  }
}

/** One stored exposure. */
interface Shot {
  record: CaptureRecord;
  absolutePath: string;
  settingsUsed: SettingsUsed;
}
