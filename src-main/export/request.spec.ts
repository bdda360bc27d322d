import { describe, expect, it } from 'vitest';
import { ExportOptions } from './api-types.js';
import { overlayCommands } from './export.js';
import { pickDark } from './imaging.js';
import { parseExportRequest, resolveOutputPath } from './request.js';
import { orderFrames } from './timeline.js';

const frames = [{ path: '/f/a.jpg', capturedAt: '2025-01-10T20:00:00Z', temperatureC: -3.25 }];

describe('export request', () => {
  it('fills defaults and resolves the output path per preset', () => {
    const r = parseExportRequest({ frames, preset: 'h264-1080p', outputDir: '/out', name: 'night' });
    expect(r).toMatchObject({
      fps: 30,
      deflicker: 'none',
      stabilise: false,
      overlay: false,
      pacing: 'sequence',
      encoderPreset: 'medium',
    });
    expect(resolveOutputPath(r)).toBe('/out/night.mp4');
    expect(
      resolveOutputPath(parseExportRequest({ frames, preset: 'image-sequence', outputDir: '/out', name: 'night' })),
    ).toBe('/out/night');
  });

  it('names the offending fields', () => {
    expect(() =>
      parseExportRequest({ frames, preset: 'h264-1080p', fps: 29, width: 1921, outputDir: '/o', name: 'x' }),
    ).toThrow(/fps.*width: must be an even/s);
    expect(() => parseExportRequest({ frames, preset: 'h264-1080p' })).toThrow(
      /outputPath: give outputPath, or outputDir and name/,
    );
    expect(() => parseExportRequest({ frames: [], preset: 'h264-1080p', outputPath: '/o.mp4' })).toThrow(
      /frames: select at least one frame/,
    );
    expect(() =>
      parseExportRequest({ frames, preset: 'h264-1080p', outputPath: '/o.mp4', overlayTimeZone: 'Mars/Olympus' }),
    ).toThrow(/overlayTimeZone/);
  });

  it('takes an output name only as one plain file name: no "..", hidden file, folder or control character', () => {
    for (const name of ['..', '.', '.hidden', 'a/b', 'a\\b', 'line\nbreak']) {
      expect(ExportOptions.safeParse({ name }).success, JSON.stringify(name)).toBe(false);
    }
    expect(ExportOptions.safeParse({ name: 'ridge night 2025-01-10.mp4' }).success).toBe(true);
  });
});

describe('overlay commands', () => {
  it('one drawtext reinit per frame, colons escaped, temperature shown', () => {
    const cmds = overlayCommands(orderFrames(frames), 30, 'Europe/Paris');
    expect(cmds).toBe("0.000000 drawtext@ov reinit 'text=2025-01-10 21\\:00\\:00   -3.3 °C';\n");
  });
});

describe('pickDark', () => {
  it('prefers matching exposure and gain over temperature, then the nearest temperature', () => {
    const darks = [
      { path: 'exp', exposureSeconds: 30, gain: 8, temperatureC: 10 },
      { path: 'cold', exposureSeconds: 15, gain: 8, temperatureC: -5 },
      { path: 'near', exposureSeconds: 15, gain: 8, temperatureC: 8 },
    ];
    expect(pickDark({ exposureSeconds: 15, gain: 8, temperatureC: 10 }, darks).path).toBe('near');
    expect(pickDark({ exposureSeconds: 30, gain: 8, temperatureC: -5 }, darks).path).toBe('exp');
    expect(() => pickDark({ exposureSeconds: 1, gain: 1 }, [])).toThrow(/No dark frames/);
  });
});
