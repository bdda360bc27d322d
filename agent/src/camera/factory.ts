import { readdir } from 'node:fs/promises';
import { z } from 'zod';
import type { Clock } from '../sky/clock.js';
import type { Location } from '../sky/model.js';
import { CameraError, UsageError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { CameraDriver } from './driver.js';
import { runProgram } from './exec.js';
import { Gphoto2Camera, parseAutoDetect } from './gphoto2.js';
import { IndiCamera, parseIndiServer } from './indi.js';
import { LibcameraCamera, parseCameraList } from './libcamera.js';
import { SimulatedCamera } from './simulated.js';
import { V4l2Camera } from './v4l2.js';

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
  log?: Logger | undefined;
  /** Where drivers put temp files (inside the captures folder, so reconcile cleans up after a crash). */
  tempDir?: string | undefined;
  /** Time allowed on top of an exposure before a camera call counts as hung (ms). */
  marginMs?: number | undefined;
  /** INDI server "host:port" (the indi driver; auto picks indi when it is set). */
  indiServer?: string | undefined;
  indiDevice?: string | undefined;
  /** gphoto2 --port, such as usb:001,005. */
  gphoto2Port?: string | undefined;
  /** V4L2 device, such as /dev/video0. */
  v4l2Device?: string | undefined;
  /** The ffmpeg program the v4l2 driver runs. */
  ffmpeg?: string | undefined;
  /** The agent's identity: seeds the simulated sensor's hot pixels, so each camera has its own. */
  cameraIdentity?: string | undefined;
}

export function parseCameraName(name: string): CameraDriverName {
  const parsed = CameraDriverName.safeParse(name);
  if (!parsed.success) {
    throw new UsageError(`Unknown camera "${name}"; use --camera with one of: ${CAMERA_DRIVERS.join(', ')}.`);
  }
  return parsed.data;
}

function tempDirOf(options: CameraFactoryOptions): string {
  if (!options.tempDir)
    throw new CameraError('camera_config', 'This camera driver needs a folder for temporary files.');
  return options.tempDir;
}

/** Picks a driver by name; an unknown name lists the valid ones. `auto` needs probing: use selectCamera. */
export function createCamera(name: string, options: CameraFactoryOptions): CameraDriver {
  const driver = parseCameraName(name);
  const common = { log: options.log, ...(options.marginMs === undefined ? {} : { marginMs: options.marginMs }) };
  switch (driver) {
    case 'simulated':
      return new SimulatedCamera(options);
    case 'gphoto2':
      return new Gphoto2Camera({ ...common, tempDir: tempDirOf(options), port: options.gphoto2Port });
    case 'libcamera':
      return new LibcameraCamera({ ...common, tempDir: tempDirOf(options) });
    case 'v4l2':
      return new V4l2Camera({ ...common, device: options.v4l2Device, ffmpeg: options.ffmpeg });
    case 'indi': {
      if (!options.indiServer) {
        throw new UsageError('The indi camera needs --indi-server HOST:PORT (for example 127.0.0.1:7624).');
      }
      return new IndiCamera({ ...common, ...parseIndiServer(options.indiServer), device: options.indiDevice });
    }
    case 'auto':
      throw new UsageError('The auto camera is chosen by probing; call selectCamera instead of createCamera.');
  }
}

export interface CameraChoice {
  name: Exclude<CameraDriverName, 'auto'>;
  reason: string;
}

const PROBE_TIMEOUT_MS = 10_000;

/** Which camera `auto` would use here, and why: indi if a server is configured, then gphoto2, libcamera, v4l2, simulated. */
export async function probeCamera(options: CameraFactoryOptions): Promise<CameraChoice> {
  if (options.indiServer) return { name: 'indi', reason: `--indi-server ${options.indiServer} is set` };
  const probe = async (file: string, args: string[]): Promise<string | null> => {
    try {
      const r = await runProgram(file, args, { timeoutMs: PROBE_TIMEOUT_MS, log: options.log });
      return `${r.stdout.toString('utf8')}\n${r.stderr}`;
    } catch {
      return null;
    }
  };
  const detected = await probe('gphoto2', ['--auto-detect']);
  const dslr = detected === null ? [] : parseAutoDetect(detected);
  if (dslr.length > 0) return { name: 'gphoto2', reason: `gphoto2 detected ${dslr[0]!.model} on ${dslr[0]!.port}` };
  const listed = await probe('rpicam-hello', ['--list-cameras']);
  const pi = listed === null ? [] : parseCameraList(listed);
  if (pi.length > 0)
    return { name: 'libcamera', reason: `rpicam-hello lists camera ${pi[0]!.index} (${pi[0]!.sensor})` };
  const videos = (await readdir('/dev').catch(() => [] as string[]))
    .filter((n) => /^video\d+$/.test(n))
    .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  if (options.v4l2Device || videos.length > 0) {
    return { name: 'v4l2', reason: `video device ${options.v4l2Device ?? `/dev/${videos[0]!}`} is present` };
  }
  const tried = [
    detected === null ? 'gphoto2 is not installed' : 'gphoto2 found no camera',
    listed === null ? 'rpicam-hello is not installed' : 'libcamera lists no camera',
    'no /dev/video device',
  ];
  return { name: 'simulated', reason: `no camera hardware found (${tried.join('; ')})` };
}

/** createCamera, with `auto` resolved by probing; logs which driver was chosen and why. */
export async function selectCamera(name: string, options: CameraFactoryOptions): Promise<CameraDriver> {
  const driver = parseCameraName(name);
  if (driver !== 'auto') return createCamera(driver, options);
  const choice = await probeCamera(options);
  options.log?.info(
    { event: 'camera.auto', driver: choice.name, reason: choice.reason },
    `camera auto-detect chose ${choice.name}: ${choice.reason}`,
  );
  const v4l2Device =
    choice.name === 'v4l2' && !options.v4l2Device ? /device (\S+) is present/.exec(choice.reason)?.[1] : undefined;
  return createCamera(choice.name, v4l2Device ? { ...options, v4l2Device } : options);
}
