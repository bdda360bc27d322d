import { describe, expect, it } from 'vitest';
import {
  Gphoto2Camera,
  classifyGphoto2Error,
  exposureSteps,
  gphotoShutter,
  parseAutoDetect,
  parseGetConfig,
  shutterLabelSeconds,
  snapExposure,
  wireShutter,
} from './gphoto2.js';

// `gphoto2 --get-config` of a Canon body's radio settings (abridged).
const ISO_CONFIG =
  'Label: ISO Speed\nReadonly: 0\nType: RADIO\nCurrent: 400\nChoice: 0 Auto\nChoice: 1 100\nChoice: 2 200\nChoice: 3 400\nChoice: 4 800\nChoice: 5 1600\nChoice: 6 3200\nEND\n';
const SHUTTER_CONFIG = [
  'Label: Shutter Speed',
  'Readonly: 0',
  'Type: RADIO',
  'Current: 1/125',
  ...['bulb', '30', '25', '20', '15', '2.5', '2', '0.3', '1/4', '1/5', '1/160', '1/200', '1/250', '1/4000'].map(
    (c, i) => `Choice: ${i} ${c}`,
  ),
  'END',
].join('\n');

// Stderr as gphoto2 2.5 prints it for each condition (from real sessions).
const STDERR = {
  noCamera:
    "\n*** Error ***              \nCould not detect any camera\n*** Error (-105: 'Unknown model') ***       \n",
  claimed:
    "*** Error ***\nAn error occurred in the io-library ('Could not claim the USB device'): Could not claim interface 0 (Device or resource busy). Make sure no other program (gvfs-gphoto2-volume-monitor) or kernel module (such as sdc2xx, stv680, spca50x) is using the device and you have read/write access to the device.\n*** Error (-53: 'Could not claim the USB device') ***",
  busy: "*** Error (-110: 'I/O in progress') ***",
  io: "*** Error (-7: 'I/O problem') ***",
  timeout: "*** Error (-10: 'Timeout reading from or writing to the port') ***",
  badValue: "iso failed to set new value: 'Auto'\n*** Error (-2: 'Bad parameters') ***",
  notFound: "Error: shutterspeed not found in configuration tree.\n*** Error (-1: 'Unspecified error') ***",
  gone: "*** Error (-52: 'Could not find the requested device on the USB port') ***",
};

describe('gphoto2 exposure steps', () => {
  it("reads the body's ISO and shutter choices, in Canon and Nikon spellings", () => {
    const steps = exposureSteps(ISO_CONFIG, SHUTTER_CONFIG);
    expect(steps.iso).toEqual([100, 200, 400, 800, 1600, 3200]);
    expect(steps.bulb).toBe(true);
    expect(steps.shutter.map((c) => c.label)).not.toContain('bulb');
    expect(shutterLabelSeconds('1/250s')).toBeCloseTo(1 / 250);
    expect(shutterLabelSeconds('30.0000s')).toBe(30);
    expect(shutterLabelSeconds('0.3')).toBe(0.3);
    expect(shutterLabelSeconds('Bulb')).toBeNull();
  });

  it('moves metered and ramped values to the nearest step (in stops), and long ones to bulb', () => {
    const steps = exposureSteps(ISO_CONFIG, SHUTTER_CONFIG);
    expect(snapExposure(steps, 137, 1 / 196)).toEqual({ iso: 100, seconds: 1 / 200, label: '1/200' });
    expect(snapExposure(steps, 1100, 1 / 230)).toEqual({ iso: 800, seconds: 1 / 250, label: '1/250' });
    expect(snapExposure(steps, 400, 0.31)).toEqual({ iso: 400, seconds: 0.3, label: '0.3' });
    expect(snapExposure(steps, 400, 31)).toEqual({ iso: 400, seconds: 30, label: '30' });
    expect(snapExposure(steps, 3200, 120.4)).toEqual({ iso: 3200, seconds: 120, label: null });
    // A body that lists nothing: the request as it is.
    expect(snapExposure(null, 137, 1 / 196)).toEqual({ iso: 137, seconds: 1 / 196, label: '1/196' });
    expect(wireShutter(1 / 200)).toBe('1/200');
    expect(wireShutter(0.3)).toBe('0.3');
    expect(wireShutter(2.5)).toBe('2.5');
  });
});

describe('gphoto2 driver', () => {
  it('maps gphoto2 errors to stable codes', () => {
    const code = (s: string): unknown => (classifyGphoto2Error(s) as { code?: string }).code;
    expect(code(STDERR.noCamera)).toBe('no_camera');
    expect(code(STDERR.claimed)).toBe('camera_busy');
    expect(code(STDERR.busy)).toBe('camera_busy');
    expect(code(STDERR.io)).toBe('usb_error');
    expect(code(STDERR.timeout)).toBe('camera_timeout');
    expect(code(STDERR.badValue)).toBe('unsupported_setting');
    expect(code(STDERR.notFound)).toBe('unsupported_setting');
    expect(code(STDERR.gone)).toBe('camera_disconnected');
    expect(classifyGphoto2Error(STDERR.noCamera).message).toMatch(
      /^No camera detected by gphoto2; check the USB cable/,
    );
  });

  it('parses --auto-detect and --get-config output', () => {
    const table =
      'Model                          Port                                            \n' +
      '----------------------------------------------------------\n' +
      'Canon EOS 600D                 usb:001,005     \n' +
      'Nikon DSC D750                 usb:002,003     \n';
    expect(parseAutoDetect(table)).toEqual([
      { model: 'Canon EOS 600D', port: 'usb:001,005' },
      { model: 'Nikon DSC D750', port: 'usb:002,003' },
    ]);
    expect(parseAutoDetect('Model    Port\n------------------------------\n')).toEqual([]);
    expect(parseGetConfig('Label: Temperature\nReadonly: 1\nType: TEXT\nCurrent: 31.5\nEND\n')).toBe('31.5');
  });

  it('builds the capture arguments: port, ISO, shutter (bulb beyond 30 s), white balance', () => {
    const cam = new Gphoto2Camera({ tempDir: '/tmp', port: 'usb:001,005', aperture: '8' });
    const base = { exposure_compensation: 0, ae_metering_mode: 0 };
    expect(cam.captureArgs({ ...base, iso: 800, shutter_speed: '1/250', awb_mode: 1 }, '/tmp/x.jpg')).toEqual([
      '--port',
      'usb:001,005',
      '--set-config',
      'iso=800',
      '--set-config',
      'shutterspeed=1/250',
      '--set-config',
      'aperture=8',
      '--set-config',
      'whitebalance=Daylight',
      '--capture-image-and-download',
      '--filename',
      '/tmp/x.jpg',
      '--force-overwrite',
    ]);
    const long = cam.captureArgs({ ...base, iso: 1600, shutter_speed: '120', awb_mode: 0 }, '/tmp/y.jpg');
    expect(long).toContain('shutterspeed=bulb');
    expect(long).toContain('--bulb=120');
    expect(gphotoShutter(0.5)).toBe('0.5');
    expect(gphotoShutter(1 / 4000)).toBe('1/4000');
  });
});
