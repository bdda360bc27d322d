/**
 * The CinePi dashboard API (seed 003) on the agent, under /api:
 *
 *   POST /api/capture/start {interval}   timelapse session (1–3600 s), persisted: it resumes after a restart
 *   GET  /api/capture/status             {status: active|inactive, session}
 *   POST /api/capture/stop
 *   POST /api/capture/snapshot           one manual capture with the dashboard's camera settings
 *   GET  /api/camera/status
 *   GET  /api/camera/settings            {exposure_mode, iso, gain, resolution}
 *   PUT  /api/camera/settings            (POST too) validated update
 *   GET  /api/captures?limit=            recent captures, newest first
 *   DELETE /api/captures/:filename       validated name; the file cannot be outside the captures folder
 *   GET  /api/config, PUT /api/config    the agent's YAML config; every change is backed up first
 *   GET  /api/config/backups, POST /api/config/backups, POST /api/config/backups/:filename/restore
 *   GET  /api/logs?limit=&level=         recent log entries, newest first
 *
 * Errors keep the dashboard's shape: {success: false, error: "<sentence>", code}.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { CameraDriver } from '../camera/driver.js';
import type { CaptureService } from '../capture-service.js';
import type { AgentClock } from '../clock/agent-clock.js';
import {
  backupConfigFile,
  defaultConfigPath,
  listConfigBackups,
  loadConfigFile,
  restoreConfigBackup,
  updateConfigFile,
  ConfigError,
} from '../config-file.js';
import type { Journal } from '../db/journal.js';
import { readLastLogEntries } from '../ops/logging.js';
import {
  CINEPI_RESOLUTIONS,
  CinePiCameraSettings,
  CinePiCaptureListQuery,
  CinePiFilename,
  CinePiLogQuery,
  CinePiSettingsUpdate,
  TimelapseStartRequest,
  type TimelapseSessionView,
} from '../protocol/cinepi.js';
import { secondsToShutter, shutterToSeconds, type CaptureRequest } from '../protocol/index.js';
import type { CapturesStore } from '../storage/captures-store.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { AgentError, ConflictError, NotFoundError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { sendJson, validate, type Handler, type Router } from './router.js';
import { z } from 'zod';

export interface CinePiDeps {
  dataDir: string;
  clock: AgentClock;
  camera: CameraDriver;
  captures: CaptureService;
  journal: Journal;
  store: CapturesStore;
  log: Logger;
  /** The agent's YAML config (default <data-dir>/agent.yaml). */
  configPath?: string;
  /** Where the agent's log files are (default <data-dir>/logs). */
  logDir?: string;
}

const DEFAULT_SETTINGS: CinePiCameraSettings = {
  exposure_mode: 'auto',
  iso: 400,
  gain: 2,
  resolution: '4056x3040',
};

interface SessionState {
  status: 'active' | 'stopped';
  start_time: string;
  interval: number;
  captures: number;
  skipped: number;
  failed: number;
  last_capture_at: string | null;
  resumed_at: string | null;
  stopped_at: string | null;
  stop_reason: string | null;
  /** Grid instants that passed while the agent was not running (counted when it resumes). */
  missed?: number;
}

/** Wraps a handler so every error leaves in the dashboard's shape. */
function cinepi(handler: Handler): Handler {
  return async (ctx) => {
    try {
      await handler(ctx);
    } catch (err) {
      // Anything else is a bug: the server answers it with its generic 500.
      if (!(err instanceof AgentError)) throw err;
      const e = err;
      sendJson(ctx.res, e.status, {
        success: false,
        error: e.message,
        code: e.code,
        ...(err instanceof ConfigError ? { issues: err.issues } : {}),
      });
    }
  };
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return undefined;
  }
}

const LEVELS: Record<number, 'debug' | 'info' | 'warning' | 'error'> = {
  10: 'debug',
  20: 'debug',
  30: 'info',
  40: 'warning',
  50: 'error',
  60: 'error',
};

/** Action endpoints take no parameters: an empty body or {} (anything else is refused, nothing happens). */
const EmptyBody = z.strictObject({});

export class CinePiApi {
  private settings: CinePiCameraSettings = DEFAULT_SETTINGS;
  private session: SessionState | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The grid instant the timer was last aimed at (a timer may fire a little early: never take it twice). */
  private aimedAt = -Infinity;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly dir: string;
  private readonly configPath: string;
  private readonly logDir: string;

  constructor(private readonly deps: CinePiDeps) {
    this.dir = join(deps.dataDir, 'cinepi');
    this.configPath = deps.configPath ?? defaultConfigPath(deps.dataDir);
    this.logDir = deps.logDir ?? join(deps.dataDir, 'logs');
  }

  /** Loads the settings and resumes a timelapse session that was active when the agent stopped. */
  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const saved = await readJson(join(this.dir, 'camera.json'));
    const parsed = CinePiCameraSettings.safeParse(saved);
    if (parsed.success) this.settings = parsed.data;
    else if (saved !== null)
      this.deps.log.error({ event: 'cinepi.settings_invalid' }, 'cinepi/camera.json is unreadable; using defaults');
    const session = (await readJson(join(this.dir, 'session.json'))) as SessionState | null | undefined;
    if (session && typeof session === 'object' && typeof session.interval === 'number') {
      this.session = session;
      if (session.status === 'active') {
        const now = this.deps.clock.now().getTime();
        session.resumed_at = new Date(now).toISOString();
        // The journal has the true count (a frame stored just before a crash may not have reached session.json),
        // and every grid instant up to now that is neither captured, skipped nor failed was missed.
        session.captures = this.deps.journal.countSince('timelapse', 'cinepi', session.start_time);
        const due = Math.floor((now - Date.parse(session.start_time)) / (session.interval * 1000)) + 1;
        session.missed = Math.max(0, due - session.captures - session.skipped - session.failed);
        await this.saveSession();
        this.deps.log.warn(
          {
            event: 'cinepi.session_resumed',
            interval: session.interval,
            start_time: session.start_time,
            captures: session.captures,
            missed: session.missed,
          },
          'resumed the timelapse session that was running when the agent stopped',
        );
        this.schedule(false);
      }
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.inflight]);
  }

  // eslint-disable-next-line max-lines-per-function -- the CinePi route table, one short entry per endpoint: kept whole so the API reads in one place.
  routes(): (router: Router) => void {
    // eslint-disable-next-line max-lines-per-function -- the route table above.
    return (router) => {
      router
        .on(
          'POST',
          '/api/capture/start',
          cinepi(async (ctx) => {
            const { interval } = validate(TimelapseStartRequest, await ctx.json(), 'session request');
            if (this.session?.status === 'active') {
              throw new ConflictError(
                'session_active',
                `A timelapse session with a ${this.session.interval}s interval is already running; stop it first.`,
              );
            }
            this.session = {
              status: 'active',
              start_time: this.deps.clock.now().toISOString(),
              interval,
              captures: 0,
              skipped: 0,
              failed: 0,
              last_capture_at: null,
              resumed_at: null,
              stopped_at: null,
              stop_reason: null,
              missed: 0,
            };
            await this.saveSession();
            this.schedule(true);
            this.deps.log.info({ event: 'cinepi.session_started', interval }, 'timelapse session started');
            sendJson(ctx.res, 200, {
              success: true,
              message: `Session started with ${interval}s interval`,
              session: this.view()!,
            });
          }),
        )
        .on(
          'GET',
          '/api/capture/status',
          cinepi(({ res }) => {
            sendJson(res, 200, {
              status: this.session?.status === 'active' ? 'active' : 'inactive',
              session: this.view(),
            });
          }),
        )
        .on(
          'POST',
          '/api/capture/stop',
          cinepi(async ({ res }) => {
            if (this.session?.status !== 'active')
              throw new ConflictError(
                'no_active_session',
                'No timelapse session is running, so there is nothing to stop.',
              );
            await this.end('stopped by request');
            sendJson(res, 200, { success: true, message: 'Session stopped' });
          }),
        )
        .on(
          'POST',
          '/api/capture/snapshot',
          cinepi(async (ctx) => {
            const { res } = ctx;
            validate(EmptyBody, await ctx.json(), 'snapshot request');
            const r = await this.deps.captures.capture(await this.request('manual'));
            sendJson(res, 200, {
              success: true,
              message: 'Snapshot taken successfully',
              filename: basename(r.image_path),
              timestamp: r.captured_at,
            });
          }),
        )
        .on(
          'GET',
          '/api/camera/status',
          cinepi(({ res }) => {
            const state = this.deps.camera.state();
            const connected = state === 'ready' || state === 'busy';
            sendJson(res, 200, {
              status: connected ? 'connected' : state === 'error' ? 'error' : 'disconnected',
              connected,
              error: connected ? null : `The camera is ${state}.`,
              details: { driver: this.deps.camera.driver, model: this.deps.camera.capabilities().model, state },
            });
          }),
        )
        .on(
          'GET',
          '/api/camera/settings',
          cinepi(({ res }) => {
            sendJson(res, 200, { ...this.settings, supported_resolutions: [...CINEPI_RESOLUTIONS] });
          }),
        )
        .on(
          'PUT',
          '/api/camera/settings',
          cinepi((ctx) => this.updateSettings(ctx)),
        )
        .on(
          'POST',
          '/api/camera/settings',
          cinepi((ctx) => this.updateSettings(ctx)),
        )
        .on(
          'GET',
          '/api/captures',
          cinepi(({ res, url }) => {
            const { limit } = validate(CinePiCaptureListQuery, Object.fromEntries(url.searchParams), 'query');
            const last = this.deps.journal.nextSeq() - 1;
            const { items } = this.deps.journal.list(Math.max(0, last - limit * 2), limit * 2 + 1, false);
            const captures = items
              .slice(-limit)
              .reverse()
              .map((c) => ({
                filename: basename(c.file_name),
                timestamp: c.captured_at,
                size: c.size_bytes,
                path: c.file_name,
              }));
            sendJson(res, 200, { success: true, captures });
          }),
        )
        .on(
          'DELETE',
          '/api/captures/:filename',
          cinepi(async ({ res, params }) => {
            const filename = validate(CinePiFilename, params['filename'] ?? '', 'filename');
            const id = filename.slice(0, -'.jpg'.length);
            const record = this.deps.journal.get(id);
            if (!record || basename(record.file_name) !== filename)
              throw new NotFoundError(`No capture file named ${filename} on this agent.`, 'capture_not_found');
            // resolveInside refuses any path that would leave the captures folder.
            const path = this.deps.store.resolveInside(record.file_name);
            try {
              await rm(path);
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
              throw new NotFoundError(`No capture file named ${filename} on this agent.`, 'capture_not_found');
            }
            this.deps.journal.markDeleted(id, this.deps.clock.now().toISOString(), 'operator');
            this.deps.log.info(
              { event: 'cinepi.capture_deleted', capture_id: id },
              'capture deleted from the dashboard',
            );
            sendJson(res, 200, { success: true, message: 'File deleted successfully' });
          }),
        )
        .on(
          'GET',
          '/api/config',
          cinepi(async ({ res }) => {
            const loaded = await loadConfigFile(this.configPath, { optional: true });
            sendJson(res, 200, { success: true, config: loaded.config, path: loaded.path });
          }),
        )
        .on(
          'PUT',
          '/api/config',
          cinepi((ctx) => this.updateConfig(ctx)),
        )
        .on(
          'POST',
          '/api/config',
          cinepi((ctx) => this.updateConfig(ctx)),
        )
        .on(
          'GET',
          '/api/config/backups',
          cinepi(async ({ res }) => {
            const backups = (await listConfigBackups(this.configPath)).map((b) => ({
              filename: b.name,
              created_at: b.created_at,
              size: b.size_bytes,
            }));
            sendJson(res, 200, { success: true, backups });
          }),
        )
        .on(
          'POST',
          '/api/config/backups',
          cinepi(async (ctx) => {
            const { res } = ctx;
            validate(EmptyBody, await ctx.json(), 'backup request');
            const path = await backupConfigFile(this.configPath, this.deps.clock.now());
            sendJson(res, 200, {
              success: true,
              message: path ? 'Backup created successfully' : 'There is no config file yet, so nothing was backed up',
              backup_file: path ? basename(path) : null,
            });
          }),
        )
        .on(
          'POST',
          '/api/config/backups/:filename/restore',
          cinepi(async ({ res, params }) => {
            const name = params['filename'] ?? '';
            const r = await restoreConfigBackup(this.configPath, name, this.deps.clock.now());
            this.deps.log.info({ event: 'cinepi.config_restored', backup: name }, 'config restored from a backup');
            sendJson(res, 200, {
              success: true,
              message: 'Configuration restored; restart the agent to apply it',
              restored: name,
              backup_file: r.backup ? basename(r.backup) : null,
            });
          }),
        )
        .on(
          'GET',
          '/api/logs',
          cinepi(async ({ res, url }) => {
            const q = validate(CinePiLogQuery, Object.fromEntries(url.searchParams), 'query');
            const min = q.level === 'warning' ? 'warn' : q.level;
            const entries = await readLastLogEntries(this.logDir, q.limit, min ? { minLevel: min } : {});
            const logs = entries.reverse().map((e) => ({
              timestamp: e.time,
              level: LEVELS[e.level] ?? 'info',
              message: e.msg,
              module: typeof e['component'] === 'string' ? e['component'] : 'agent',
            }));
            sendJson(res, 200, { success: true, logs });
          }),
        );
    };
  }

  private async updateSettings(ctx: Parameters<Handler>[0]): Promise<void> {
    const patch = validate(CinePiSettingsUpdate, await ctx.json(), 'camera settings');
    const next = CinePiCameraSettings.parse({ ...this.settings, ...patch });
    await writeFileAtomic(join(this.dir, 'camera.json'), `${JSON.stringify(next)}\n`);
    this.settings = next;
    this.deps.log.info({ event: 'cinepi.settings', settings: next }, 'camera settings updated');
    sendJson(ctx.res, 200, { success: true, message: 'Camera settings updated', settings: next });
  }

  private async updateConfig(ctx: Parameters<Handler>[0]): Promise<void> {
    const body = await ctx.json();
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new ConfigError('The configuration must be a JSON object of sections.', []);
    // An empty body would replace the whole file with defaults: refuse it, change nothing.
    if (Object.keys(body).length === 0)
      throw new ConfigError('The configuration update is empty; send the sections to change.', []);
    const r = await updateConfigFile(this.configPath, body, this.deps.clock.now());
    this.deps.log.info({ event: 'cinepi.config_updated', backup: r.backup }, 'config updated from the dashboard');
    sendJson(ctx.res, 200, {
      success: true,
      message: 'Configuration updated successfully',
      config: r.config,
      backup_file: r.backup ? basename(r.backup) : null,
    });
  }

  /** The capture request for the dashboard's settings: automatic, or manual at its ISO (shutter metered). */
  private async request(schedule: 'manual' | 'timelapse'): Promise<CaptureRequest> {
    const s = this.settings;
    if (s.exposure_mode === 'auto') return { auto: true, schedule, profile: 'cinepi' };
    const m = await this.deps.captures.meter();
    const seconds = Math.min(3600, Math.max(1e-6, (shutterToSeconds(m.shutter) * m.iso) / s.iso));
    return { iso: s.iso, shutter_speed: secondsToShutter(seconds), schedule, profile: 'cinepi' };
  }

  /** The session as the dashboard reads it, with the intervals it missed while the agent was down. */
  private view(): TimelapseSessionView | null {
    const s = this.session;
    if (!s) return null;
    const next = s.status !== 'active' ? null : this.timer ? this.aimedAt : this.nextAt();
    return { ...s, missed: s.missed ?? 0, next_capture_at: next === null ? null : new Date(next).toISOString() };
  }

  /** Next capture instant on the session's grid (start + k·interval) after now. */
  private nextAt(): number | null {
    const s = this.session;
    if (!s || s.status !== 'active') return null;
    const start = Date.parse(s.start_time);
    const now = Math.max(this.deps.clock.now().getTime(), this.aimedAt);
    const step = s.interval * 1000;
    if (now < start) return start;
    return start + (Math.floor((now - start) / step) + 1) * step;
  }

  /** The first frame of a new session is taken at once; then (and after a resume) frames follow the grid. */
  private schedule(now: boolean): void {
    if (this.timer) clearTimeout(this.timer);
    const next = this.nextAt();
    if (next === null) return;
    if (now) {
      this.aimedAt = Date.parse(this.session!.start_time);
      this.timer = setTimeout(() => this.tick(), 0);
      return;
    }
    this.aimedAt = next;
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - this.deps.clock.now().getTime()));
  }

  private tick(): void {
    const s = this.session;
    if (!s || s.status !== 'active') return;
    if (this.deps.captures.busy()) {
      s.skipped++;
      this.deps.log.warn({ event: 'cinepi.session_skip' }, 'timelapse frame skipped: the camera was busy');
    } else {
      const run = this.request('timelapse')
        .then((req) => this.deps.captures.capture(req))
        .then(
          (r) => {
            s.captures++;
            s.last_capture_at = r.captured_at;
          },
          (err: unknown) => {
            s.failed++;
            this.deps.log.error({ event: 'cinepi.session_capture_failed', err }, 'a timelapse frame failed');
          },
        )
        .then(() => this.saveSession())
        .catch((err: unknown) => this.deps.log.error({ err }, 'could not save the timelapse session'))
        .finally(() => this.inflight.delete(run));
      this.inflight.add(run);
    }
    this.schedule(false);
  }

  private async end(reason: string): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.session) return;
    this.session.status = 'stopped';
    this.session.stopped_at = this.deps.clock.now().toISOString();
    this.session.stop_reason = reason;
    await this.saveSession();
    this.deps.log.info({ event: 'cinepi.session_stopped', reason }, 'timelapse session stopped');
  }

  private async saveSession(): Promise<void> {
    if (!this.session) return;
    await writeFileAtomic(join(this.dir, 'session.json'), `${JSON.stringify(this.session)}\n`);
  }
}
