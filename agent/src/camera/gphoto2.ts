import { readFile } from 'node:fs/promises';
import type { Logger } from '../util/log.js';
import {
  baseCapabilities,
  captureMetadata,
  meanLevel,
  removeQuietly,
  tempCapturePath,
  throwIfAborted,
} from './common.js';
import { ProgramCamera } from './program-camera.js';
import type {
  CameraCapabilities,
  CameraDriver,
  CaptureResult,
  DriverSettings,
  MeterReading,
  PreviewFrame,
  PreviewOptions,
} from './driver.js';
import { cameraError, lastLine, unsupportedSetting } from './failures.js';
import { jpegSize } from './mjpeg.js';
import { estimateLux, exposureSeconds } from './settings-map.js';
import { fitPreviewFrames } from '../preview/fit.js';

export interface Gphoto2Options {
  tempDir: string;
  log?: Logger | undefined;
  program?: string;
  /** gphoto2 --port value (usb:001,005); the first detected camera when absent. */
  port?: string | undefined;
  /** f-number to set before each capture ("8", "5.6"); left alone when absent. */
  aperture?: string | undefined;
  marginMs?: number;
}

export interface DetectedCamera {
  model: string;
  port: string;
}

/** Parses `gphoto2 --auto-detect`: a two-column table under a dashed line. */
export function parseAutoDetect(text: string): DetectedCamera[] {
  const lines = text.split('\n');
  const dash = lines.findIndex((l) => /^-{10,}/.test(l.trim()));
  if (dash < 0) return [];
  const cameras: DetectedCamera[] = [];
  for (const line of lines.slice(dash + 1)) {
    const m = /^(.*\S)\s{2,}(\S+)\s*$/.exec(line);
    if (m) cameras.push({ model: m[1]!, port: m[2]! });
  }
  return cameras;
}

/** The "Current:" value of `gphoto2 --get-config NAME`. */
export function parseGetConfig(text: string): string | null {
  const m = /^Current:\s*(.*)$/m.exec(text);
  return m ? m[1]!.trim() : null;
}

const NO_CAMERA_MESSAGE =
  'No camera detected by gphoto2; check the USB cable, switch the camera on, and make sure no other program (such as the desktop file manager) has mounted it.';

/** Maps gphoto2's stderr (its "*** Error ***" blocks and libgphoto2 codes) to a stable code and a sentence. */
export function classifyGphoto2Error(stderr: string): Error {
  const s = stderr.toLowerCase();
  const detail = lastLine(stderr.replace(/\*\*\* error[^*]*\*\*\*/gi, ''));
  if (s.includes('could not detect any camera') || s.includes('no camera found') || s.includes('(-105')) {
    return cameraError('no_camera', NO_CAMERA_MESSAGE);
  }
  if (s.includes('could not find the requested device') || s.includes('(-52')) {
    return cameraError(
      'camera_disconnected',
      'The camera disappeared from the USB bus; it will be reopened when it is back.',
    );
  }
  if (s.includes('could not claim the usb device') || s.includes('(-53')) {
    return cameraError(
      'camera_busy',
      'Another program holds the camera (often the desktop file manager, gvfs); close it or unmount the camera, then try again.',
    );
  }
  if (s.includes('camera is busy') || s.includes('(-110') || s.includes('device busy')) {
    return cameraError('camera_busy', 'The camera is busy (still writing the last image?); try again in a moment.');
  }
  if (s.includes('timeout reading from or writing to the port') || s.includes('(-10)') || s.includes('(-10:')) {
    return cameraError('camera_timeout', 'The camera stopped answering on USB; it will be reopened.');
  }
  if (
    s.includes('not found in configuration tree') ||
    s.includes('failed to set new value') ||
    s.includes('failed to set configuration value') ||
    s.includes('bad parameters') ||
    s.includes('unsupported operation') ||
    s.includes('(-6)') ||
    s.includes('(-2)')
  ) {
    return unsupportedSetting(
      `The camera refused a setting (${detail || 'unsupported value'}); choose one of the values it lists with gphoto2 --get-config.`,
    );
  }
  if (
    s.includes('i/o problem') ||
    s.includes('(-7)') ||
    s.includes('(-35)') ||
    s.includes('libusb') ||
    s.includes('usb')
  ) {
    return cameraError(
      'usb_error',
      `USB error talking to the camera (${detail || 'I/O problem'}); it will be reopened.`,
    );
  }
  return cameraError('camera_failed', `gphoto2 failed (${detail || 'no message'}); see the agent log.`);
}

/** Shutter speed as gphoto2 writes it: "1/250", "0.5", "30"; longer than 30 s is a bulb exposure. */
export function gphotoShutter(seconds: number): string {
  if (seconds >= 1) return String(Math.round(seconds * 10) / 10);
  if (seconds >= 0.3) return String(Math.round(seconds * 10) / 10);
  return `1/${Math.round(1 / seconds)}`;
}

/** The values a RADIO/MENU config offers ("Choice: N value" lines of --get-config), in order. */
export function parseChoices(text: string): string[] {
  return [...text.matchAll(/^Choice:\s*\d+\s+(.*)$/gm)].map((m) => m[1]!.trim());
}

/** A gphoto2 shutter label in seconds ("1/250", "0.3", "2.5", "30", Nikon's "1/250s" or "30.0000s"), or null. */
export function shutterLabelSeconds(label: string): number | null {
  const t = label.trim().replace(/(s|sec|")$/i, '');
  const frac = /^(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)$/.exec(t);
  const n = frac ? Number(frac[1]) / Number(frac[2]) : /^\d+(?:\.\d+)?$/.test(t) ? Number(t) : NaN;
  return Number.isFinite(n) && n > 0 ? n : null;
}

/** The camera's own ISO and shutter steps, read once when it is opened. */
export interface ExposureSteps {
  iso: number[];
  shutter: { label: string; seconds: number }[];
  bulb: boolean;
}

/** Reads the steps from --get-config output; empty lists when the body does not list them. */
export function exposureSteps(isoText: string, shutterText: string): ExposureSteps {
  const iso = parseChoices(isoText)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
  const labels = parseChoices(shutterText);
  const shutter = labels
    .map((label) => ({ label, seconds: shutterLabelSeconds(label) }))
    .filter((c): c is { label: string; seconds: number } => c.seconds !== null);
  return { iso, shutter, bulb: labels.some((l) => /^bulb$/i.test(l)) };
}

const nearest = <T>(items: readonly T[], value: (t: T) => number, target: number): T | undefined =>
  items.reduce<T | undefined>(
    (best, c) =>
      best === undefined || Math.abs(Math.log2(value(c) / target)) < Math.abs(Math.log2(value(best) / target))
        ? c
        : best,
    undefined,
  );

/**
 * Moves an exposure to the nearest steps the camera offers (a DSLR refuses
 * "1/196 s" or "ISO 137", which metering and ramps produce). Longer than its
 * longest timed shutter: bulb for that many seconds when it has bulb.
 */
export function snapExposure(
  steps: ExposureSteps | null,
  iso: number,
  seconds: number,
): { iso: number; seconds: number; label: string | null } {
  const snappedIso = steps && steps.iso.length > 0 ? nearest(steps.iso, (n) => n, iso)! : iso;
  if (!steps || steps.shutter.length === 0) {
    return { iso: snappedIso, seconds, label: seconds > 30 ? null : gphotoShutter(seconds) };
  }
  const longest = Math.max(...steps.shutter.map((c) => c.seconds));
  if (steps.bulb && seconds > longest * 1.5) return { iso: snappedIso, seconds: Math.round(seconds), label: null };
  const c = nearest(steps.shutter, (x) => x.seconds, seconds)!;
  return { iso: snappedIso, seconds: c.seconds, label: c.label };
}

/** A camera step in the wire's form: "1/250" for whole fractions, else seconds ("0.3", "2.5", "30"). */
export function wireShutter(seconds: number): string {
  const inverse = 1 / seconds;
  if (seconds < 1 && Math.abs(inverse - Math.round(inverse)) < 1e-6) return `1/${Math.round(inverse)}`;
  return String(Math.round(seconds * 1000) / 1000);
}

/** Common gphoto2 whitebalance choices for the wire's awb_mode numbers (Canon and Nikon spell them this way). */
const GPHOTO_WB = ['Auto', 'Daylight', 'Tungsten', 'Fluorescent', 'Auto', 'Tungsten', 'Cloudy', 'Custom'] as const;

/**
 * DSLRs and mirrorless cameras through the gphoto2 program: auto-detect, port
 * selection, settings with --set-config, capture-and-download into a temp file
 * inside the captures folder, live view through --capture-movie.
 */
export class Gphoto2Camera extends ProgramCamera implements CameraDriver {
  readonly driver = 'gphoto2';
  private detected: DetectedCamera | null = null;
  private lastLux: number | null = null;
  private temperatureKey: string | null = null;
  private steps: ExposureSteps | null = null;
  private readonly program: string;
  private readonly marginMs: number;

  constructor(private readonly options: Gphoto2Options) {
    super();
    this.program = options.program ?? 'gphoto2';
    this.marginMs = options.marginMs ?? 30_000;
  }

  private portArgs(): string[] {
    const port = this.options.port ?? this.detected?.port;
    return port ? ['--port', port] : [];
  }

  private async gphoto(
    args: string[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<{ stdout: Buffer; text: string; stderr: string; exitCode: number }> {
    const r = await this.runTracked(this.program, args, { timeoutMs, log: this.options.log, signal });
    return { stdout: r.stdout, text: r.stdout.toString('utf8'), stderr: r.stderr, exitCode: r.exitCode };
  }

  /** The cameras gphoto2 sees now (empty when none). */
  async detect(): Promise<DetectedCamera[]> {
    const r = await this.gphoto(['--auto-detect'], this.marginMs);
    if (r.exitCode !== 0) throw classifyGphoto2Error(r.stderr);
    return parseAutoDetect(r.text);
  }

  async open(): Promise<void> {
    const cameras = await this.detect();
    const wanted = this.options.port;
    const camera = wanted ? cameras.find((c) => c.port === wanted) : cameras[0];
    if (!camera) {
      throw cameraError(
        'no_camera',
        wanted && cameras.length > 0
          ? `No camera on port ${wanted}; gphoto2 sees ${cameras.map((c) => `${c.model} on ${c.port}`).join(', ')}.`
          : NO_CAMERA_MESSAGE,
      );
    }
    this.detected = camera;
    // Where the body reports a temperature (some Nikon and Sony bodies do), find its config key once.
    const list = await this.gphoto([...this.portArgs(), '--list-config'], this.marginMs).catch(() => null);
    this.temperatureKey =
      list?.text
        .split('\n')
        .find((l) => /temperature/i.test(l))
        ?.trim() ?? null;
    // The body's own ISO and shutter steps: requests are moved to the nearest ones (snapExposure).
    const isoKey =
      list?.text
        .split('\n')
        .find((l) => /\/iso$/.test(l.trim()))
        ?.trim() ?? 'iso';
    const shutterKey =
      list?.text
        .split('\n')
        .find((l) => /\/(shutterspeed|shutterspeed2|exposuretime)$/.test(l.trim()))
        ?.trim() ?? 'shutterspeed';
    const [isoCfg, shutterCfg] = await Promise.all(
      [isoKey, shutterKey].map((key) =>
        this.gphoto([...this.portArgs(), '--get-config', key], this.marginMs).catch(() => null),
      ),
    );
    this.steps =
      isoCfg?.exitCode === 0 && shutterCfg?.exitCode === 0 ? exposureSteps(isoCfg.text, shutterCfg.text) : null;
    this.current = 'ready';
  }

  capabilities(): CameraCapabilities {
    return {
      ...baseCapabilities(this.detected?.model ?? 'gphoto2 camera', 0, 0),
      isoMin: 100,
      isoMax: 25600,
      shutterMaxSeconds: 3600,
      temperature: this.temperatureKey !== null,
      whiteBalanceModes: ['auto', 'daylight', 'tungsten', 'fluorescent', 'cloudy', 'custom'],
    };
  }

  async meter(): Promise<MeterReading> {
    if (this.lastLux !== null) return { lux: this.lastLux };
    // Nothing captured yet: a live-view frame at the camera's own exposure gives a rough level.
    const r = await this.gphoto([...this.portArgs(), '--capture-preview', '--stdout'], this.marginMs);
    if (r.exitCode !== 0) throw classifyGphoto2Error(r.stderr);
    return { lux: estimateLux(await meanLevel(r.stdout), 1 / 60, 400) };
  }

  async temperatureC(): Promise<number | null> {
    if (!this.temperatureKey) return null;
    const r = await this.gphoto([...this.portArgs(), '--get-config', this.temperatureKey], this.marginMs);
    if (r.exitCode !== 0) return null;
    const n = Number.parseFloat(parseGetConfig(r.text) ?? '');
    return Number.isFinite(n) ? n : null;
  }

  /** gphoto2 arguments for one capture into `file` (exported for tests). */
  captureArgs(settings: DriverSettings, file: string): string[] {
    const snapped = snapExposure(this.steps, settings.iso, exposureSeconds(settings));
    const args = [...this.portArgs(), '--set-config', `iso=${snapped.iso}`];
    if (snapped.label === null) args.push('--set-config', 'shutterspeed=bulb', `--bulb=${Math.round(snapped.seconds)}`);
    else args.push('--set-config', `shutterspeed=${snapped.label}`);
    if (this.options.aperture) args.push('--set-config', `aperture=${this.options.aperture}`);
    args.push('--set-config', `whitebalance=${GPHOTO_WB[settings.awb_mode] ?? 'Auto'}`);
    args.push('--capture-image-and-download', '--filename', file, '--force-overwrite');
    return args;
  }

  async capture(settings: DriverSettings, signal?: AbortSignal): Promise<CaptureResult> {
    if (this.current === 'busy')
      throw cameraError('camera_busy', 'The camera is busy with another capture; try again in a moment.');
    throwIfAborted(signal);
    const before = this.current;
    this.current = 'busy';
    const started = Date.now();
    const file = await tempCapturePath(this.options.tempDir, 'gphoto2', '.jpg');
    try {
      const snapped = snapExposure(this.steps, settings.iso, exposureSeconds(settings));
      const seconds = snapped.seconds;
      const r = await this.gphoto(this.captureArgs(settings, file), seconds * 1000 + this.marginMs, signal);
      if (r.exitCode !== 0) throw classifyGphoto2Error(r.stderr);
      const jpeg = await readFile(file).catch((err: unknown) => {
        throw cameraError(
          'camera_failed',
          'gphoto2 downloaded no JPEG; set the camera to save JPEG (or RAW+JPEG), not RAW only.',
          err,
        );
      });
      const size = jpegSize(jpeg);
      if (!size)
        throw cameraError('camera_failed', 'The camera sent a file that is not a JPEG; set its image format to JPEG.');
      const lux = estimateLux(await meanLevel(jpeg), seconds, snapped.iso);
      this.lastLux = lux;
      const temperature = await this.temperatureC().catch(() => null);
      return {
        jpeg,
        width: size.width,
        height: size.height,
        metadata: captureMetadata(lux, started, temperature),
        // Only when the body listed its steps: otherwise it was asked for exactly what was requested.
        ...(this.steps ? { applied: { iso: snapped.iso, shutter_speed: wireShutter(snapped.seconds) } } : {}),
      };
    } finally {
      this.current = before === 'disconnected' ? 'disconnected' : 'ready';
      await removeQuietly(file);
    }
  }

  /** The body's live view, whose size it decides: frames wider than asked are scaled down (preview/fit.ts). */
  async *previewFrames(options: PreviewOptions, signal: AbortSignal): AsyncIterable<PreviewFrame> {
    yield* fitPreviewFrames(
      this.mjpegPreview(
        this.program,
        [...this.portArgs(), '--capture-movie', '--stdout'],
        signal,
        options,
        0,
        classifyGphoto2Error,
      ),
      options,
    );
  }
}
