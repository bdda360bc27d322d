import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Journal } from '../db/journal.js';
import { CapturesStore } from '../storage/captures-store.js';
import { createLogger } from '../util/log.js';
import { exifSettings, fitsSettings, reconcileOrphanFiles, shutterText } from './reconcile.js';

function fits(cards: Record<string, string | number>): Buffer {
  const lines = [
    ['SIMPLE', 'T'],
    ['BITPIX', 8],
    ['NAXIS', 2],
    ['NAXIS1', 1],
    ['NAXIS2', 1],
    ...Object.entries(cards),
  ].map(([k, v]) => `${String(k).padEnd(8)}= ${String(v).padStart(20)}`.padEnd(80));
  const header = Buffer.from([...lines, 'END'.padEnd(80)].join('').padEnd(2880), 'latin1');
  return Buffer.concat([header, Buffer.alloc(2880)]);
}

describe('settings recovered from a capture file after a crash', () => {
  it('reads ISO and exposure time from a JPEG’s EXIF', async () => {
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
      .jpeg()
      .withExif({ IFD0: { Make: 'Test' }, IFD2: { ISOSpeedRatings: '1600', ExposureTime: '2/1' } })
      .toBuffer();
    expect(exifSettings((await sharp(jpeg).metadata()).exif)).toEqual({ iso: 1600, shutter_speed: '2' });
    const fast = await sharp(jpeg)
      .withExif({ IFD2: { ISOSpeedRatings: '100', ExposureTime: '1/250' } })
      .toBuffer();
    expect(exifSettings((await sharp(fast).metadata()).exif)).toEqual({ iso: 100, shutter_speed: '1/250' });
  });

  it('knows nothing from a JPEG without EXIF or with a broken block', () => {
    expect(exifSettings(undefined)).toEqual({});
    expect(exifSettings(Buffer.from('Exif\0\0MM\0*\0\0\xff\xff\xff\xff', 'latin1'))).toEqual({});
  });

  it('reads EXPTIME and ISO from a FITS header', () => {
    expect(fitsSettings(fits({ EXPTIME: 30, ISO: 800 }))).toEqual({ shutter_speed: '30', iso: 800 });
    expect(fitsSettings(fits({ EXPTIME: 0.004 }))).toEqual({ shutter_speed: '1/250' });
    expect(fitsSettings(Buffer.from('not a fits file'))).toEqual({});
  });

  it('writes shutter speeds as the protocol does', () => {
    expect(shutterText(0.5)).toBe('1/2');
    expect(shutterText(2.5)).toBe('2.5');
    expect(shutterText(0)).toBeNull();
  });
});

describe('reconcileOrphanFiles', () => {
  it('journals an orphan with what its file says and null for the rest, flagged reconciled', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skys-reconcile-'));
    const journal = Journal.open(join(dir, 'journal.sqlite'));
    try {
      const store = new CapturesStore(dir);
      await store.init();
      const folder = join(store.root, '2025-06-21', 'manual', 'default');
      await mkdir(folder, { recursive: true });
      const plain = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#222' } })
        .jpeg()
        .toBuffer();
      const withExif = await sharp(plain)
        .withExif({ IFD2: { ISOSpeedRatings: '1600', ExposureTime: '2/1' } })
        .toBuffer();
      await writeFile(join(folder, '20250621T223000000Z_cam_1.jpg'), plain);
      await writeFile(join(folder, '20250621T223100000Z_cam_2.jpg'), withExif);

      const added = await reconcileOrphanFiles(store, journal, createLogger('silent'));
      expect(added.sort()).toEqual(['20250621T223000000Z_cam_1', '20250621T223100000Z_cam_2']);
      const unknown = journal.get('20250621T223000000Z_cam_1')!;
      expect(unknown.reconciled).toBe(true);
      expect(unknown.settings_used).toEqual({
        iso: null,
        shutter_speed: null,
        exposure_compensation: null,
        awb_mode: null,
        ae_metering_mode: null,
      });
      const fromExif = journal.get('20250621T223100000Z_cam_2')!;
      expect(fromExif.reconciled).toBe(true);
      expect(fromExif.settings_used).toMatchObject({ iso: 1600, shutter_speed: '2', exposure_compensation: null });
    } finally {
      journal.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
