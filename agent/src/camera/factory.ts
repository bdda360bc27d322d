import { z } from 'zod';
import type { Clock } from '../sky/clock.js';
import type { Location } from '../sky/model.js';
import { CameraError, UsageError } from '../util/errors.js';
import type { CameraDriver } from './driver.js';
import { SimulatedCamera } from './simulated.js';

export const CAMERA_DRIVERS = ['simulated', 'gphoto2', 'libcamera', 'v4l2', 'indi', 'auto'] as const;
export const CameraDriverName = z.enum(CAMERA_DRIVERS);
export type CameraDriverName = z.infer<typeof CameraDriverName>;

export interface CameraFactoryOptions {
  clock: Clock;
  location: Location;
  width: number;
  height: number;
  /** Multiplies real waiting time for long exposures (tests use 0.01). */
  timeScale: number;
}

export function parseCameraName(name: string): CameraDriverName {
  const parsed = CameraDriverName.safeParse(name);
  if (!parsed.success) {
    throw new UsageError(`Unknown camera "${name}"; use --camera with one of: ${CAMERA_DRIVERS.join(', ')}.`);
  }
  return parsed.data;
}

/** Picks a driver by name; an unknown name lists the valid ones. */
export function createCamera(name: string, options: CameraFactoryOptions): CameraDriver {
  const driver = parseCameraName(name);
  switch (driver) {
    case 'simulated':
      return new SimulatedCamera(options);
    case 'gphoto2':
    case 'libcamera':
    case 'v4l2':
    case 'indi':
    case 'auto':
      throw new CameraError(
        'driver_not_implemented',
        `The ${driver} camera driver is not implemented yet; use --camera simulated for now.`,
      );
  }
}
