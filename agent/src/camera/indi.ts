import { connect, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type { Logger } from '../util/log.js';
import { UsageError } from '../util/errors.js';
import { baseCapabilities, captureMetadata, refuseCapture } from './common.js';
import type {
  CameraCapabilities,
  CameraDriver,
  CameraStateName,
  CaptureResult,
  DriverSettings,
  MeterReading,
} from './driver.js';
import { abortedError, cameraError } from './failures.js';
import { fitsToJpeg } from './fits.js';
import {
  IndiParser,
  IndiPropertyStore,
  escapeXml,
  newNumberVector,
  newSwitchVector,
  type IndiMessage,
} from './indi-protocol.js';
import { estimateLux, exposureSeconds } from './settings-map.js';

export interface IndiOptions {
  host: string;
  port: number;
  /** INDI device name ("CCD Simulator", "ZWO CCD ASI294MC Pro"); the first camera the server offers when absent. */
  device?: string | undefined;
  log?: Logger | undefined;
  /** Time for connecting and for each step around the exposure (ms). */
  marginMs?: number;
}

/** DRIVER_INFO.DRIVER_INTERFACE bit for a CCD (indibase.h CCD_INTERFACE). */
const CCD_INTERFACE = 1 << 1;

/** "host:port" (port defaults to INDI's 7624); IPv6 as "[::1]:7624". */
export function parseIndiServer(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(value.trim());
  const port = m?.[3] === undefined ? 7624 : Number(m[3]);
  if (!m || port < 1 || port > 65535) {
    throw new UsageError(`--indi-server must look like HOST:PORT (for example 127.0.0.1:7624), not "${value}".`);
  }
  return { host: (m[1] ?? m[2])!, port };
}

interface Waiter {
  match: (msg: IndiMessage) => boolean;
  resolve: (msg: IndiMessage) => void;
  reject: (err: Error) => void;
}

/**
 * Astronomy cameras through an INDI server, speaking the XML protocol over
 * TCP directly: connect the device, set gain and CCD_EXPOSURE, receive the
 * FITS frame as a BLOB. The FITS original is kept next to the capture and a
 * stretched JPEG is made from it.
 */
export class IndiCamera implements CameraDriver {
  readonly driver = 'indi';
  private current: CameraStateName = 'disconnected';
  private socket: Socket | null = null;
  private device: string | null = null;
  private readonly props = new IndiPropertyStore();
  private waiters = new Set<Waiter>();
  private lastLux: number | null = null;
  private readonly marginMs: number;
  private readonly lostListeners = new Set<(err: Error) => void>();

  constructor(private readonly options: IndiOptions) {
    this.marginMs = options.marginMs ?? 30_000;
  }

  private where(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  private disconnectedError(): Error {
    return cameraError(
      'camera_disconnected',
      `The connection to the INDI server at ${this.where()} was lost; it will be reopened.`,
    );
  }

  private send(xml: string): void {
    if (!this.socket || this.socket.destroyed) throw this.disconnectedError();
    this.socket.write(xml);
  }

  /** Resolves with the first message (already received properties included via `now`) that matches. */
  private waitFor(
    match: (msg: IndiMessage) => boolean,
    timeoutMs: number,
    onTimeout: () => Error,
    signal?: AbortSignal,
  ): Promise<IndiMessage> {
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(waiter);
      };
      const waiter: Waiter = {
        match,
        resolve: (m) => {
          cleanup();
          resolve(m);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      };
      const timer = setTimeout(() => waiter.reject(onTimeout()), timeoutMs);
      const onAbort = (): void => waiter.reject(abortedError());
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Waits until `ready()` holds, checking after every message. */
  private async until(ready: () => boolean, timeoutMs: number, onTimeout: () => Error): Promise<void> {
    if (ready()) return;
    await this.waitFor(() => ready(), timeoutMs, onTimeout);
  }

  private onMessage(msg: IndiMessage): void {
    this.props.apply(msg);
    if (msg.tag === 'message' && msg.attrs['message']) {
      this.options.log?.debug(
        { event: 'indi.message', device: msg.attrs['device'], text: msg.attrs['message'] },
        'INDI message',
      );
    }
    for (const w of [...this.waiters]) {
      try {
        if (w.match(msg)) w.resolve(msg);
      } catch (err) {
        w.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  private connectSocket(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.options.host, port: this.options.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          cameraError(
            'camera_timeout',
            `The INDI server at ${this.where()} did not answer; check that indiserver runs there.`,
          ),
        );
      }, this.marginMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(socket);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          cameraError(
            'no_camera',
            err.code === 'ECONNREFUSED'
              ? `No INDI server answers at ${this.where()}; start indiserver with your camera's driver, or fix --indi-server.`
              : `Cannot reach the INDI server at ${this.where()} (${err.code ?? err.message}); check --indi-server.`,
            err,
          ),
        );
      });
    });
  }

  async open(): Promise<void> {
    await this.close();
    // Properties from an earlier connection say nothing about this one (the server may have restarted).
    this.props.devices.clear();
    const socket = await this.connectSocket();
    this.socket = socket;
    const parser = new IndiParser();
    const decoder = new StringDecoder('utf8');
    socket.on('data', (chunk: Buffer) => {
      for (const msg of parser.push(decoder.write(chunk))) this.onMessage(msg);
    });
    socket.on('error', (err) => this.options.log?.debug({ err }, 'INDI socket error'));
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.current = 'disconnected';
      const err = this.disconnectedError();
      for (const w of [...this.waiters]) w.reject(err);
      // Lost while idle too (the server stopped, the link dropped): the resilient wrapper reconnects now.
      for (const listener of this.lostListeners) listener(err);
    });

    const wanted = this.options.device;
    this.send(
      wanted ? `<getProperties version="1.7" device="${escapeXml(wanted)}"/>\n` : '<getProperties version="1.7"/>\n',
    );
    const isCamera = (dev: string): boolean => {
      const iface = this.props.number(dev, 'DRIVER_INFO', 'DRIVER_INTERFACE');
      return this.props.get(dev, 'CCD_EXPOSURE') !== undefined || (iface !== null && (iface & CCD_INTERFACE) !== 0);
    };
    const pick = (): string | null => {
      if (wanted) return this.props.get(wanted, 'CONNECTION') ? wanted : null;
      for (const dev of this.props.devices.keys()) if (isCamera(dev) && this.props.get(dev, 'CONNECTION')) return dev;
      return null;
    };
    await this.until(
      () => pick() !== null,
      this.marginMs,
      () => {
        const seen = [...this.props.devices.keys()];
        return cameraError(
          'no_camera',
          wanted
            ? `The INDI server at ${this.where()} has no device "${wanted}"${seen.length ? ` (it has: ${seen.join(', ')})` : ''}; fix --indi-device.`
            : `The INDI server at ${this.where()} offers no camera${seen.length ? ` (it has: ${seen.join(', ')})` : ''}; start it with a CCD driver.`,
        );
      },
    );
    const device = pick()!;
    this.device = device;
    if (!this.props.switchOn(device, 'CONNECTION', 'CONNECT')) {
      this.send(newSwitchVector(device, 'CONNECTION', { CONNECT: true, DISCONNECT: false }));
    }
    await this.until(
      () => {
        if (this.props.get(device, 'CONNECTION')?.state === 'Alert') {
          throw cameraError(
            'no_camera',
            `The INDI driver for "${device}" could not connect to the camera; check its cable and power.`,
          );
        }
        return (
          this.props.switchOn(device, 'CONNECTION', 'CONNECT') && this.props.get(device, 'CCD_EXPOSURE') !== undefined
        );
      },
      this.marginMs,
      () =>
        cameraError(
          'camera_timeout',
          `The INDI device "${device}" did not connect within ${Math.round(this.marginMs / 1000)} s.`,
        ),
    );
    // The sensor size (CCD_INFO) may follow the connection by a moment, and the simulator first defines the
    // vector with zeros and sets the real size after; capabilities() reads it. A driver that never sends a size
    // still opens (its size then reads 0).
    await this.until(
      () => (this.props.number(device, 'CCD_INFO', 'CCD_MAX_X') ?? 0) > 0,
      Math.min(this.marginMs, 5000),
      () => cameraError('camera_timeout', 'no CCD_INFO'),
    ).catch((err: unknown) => {
      if (this.socket !== socket) throw err; // the connection was lost while waiting: that is an error
    });
    // FITS frames as BLOBs on this connection, uncompressed, uploaded to the client.
    this.send(`<enableBLOB device="${escapeXml(device)}">Also</enableBLOB>\n`);
    if (this.props.switchOn(device, 'CCD_COMPRESSION', 'INDI_ENABLED')) {
      this.send(newSwitchVector(device, 'CCD_COMPRESSION', { INDI_ENABLED: false, INDI_DISABLED: true }));
    }
    if (
      this.props.get(device, 'CCD_TRANSFER_FORMAT') &&
      !this.props.switchOn(device, 'CCD_TRANSFER_FORMAT', 'FORMAT_FITS')
    ) {
      this.send(newSwitchVector(device, 'CCD_TRANSFER_FORMAT', { FORMAT_FITS: true, FORMAT_NATIVE: false }));
    }
    if (this.props.get(device, 'UPLOAD_MODE') && !this.props.switchOn(device, 'UPLOAD_MODE', 'UPLOAD_CLIENT')) {
      this.send(
        newSwitchVector(device, 'UPLOAD_MODE', { UPLOAD_CLIENT: true, UPLOAD_LOCAL: false, UPLOAD_BOTH: false }),
      );
    }
    this.current = 'ready';
    this.options.log?.info({ event: 'camera.indi.connected', server: this.where(), device }, 'INDI camera connected');
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    this.current = 'disconnected';
    const err = this.disconnectedError();
    for (const w of [...this.waiters]) w.reject(err);
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  state(): CameraStateName {
    return this.current;
  }

  /** Calls `listener` whenever the server connection is lost on its own (not by close()); returns an unsubscribe. */
  onConnectionLost(listener: (err: Error) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /** A number the device reports (CCD_GAIN/GAIN, CCD_TEMPERATURE/CCD_TEMPERATURE_VALUE, ...), for diagnostics. */
  numberProperty(property: string, element: string): number | null {
    return this.device ? this.props.number(this.device, property, element) : null;
  }

  /** The INDI device in use (after open). */
  deviceName(): string | null {
    return this.device;
  }

  capabilities(): CameraCapabilities {
    const dev = this.device ?? '';
    const exposure = this.props.get(dev, 'CCD_EXPOSURE')?.elements.get('CCD_EXPOSURE_VALUE');
    const gain = this.gainElement();
    return {
      ...baseCapabilities(
        dev || 'INDI camera',
        this.props.number(dev, 'CCD_INFO', 'CCD_MAX_X') ?? 0,
        this.props.number(dev, 'CCD_INFO', 'CCD_MAX_Y') ?? 0,
      ),
      shutterMinSeconds: exposure?.min ?? 0.001,
      shutterMaxSeconds: exposure?.max ?? 3600,
      livePreview: false,
      bracketing: false,
      temperature: this.props.get(dev, 'CCD_TEMPERATURE') !== undefined,
      ...(gain ? { gainMin: gain.min, gainMax: gain.max } : {}),
      whiteBalanceModes: ['auto'],
    };
  }

  /** CCD_GAIN.GAIN, or the "Gain" element of CCD_CONTROLS (ZWO, QHY drivers). */
  private gainElement(): { property: string; element: string; min: number; max: number; step: number } | null {
    const dev = this.device ?? '';
    for (const [property, element] of [
      ['CCD_GAIN', 'GAIN'],
      ['CCD_CONTROLS', 'Gain'],
    ] as const) {
      const el = this.props.get(dev, property)?.elements.get(element);
      if (el) return { property, element, min: el.min ?? 0, max: el.max ?? 100, step: el.step ?? 0 };
    }
    return null;
  }

  /** ISO 100 is the lowest gain, each doubling of ISO a tenth of the range up to ISO 102400. */
  gainForIso(iso: number): number | null {
    const g = this.gainElement();
    if (!g) return null;
    const t = Math.min(1, Math.max(0, Math.log2(iso / 100) / 10));
    let value = g.min + t * (g.max - g.min);
    if (g.step > 0) value = g.min + Math.round((value - g.min) / g.step) * g.step;
    return Math.min(g.max, Math.max(g.min, value));
  }

  async temperatureC(): Promise<number | null> {
    return Promise.resolve(
      this.device ? this.props.number(this.device, 'CCD_TEMPERATURE', 'CCD_TEMPERATURE_VALUE') : null,
    );
  }

  async meter(): Promise<MeterReading> {
    if (this.lastLux !== null) return { lux: this.lastLux };
    const result = await this.capture({
      iso: 100,
      shutter_speed: '1/10',
      exposure_compensation: 0,
      awb_mode: 0,
      ae_metering_mode: 0,
    });
    return { lux: result.metadata.lux };
  }

  async capture(settings: DriverSettings, signal?: AbortSignal): Promise<CaptureResult> {
    const device = this.device;
    if (!device) throw cameraError('camera_closed', 'The camera is not open.');
    refuseCapture(this.current, signal, () => this.disconnectedError());
    this.current = 'busy';
    const started = Date.now();
    try {
      const exposureEl = this.props.get(device, 'CCD_EXPOSURE')?.elements.get('CCD_EXPOSURE_VALUE');
      const seconds = Math.min(exposureEl?.max ?? 3600, Math.max(exposureEl?.min ?? 0, exposureSeconds(settings)));
      const gain = this.gainForIso(settings.iso);
      const g = this.gainElement();
      if (gain !== null && g) this.send(newNumberVector(device, g.property, { [g.element]: gain }));

      const blob = this.waitFor(
        (msg) => {
          if (msg.attrs['device'] !== device) return false;
          if (msg.tag === 'setNumberVector' && msg.attrs['name'] === 'CCD_EXPOSURE' && msg.attrs['state'] === 'Alert') {
            throw cameraError(
              'camera_io',
              `The INDI camera "${device}" reported a failed exposure; it will be reopened.`,
            );
          }
          return msg.tag === 'setBLOBVector' && msg.children.some((c) => c.tag === 'oneBLOB' && c.text.length > 0);
        },
        seconds * 1000 + this.marginMs,
        () =>
          cameraError(
            'camera_timeout',
            `The INDI camera "${device}" sent no image within ${Math.round(seconds + this.marginMs / 1000)} s.`,
          ),
        signal,
      );
      // Awaited below; this only keeps a rejection that comes before then (the send failing) from going unhandled.
      blob.catch(() => undefined);
      this.send(newNumberVector(device, 'CCD_EXPOSURE', { CCD_EXPOSURE_VALUE: seconds }));
      let msg: IndiMessage;
      try {
        msg = await blob;
      } catch (err) {
        if (signal?.aborted && this.socket) {
          this.send(newSwitchVector(device, 'CCD_ABORT_EXPOSURE', { ABORT: true }));
        }
        throw err;
      }
      const one = msg.children.find((c) => c.tag === 'oneBLOB' && c.text.length > 0)!;
      const format = one.attrs['format'] ?? '';
      if (!format.toLowerCase().startsWith('.fits') || format.toLowerCase().endsWith('.fz') || format.endsWith('.z')) {
        throw cameraError(
          'camera_failed',
          `The INDI camera sent a "${format}" frame; set it to FITS without compression.`,
        );
      }
      const fits = Buffer.from(one.text, 'base64');
      const len = Number(one.attrs['len'] ?? one.attrs['size']);
      if (Number.isFinite(len) && len > 0 && fits.length !== len) {
        throw cameraError(
          'camera_io',
          `The FITS frame arrived incomplete (${fits.length} of ${len} bytes); it will be retried.`,
        );
      }
      const preview = await fitsToJpeg(fits);
      const lux = estimateLux(preview.meanLevel, seconds, settings.iso);
      this.lastLux = lux;
      const temperature = await this.temperatureC();
      return {
        jpeg: preview.jpeg,
        width: preview.width,
        height: preview.height,
        metadata: captureMetadata(lux, started, temperature),
        extraFiles: [{ suffix: '.fits', data: fits }],
      };
    } finally {
      if (this.current === 'busy') this.current = 'ready';
    }
  }
}
