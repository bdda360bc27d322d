import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Logger } from '../util/log.js';
import {
  baseCapabilities,
  captureMetadata,
  meanLevel,
  refuseCapture,
  removeQuietly,
  tempCapturePath,
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
import { awbGainsForKelvin, awbName, estimateLux, exposureSeconds, meteringName } from './settings-map.js';

export interface LibcameraOptions {
  /** Where temp files go (inside the captures folder). */
  tempDir: string;
  log?: Logger | undefined;
  stillProgram?: string;
  vidProgram?: string;
  /** Camera index for --camera when a Pi has two. */
  cameraIndex?: number;
  /** Time allowed for listing cameras and for the program around the exposure itself. */
  marginMs?: number;
}

/** One camera line of `rpicam-still --list-cameras`: "0 : imx477 [4056x3040 12-bit RGGB] (/base/...)" */
const CAMERA_LINE = /^\s*(\d+)\s*:\s*(\S+)\s*\[(\d+)x(\d+)/;

export interface ListedCamera {
  index: number;
  sensor: string;
  width: number;
  height: number;
}

export function parseCameraList(text: string): ListedCamera[] {
  const cameras: ListedCamera[] = [];
  for (const line of text.split('\n')) {
    const m = CAMERA_LINE.exec(line);
    if (m) cameras.push({ index: Number(m[1]), sensor: m[2]!, width: Number(m[3]), height: Number(m[4]) });
  }
  return cameras;
}

/**
 * rpicam --metadata output. libcamera adds keys per sensor and version, so
 * unknown keys are allowed here (third-party output, not our contract); the
 * ones we read are checked.
 */
const RpicamMetadata = z.looseObject({
  Lux: z.number().nonnegative().optional(),
  ColourTemperature: z.number().optional(),
  ExposureTime: z.number().optional(),
  AnalogueGain: z.number().optional(),
  SensorTemperature: z.number().optional(),
});
export type RpicamMetadata = z.infer<typeof RpicamMetadata>;

/** Maps rpicam-apps' stderr to a stable code and a sentence. */
export function classifyRpicamError(program: string, stderr: string): Error {
  const s = stderr.toLowerCase();
  const detail = lastLine(stderr);
  if (s.includes('no cameras available') || s.includes('no camera available')) {
    return cameraError(
      'no_camera',
      'No camera detected by libcamera; check the ribbon cable and that the camera is enabled, then it reconnects by itself.',
    );
  }
  if (s.includes('unrecognised option') || s.includes('unrecognized option') || s.includes('invalid')) {
    return unsupportedSetting(`${program} refused a setting (${detail}); check the capture settings.`);
  }
  if (s.includes('failed to acquire camera') || s.includes('device or resource busy')) {
    return cameraError(
      'camera_busy',
      'The camera is in use by another program (another rpicam app?); stop it and try again.',
    );
  }
  if (s.includes('dequeue timer') || s.includes('timed out') || s.includes('frontend has timed out')) {
    return cameraError('camera_timeout', `The camera stopped delivering frames (${detail}); it will be reopened.`);
  }
  if (s.includes('input/output error') || s.includes('i/o error') || s.includes('no such device')) {
    return cameraError('camera_io', `The camera reported an I/O error (${detail}); it will be reopened.`);
  }
  return cameraError('camera_failed', `${program} failed (${detail || 'no message'}); see the agent log.`);
}

/**
 * Raspberry Pi cameras through rpicam-still (stills, with --metadata for lux
 * and colour temperature) and rpicam-vid (MJPEG live preview).
 */
export class LibcameraCamera extends ProgramCamera implements CameraDriver {
  readonly driver = 'libcamera';
  private listed: ListedCamera | null = null;
  private lastLux: number | null = null;
  private lastTemperature: number | null = null;
  private readonly still: string;
  private readonly vid: string;
  private readonly marginMs: number;

  constructor(private readonly options: LibcameraOptions) {
    super();
    this.still = options.stillProgram ?? 'rpicam-still';
    this.vid = options.vidProgram ?? 'rpicam-vid';
    this.marginMs = options.marginMs ?? 30_000;
  }

  private cameraArgs(): string[] {
    return this.options.cameraIndex === undefined ? [] : ['--camera', String(this.options.cameraIndex)];
  }

  async open(): Promise<void> {
    const result = await this.runTracked(this.still, ['--list-cameras'], {
      timeoutMs: this.marginMs,
      log: this.options.log,
    });
    const text = `${result.stdout.toString('utf8')}\n${result.stderr}`;
    const cameras = parseCameraList(text);
    const wanted = this.options.cameraIndex ?? 0;
    const camera = cameras.find((c) => c.index === wanted);
    if (!camera) {
      if (result.exitCode !== 0 && cameras.length === 0 && !/no cameras? available/i.test(text)) {
        throw classifyRpicamError(this.still, result.stderr);
      }
      throw cameraError(
        'no_camera',
        cameras.length === 0
          ? 'No camera detected by libcamera; check the ribbon cable and that the camera is enabled, then it reconnects by itself.'
          : `No camera ${wanted} on this Pi (found ${cameras.map((c) => c.index).join(', ')}).`,
      );
    }
    this.listed = camera;
    this.current = 'ready';
  }

  capabilities(): CameraCapabilities {
    const cam = this.listed;
    return {
      ...baseCapabilities(
        cam ? `Raspberry Pi camera (${cam.sensor})` : 'Raspberry Pi camera',
        cam?.width ?? 0,
        cam?.height ?? 0,
      ),
      isoMin: 100,
      isoMax: 1600,
      shutterMinSeconds: 1 / 100_000,
      // The HQ camera (imx477) reaches 670 s; others less. rpicam-still reports the error when it is too long.
      shutterMaxSeconds: 670,
      temperature: this.lastTemperature !== null,
      whiteBalanceModes: ['auto', 'daylight', 'tungsten', 'fluorescent', 'indoor', 'incandescent', 'cloudy', 'manual'],
    };
  }

  async meter(): Promise<MeterReading> {
    if (this.lastLux !== null) return { lux: this.lastLux };
    // Nothing captured yet: a small auto-exposed frame gives libcamera's own lux estimate.
    const file = await tempCapturePath(this.options.tempDir, 'meter', '.jpg');
    try {
      const result = await this.runTracked(
        this.still,
        [
          ...this.cameraArgs(),
          '-n',
          '--immediate',
          '--width',
          '320',
          '--height',
          '240',
          '-o',
          file,
          '--metadata',
          '-',
          '--metadata-format',
          'json',
        ],
        { timeoutMs: this.marginMs, log: this.options.log },
      );
      if (result.exitCode !== 0) throw classifyRpicamError(this.still, result.stderr);
      const meta = parseMetadata(result.stdout);
      this.lastLux = meta.Lux ?? null;
      return { lux: this.lastLux ?? 0 };
    } finally {
      await removeQuietly(file);
    }
  }

  async temperatureC(): Promise<number | null> {
    return Promise.resolve(this.lastTemperature);
  }

  /** The rpicam-still arguments for these settings (exported for tests). */
  stillArgs(settings: DriverSettings, output: string): string[] {
    const seconds = exposureSeconds(settings);
    const args = [
      ...this.cameraArgs(),
      '-n',
      '--immediate',
      '-o',
      output,
      '--shutter',
      String(Math.max(1, Math.round(seconds * 1_000_000))),
      '--gain',
      String(Math.round((settings.iso / 100) * 1000) / 1000),
      '--ev',
      String(settings.exposure_compensation),
      '--metering',
      meteringName(settings.ae_metering_mode),
      '-q',
      '93',
      '--metadata',
      '-',
      '--metadata-format',
      'json',
    ];
    if (settings.colour_temperature_k !== undefined) {
      const { red, blue } = awbGainsForKelvin(settings.colour_temperature_k);
      args.push('--awbgains', `${red},${blue}`);
    } else {
      args.push('--awb', awbName(settings.awb_mode));
    }
    return args;
  }

  async capture(settings: DriverSettings, signal?: AbortSignal): Promise<CaptureResult> {
    refuseCapture(this.current, signal);
    this.current = 'busy';
    const started = Date.now();
    const file = await tempCapturePath(this.options.tempDir, 'rpicam', '.jpg');
    try {
      const seconds = exposureSeconds(settings);
      const result = await this.runTracked(this.still, this.stillArgs(settings, file), {
        timeoutMs: seconds * 1000 + this.marginMs,
        log: this.options.log,
        signal,
      });
      if (result.exitCode !== 0) throw classifyRpicamError(this.still, result.stderr);
      const jpeg = await readFile(file).catch((err: unknown) => {
        throw cameraError(
          'camera_failed',
          `${this.still} reported success but wrote no image; see the agent log.`,
          err,
        );
      });
      const size = jpegSize(jpeg);
      if (!size)
        throw cameraError('camera_failed', `${this.still} wrote a file that is not a JPEG; see the agent log.`);
      const meta = parseMetadata(result.stdout);
      const lux = meta.Lux ?? estimateLux(await meanLevel(jpeg), seconds, settings.iso);
      this.lastLux = lux;
      if (meta.SensorTemperature !== undefined) this.lastTemperature = meta.SensorTemperature;
      return {
        jpeg,
        width: size.width,
        height: size.height,
        metadata: {
          ...captureMetadata(lux, started, meta.SensorTemperature ?? null),
          ...(meta.ColourTemperature === undefined ? {} : { colour_temperature_k: meta.ColourTemperature }),
        },
      };
    } finally {
      if (this.current === 'busy') this.current = 'ready';
      await removeQuietly(file);
    }
  }

  async *previewFrames(options: PreviewOptions, signal: AbortSignal): AsyncIterable<PreviewFrame> {
    if (this.current === 'disconnected') throw cameraError('camera_closed', 'The camera is not open.');
    yield* this.mjpegPreview(
      this.vid,
      [
        ...this.cameraArgs(),
        '-n',
        '-t',
        '0',
        '--codec',
        'mjpeg',
        '--width',
        String(options.width),
        '--height',
        String(options.height),
        '--framerate',
        String(options.fps),
        // MJPEG quality (rpicam-vid --quality, 0–100; the preview asks 30–95).
        ...(options.quality !== undefined ? ['--quality', String(options.quality)] : []),
        '-o',
        '-',
      ],
      signal,
      options,
      Math.round(1_000_000 / options.fps),
      (stderr) => classifyRpicamError(this.vid, stderr),
    );
  }
}

function parseMetadata(stdout: Buffer): RpicamMetadata {
  const text = stdout.toString('utf8');
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) return {};
  try {
    const parsed = RpicamMetadata.safeParse(JSON.parse(text.slice(start, end + 1)));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}
