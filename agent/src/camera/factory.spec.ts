import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCli } from '../config.js';
import { systemClock } from '../sky/clock.js';
import { createCamera, probeCamera, selectCamera, type CameraFactoryOptions } from './factory.js';
import { Gphoto2Camera } from './gphoto2.js';
import { IndiCamera, parseIndiServer } from './indi.js';
import { LibcameraCamera } from './libcamera.js';
import { SimulatedCamera } from './simulated.js';
import { V4l2Camera } from './v4l2.js';

const OPTIONS: CameraFactoryOptions = {
  clock: systemClock,
  location: { latitude: 0, longitude: 0 },
  width: 64,
  height: 48,
  timeScale: 0,
  tempDir: '/tmp/skys-factory-spec',
};

describe('camera factory', () => {
  it('builds each driver by name', () => {
    expect(createCamera('simulated', OPTIONS)).toBeInstanceOf(SimulatedCamera);
    expect(createCamera('gphoto2', OPTIONS)).toBeInstanceOf(Gphoto2Camera);
    expect(createCamera('libcamera', OPTIONS)).toBeInstanceOf(LibcameraCamera);
    expect(createCamera('v4l2', OPTIONS)).toBeInstanceOf(V4l2Camera);
    expect(createCamera('indi', { ...OPTIONS, indiServer: '127.0.0.1:7624' })).toBeInstanceOf(IndiCamera);
  });

  it('rejects an unknown name listing the valid ones, and indi without a server', () => {
    expect(() => createCamera('webcam', OPTIONS)).toThrow(
      'Unknown camera "webcam"; use --camera with one of: simulated, gphoto2, libcamera, v4l2, indi, auto.',
    );
    expect(() => createCamera('indi', OPTIONS)).toThrow(/needs --indi-server HOST:PORT/);
  });

  it('auto picks indi when a server is configured', async () => {
    expect(await probeCamera({ ...OPTIONS, indiServer: 'observatory:7624' })).toEqual({
      name: 'indi',
      reason: '--indi-server observatory:7624 is set',
    });
    expect(await selectCamera('auto', { ...OPTIONS, indiServer: 'observatory:7624' })).toBeInstanceOf(IndiCamera);
  });

  it('auto falls back to the simulated camera, saying what it tried, when there is no hardware', async () => {
    const hasVideo = readdirSync('/dev').some((n) => /^video\d+$/.test(n));
    const choice = await probeCamera(OPTIONS);
    // gphoto2 is installed here with no camera; rpicam-hello is not on the test's PATH.
    if (hasVideo) {
      expect(choice.name).toBe('v4l2');
    } else {
      expect(choice.name).toBe('simulated');
      expect(choice.reason).toContain('no camera hardware found');
      expect(choice.reason).toMatch(/gphoto2 (found no camera|is not installed)/);
    }
  });

  it('parses --indi-server', () => {
    expect(parseIndiServer('127.0.0.1:7625')).toEqual({ host: '127.0.0.1', port: 7625 });
    expect(parseIndiServer('observatory')).toEqual({ host: 'observatory', port: 7624 });
    expect(parseIndiServer('[::1]:7000')).toEqual({ host: '::1', port: 7000 });
    expect(() => parseIndiServer('a:b:c')).toThrow(/--indi-server must look like HOST:PORT/);
  });
});

describe('camera flags', () => {
  const parse = (argv: string[]) => {
    const r = parseCli(['--data-dir', '/tmp/x', ...argv], {});
    if (r.help) throw new Error('unexpected help');
    return r.options;
  };

  it('passes the hardware flags to the agent', () => {
    expect(
      parse(['--camera', 'indi', '--indi-server', 'localhost:7624', '--indi-device', 'CCD Simulator']),
    ).toMatchObject({ camera: 'indi', indiServer: 'localhost:7624', indiDevice: 'CCD Simulator' });
    expect(parse(['--camera', 'gphoto2', '--gphoto2-port', 'usb:001,005'])).toMatchObject({
      gphoto2Port: 'usb:001,005',
    });
    expect(parse(['--camera', 'v4l2', '--v4l2-device', '/dev/video2'])).toMatchObject({ v4l2Device: '/dev/video2' });
  });

  it('refuses malformed hardware flags with one sentence', () => {
    expect(() => parse(['--camera', 'indi'])).toThrow(/--camera indi needs --indi-server HOST:PORT/);
    expect(() => parse(['--v4l2-device', 'video0'])).toThrow(/--v4l2-device must be a device path/);
    expect(() => parse(['--gphoto2-port', '001,005'])).toThrow(/--gphoto2-port must look like usb:001,005/);
  });
});
