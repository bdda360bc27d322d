import type { Logger } from '../util/log.js';
import { baseCapabilities, captureMetadata, meanLevel, refuseCapture } from './common.js';
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
import { cameraError, lastLine } from './failures.js';
import { jpegSize } from './mjpeg.js';
import { estimateLux, exposureSeconds } from './settings-map.js';

export interface V4l2Options {
  device?: string | undefined;
  /** The ffmpeg program (tests pass a stand-in; there is no /dev/video device here). */
  ffmpeg?: string | undefined;
  log?: Logger | undefined;
  /** Requested frame size; the camera's default when absent. */
  width?: number | undefined;
  height?: number | undefined;
  marginMs?: number;
}

/** Maps ffmpeg's v4l2 input errors to a stable code and a sentence. */
export function classifyFfmpegV4l2Error(device: string, stderr: string): Error {
  const s = stderr.toLowerCase();
  const detail = lastLine(stderr);
  if (s.includes('no such file or directory') || s.includes('no such device')) {
    return cameraError('no_camera', `No USB camera at ${device}; plug it in (or choose another with --v4l2-device).`);
  }
  if (s.includes('device or resource busy')) {
    return cameraError('camera_busy', `${device} is in use by another program; stop it and try again.`);
  }
  if (s.includes('permission denied')) {
    return cameraError('camera_io', `No permission to open ${device}; add the agent's user to the video group.`);
  }
  if (s.includes('input/output error') || s.includes('i/o error')) {
    return cameraError('camera_io', `The USB camera reported an I/O error (${detail}); it will be reopened.`);
  }
  return cameraError(
    'camera_failed',
    `ffmpeg could not read ${device} (${detail || 'no message'}); see the agent log.`,
  );
}

/**
 * USB (UVC) cameras through ffmpeg's v4l2 input. Exposure is the camera's own
 * auto exposure (ffmpeg does not set v4l2 controls); settings are recorded
 * and the lux is estimated from the frame.
 */
export class V4l2Camera extends ProgramCamera implements CameraDriver {
  readonly driver = 'v4l2';
  private lastLux: number | null = null;
  private size: { width: number; height: number } | null = null;
  private readonly device: string;
  private readonly ffmpeg: string;
  private readonly marginMs: number;

  constructor(private readonly options: V4l2Options = {}) {
    super();
    this.device = options.device ?? '/dev/video0';
    this.ffmpeg = options.ffmpeg ?? 'ffmpeg';
    this.marginMs = options.marginMs ?? 30_000;
  }

  private inputArgs(): string[] {
    const size =
      this.options.width && this.options.height ? ['-video_size', `${this.options.width}x${this.options.height}`] : [];
    return ['-hide_banner', '-loglevel', 'error', '-f', 'v4l2', ...size, '-i', this.device];
  }

  private async grab(timeoutMs: number, signal?: AbortSignal): Promise<Buffer> {
    // Skip the first frames: UVC cameras need a moment for their auto exposure to settle.
    const r = await this.runTracked(
      this.ffmpeg,
      [
        ...this.inputArgs(),
        '-vf',
        'select=gte(n\\,3)',
        '-frames:v',
        '1',
        '-c:v',
        'mjpeg',
        '-q:v',
        '2',
        '-f',
        'image2pipe',
        '-',
      ],
      { timeoutMs, log: this.options.log, signal },
    );
    if (r.exitCode !== 0 || r.stdout.length === 0) throw classifyFfmpegV4l2Error(this.device, r.stderr);
    return r.stdout;
  }

  async open(): Promise<void> {
    const jpeg = await this.grab(this.marginMs);
    this.size = jpegSize(jpeg);
    this.current = 'ready';
  }

  capabilities(): CameraCapabilities {
    return {
      ...baseCapabilities(`USB camera ${this.device}`, this.size?.width ?? 0, this.size?.height ?? 0),
      shutterMaxSeconds: 1,
      longExposure: false,
      bracketing: false,
      whiteBalanceModes: ['auto'],
    };
  }

  async meter(): Promise<MeterReading> {
    if (this.lastLux !== null) return { lux: this.lastLux };
    const jpeg = await this.grab(this.marginMs);
    return { lux: estimateLux(await meanLevel(jpeg), 1 / 60, 400) };
  }

  async capture(settings: DriverSettings, signal?: AbortSignal): Promise<CaptureResult> {
    refuseCapture(this.current, signal);
    this.current = 'busy';
    const started = Date.now();
    try {
      const jpeg = await this.grab(exposureSeconds(settings) * 1000 + this.marginMs, signal);
      const size = jpegSize(jpeg);
      if (!size) throw cameraError('camera_failed', 'ffmpeg returned something that is not a JPEG; see the agent log.');
      this.size = size;
      // The camera chose its own exposure; assume 1/60 s at ISO 400, typical for a webcam.
      const lux = estimateLux(await meanLevel(jpeg), 1 / 60, 400);
      this.lastLux = lux;
      return {
        jpeg,
        width: size.width,
        height: size.height,
        metadata: captureMetadata(lux, started, null),
      };
    } finally {
      if (this.current === 'busy') this.current = 'ready';
    }
  }

  async *previewFrames(options: PreviewOptions, signal: AbortSignal): AsyncIterable<PreviewFrame> {
    yield* this.mjpegPreview(
      this.ffmpeg,
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-f',
        'v4l2',
        '-framerate',
        String(options.fps),
        '-video_size',
        `${options.width}x${options.height}`,
        '-i',
        this.device,
        '-c:v',
        'mjpeg',
        '-q:v',
        String(mjpegQscale(options.quality)),
        '-f',
        'mjpeg',
        '-',
      ],
      signal,
      options,
      Math.round(1_000_000 / options.fps),
      (stderr) => classifyFfmpegV4l2Error(this.device, stderr),
    );
  }
}

/** ffmpeg's MJPEG -q:v (2 best … 31 worst) for a JPEG quality of 30–95; 5 (about 88) when none is asked. */
export function mjpegQscale(quality: number | undefined): number {
  if (quality === undefined) return 5;
  const q = Math.max(30, Math.min(95, quality));
  return Math.round(2 + ((95 - q) / 65) * 29);
}
