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
  };
}

/** Settings as a driver receives them: the wire settings with every default filled. */
export type DriverSettings = Required<Omit<CaptureSettings, 'colour_temperature_k'>> &
  Pick<CaptureSettings, 'colour_temperature_k'>;

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
}
