import type { CaptureSettings } from '../protocol/index.js';

export type CameraStateName = 'ready' | 'busy' | 'disconnected' | 'error';

export interface CameraCapabilities {
  model: string;
  width: number;
  height: number;
  isoMin: number;
  isoMax: number;
  shutterMinSeconds: number;
  shutterMaxSeconds: number;
  /** Exposures longer than a second (bulb or long shutter). */
  longExposure: boolean;
  /** The driver implements previewFrames(). */
  livePreview: boolean;
  /** Bracketed sets for HDR fusion. */
  bracketing: boolean;
  autofocus: boolean;
  /** The camera reports its sensor temperature. */
  temperature: boolean;
  /** Gain as a unitless number (astro cameras) instead of ISO. */
  gainMin?: number;
  gainMax?: number;
  whiteBalanceModes: readonly string[];
}

/** One live-preview frame. */
export interface PreviewFrame {
  jpeg: Buffer;
  width: number;
  height: number;
  /** Exposure of this frame in microseconds. */
  exposureUs: number;
  /** performance.now()-style milliseconds when the frame was captured, for latency figures. */
  capturedAtMs: number;
  /** ISO of this frame, where the camera tells (goes into the preview header). */
  iso?: number;
  /** Unitless gain of this frame, for cameras with gain instead of ISO. */
  gain?: number;
}

export interface PreviewOptions {
  width: number;
  height: number;
  fps: number;
  /** JPEG quality 30–95 (protocol PreviewQuery); a camera that encodes its own frames uses it where it can. */
  quality?: number;
}

export interface CaptureResult {
  jpeg: Buffer;
  width: number;
  height: number;
  metadata: {
    /** Illuminance of the scene when the shutter opened (simulated or measured). */
    lux: number;
    sun_altitude_deg?: number;
    exposure_started_at: string;
    duration_ms: number;
    /** Colour temperature the camera measured (libcamera). */
    colour_temperature_k?: number;
    /** Sensor temperature during the exposure, where the camera reports one. */
    temperature_c?: number;
  };
  /**
   * The ISO and shutter the camera actually used, when the driver had to move
   * the requested ones to values the camera offers (a DSLR's third stops).
   */
  applied?: { iso: number; shutter_speed: string };
  /**
   * Files kept next to the JPEG with the same name and this suffix (an INDI
   * camera's FITS original: `{ suffix: '.fits' }`).
   */
  extraFiles?: { suffix: string; data: Buffer }[];
}

/** Settings as a driver receives them: the wire settings with every default filled. */
export type DriverSettings = Required<Omit<CaptureSettings, 'colour_temperature_k'>> &
  Pick<CaptureSettings, 'colour_temperature_k'> & {
    /**
     * 'dark': the operator has capped the lens (a dark frame for dark-frame subtraction). Real drivers expose
     * as usual; the simulated camera renders its capped sensor. Absent means a light frame.
     */
    frame_kind?: 'light' | 'dark';
  };

export interface MeterReading {
  lux: number;
  sunAltitudeDeg?: number;
}

/** One camera. Drivers are opened once, capture one frame at a time, and are closed on shutdown. */
export interface CameraDriver {
  readonly driver: string;
  open(): Promise<void>;
  close(): Promise<void>;
  capabilities(): CameraCapabilities;
  state(): CameraStateName;
  /** Scene illuminance as the camera sees it now. */
  meter(): Promise<MeterReading>;
  capture(settings: DriverSettings, signal?: AbortSignal): Promise<CaptureResult>;
  /**
   * Live preview frames until the signal aborts (only when capabilities().livePreview).
   * The preview hub pauses it for stills and resumes it afterwards.
   */
  previewFrames?(options: PreviewOptions, signal: AbortSignal): AsyncIterable<PreviewFrame>;
  /** Sensor temperature in °C where the camera reports one. */
  temperatureC?(): Promise<number | null>;
}
