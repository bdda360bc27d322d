import { describe, expect, it } from 'vitest';
import { etaText, folderOf, localInput, quickRange, resultKind } from './export-format';

describe('exports view helpers', () => {
  it('says how long is left', () => {
    expect(etaText(null)).toBe('estimating…');
    expect(etaText(42.4)).toBe('42 s left');
    expect(etaText(185)).toBe('3 min 05 s left');
    expect(etaText(3 * 3600 + 7 * 60)).toBe('3 h 07 min left');
  });

  it('quick ranges: last night ends at 08:00 once it has passed, else now', () => {
    const morning = new Date(2026, 0, 10, 9, 30);
    expect(quickRange('last-night', morning)).toEqual({
      from: new Date(2026, 0, 9, 18, 0),
      to: new Date(2026, 0, 10, 8, 0),
    });
    const early = new Date(2026, 0, 10, 3, 0);
    expect(quickRange('last-night', early)).toEqual({ from: new Date(2026, 0, 9, 18, 0), to: early });
    expect(quickRange('last-hour', morning).from.getTime()).toBe(morning.getTime() - 3_600_000);
    expect(localInput(new Date(2026, 0, 9, 18, 5))).toBe('2026-01-09T18:05');
  });

  it('plays videos, shows night images, points at folders', () => {
    const result = {
      outputPath: '/x/a.mp4',
      mediaPath: 'exports/a.mp4',
      frames: 1,
      durationSeconds: 1,
      width: 2,
      height: 2,
    };
    expect(resultKind({ product: 'timelapse', preset: 'h264-1080p', result })).toBe('video');
    expect(resultKind({ product: 'keogram', preset: 'h264-1080p', result })).toBe('image');
    expect(resultKind({ product: 'timelapse', preset: 'image-sequence', result })).toBe('folder');
    expect(resultKind({ product: 'timelapse', preset: 'h264-1080p', result: { ...result, mediaPath: null } })).toBe(
      'folder',
    );
    expect(resultKind({ product: 'timelapse', preset: 'h264-1080p', result: null })).toBeNull();
    expect(folderOf('/home/op/Videos/night.mp4')).toBe('/home/op/Videos');
    expect(folderOf('C:\\Users\\op\\night.mp4')).toBe('C:\\Users\\op');
  });
});
