import { SiderealTime } from 'astronomy-engine';
import { loadSharp } from '../util/sharp.js';
import { shutterToSeconds } from '../protocol/index.js';
import type { Clock } from '../sky/clock.js';
import { skyState, type Location } from '../sky/model.js';
import { CameraError } from '../util/errors.js';
import type {
  CameraCapabilities,
  CameraDriver,
  CameraStateName,
  CaptureResult,
  DriverSettings,
  MeterReading,
} from './driver.js';
import { addHotPixels, fixedPattern, renderDark, sensorTemperatureC } from './sensor-dark.js';
import { renderSky } from './sky-render.js';

export interface SimulatedCameraOptions {
  clock: Clock;
  location: Location;
  width: number;
  height: number;
  timeScale: number;
  /** Where the camera looks (degrees from north); west by default, for sunsets. */
  azimuthDeg?: number;
  /** Seeds the sensor's fixed pattern (hot pixels): the agent's identity, so each camera has its own. */
  cameraIdentity?: string | undefined;
}

/** Largest frame the renderer draws directly; bigger outputs are upscaled by sharp. */
const MAX_RENDER_WIDTH = 960;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ms <= 0) return resolve();
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new CameraError('capture_aborted', 'The capture was cancelled.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A camera with no hardware: it photographs a simulated sky for the configured
 * place and time. Production code — it is what the station shows a new user.
 */
export class SimulatedCamera implements CameraDriver {
  readonly driver = 'simulated';
  private current: CameraStateName = 'disconnected';

  constructor(private readonly options: SimulatedCameraOptions) {}

  open(): Promise<void> {
    this.current = 'ready';
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.current = 'disconnected';
    return Promise.resolve();
  }

  state(): CameraStateName {
    return this.current;
  }

  capabilities(): CameraCapabilities {
    return {
      model: 'Simulated sky camera',
      width: this.options.width,
      height: this.options.height,
      isoMin: 25,
      isoMax: 102400,
      shutterMinSeconds: 1 / 1_000_000,
      shutterMaxSeconds: 3600,
      longExposure: true,
      livePreview: true,
      bracketing: true,
      autofocus: false,
      temperature: true,
      whiteBalanceModes: ['auto', 'daylight', 'cloudy', 'tungsten', 'fluorescent', 'manual'],
    };
  }

  meter(): Promise<MeterReading> {
    const sky = skyState(this.options.location, this.options.clock.now());
    return Promise.resolve({ lux: sky.lux, sunAltitudeDeg: sky.sunAltitudeDeg });
  }

  async capture(settings: DriverSettings, signal?: AbortSignal): Promise<CaptureResult> {
    if (this.current === 'disconnected') throw new CameraError('camera_closed', 'The camera is not open.');
    if (this.current === 'busy')
      throw new CameraError('camera_busy', 'The camera is busy with another capture; try again in a moment.');
    this.current = 'busy';
    const started = Date.now();
    try {
      const at = this.options.clock.now();
      const shutterSeconds = shutterToSeconds(settings.shutter_speed);
      // The exposure itself takes its time (scaled for tests and demos).
      await sleep(shutterSeconds * 1000 * this.options.timeScale, signal);
      const sky = skyState(this.options.location, at);
      const { width, height } = this.options;
      const scale = Math.min(1, MAX_RENDER_WIDTH / width);
      const rw = Math.max(16, Math.round(width * scale));
      const rh = Math.max(16, Math.round(height * scale));
      const siderealDeg = SiderealTime(at) * 15 + this.options.location.longitude;
      const noiseSeed = (started ^ Math.floor(Math.random() * 0x7fffffff)) & 0x7fffffff;
      // The sensor's own hot pixels and dark current: alone with the lens capped, on top of the sky otherwise.
      const pattern = fixedPattern(this.options.cameraIdentity ?? 'simulated', rw, rh);
      const dark = { iso: settings.iso, shutterSeconds, temperatureC: sensorTemperatureC(sky.sunAltitudeDeg) };
      let rgb: Buffer;
      if (settings.frame_kind === 'dark') {
        rgb = renderDark(pattern, dark, noiseSeed);
      } else {
        rgb = renderSky({
          width: rw,
          height: rh,
          sky,
          siderealDeg,
          azimuthDeg: this.options.azimuthDeg ?? 270,
          noiseSeed,
          settings: {
            iso: settings.iso,
            shutterSeconds,
            exposureCompensation: settings.exposure_compensation,
            awbMode: settings.awb_mode,
            colourTemperatureK: settings.colour_temperature_k,
          },
        });
        addHotPixels(rgb, pattern, dark);
      }
      let image = (await loadSharp())(rgb, { raw: { width: rw, height: rh, channels: 3 } });
      if (rw !== width || rh !== height) image = image.resize(width, height, { kernel: 'cubic', fit: 'fill' });
      const jpeg = await image.jpeg({ quality: 88, mozjpeg: false }).toBuffer();
      return {
        jpeg,
        width,
        height,
        metadata: {
          lux: sky.lux,
          sun_altitude_deg: sky.sunAltitudeDeg,
          exposure_started_at: at.toISOString(),
          duration_ms: Date.now() - started,
        },
      };
    } finally {
      if (this.current === 'busy') this.current = 'ready';
    }
  }
}
