import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { fitsToJpeg, parseFits } from './fits.js';

/** A minimal 16-bit FITS file as INDI drivers write them (BZERO 32768 for unsigned data). */
function fits16(width: number, height: number, value: (x: number, y: number) => number): Buffer {
  const cards = [
    'SIMPLE  =                    T / file does conform to FITS standard',
    'BITPIX  =                   16 / number of bits per data pixel',
    'NAXIS   =                    2 / number of data axes',
    `NAXIS1  = ${String(width).padStart(20)} / length of data axis 1`,
    `NAXIS2  = ${String(height).padStart(20)} / length of data axis 2`,
    'BZERO   =                32768 / offset data range to that of unsigned short',
    'BSCALE  =                    1 / default scaling factor',
    "INSTRUME= 'CCD Simulator'      / CCD Name",
    'END',
  ];
  const header = Buffer.from(
    cards
      .map((c) => c.padEnd(80))
      .join('')
      .padEnd(2880),
    'latin1',
  );
  const data = Buffer.alloc(Math.ceil((width * height * 2) / 2880) * 2880);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.writeInt16BE(value(x, y) - 32768, (y * width + x) * 2);
  return Buffer.concat([header, data]);
}

describe('FITS', () => {
  it('reads the header and 16-bit big-endian data with BZERO', () => {
    const img = parseFits(fits16(4, 3, (x, y) => 1000 * y + x));
    expect(img).toMatchObject({ width: 4, height: 3, channels: 1, bitpix: 16 });
    expect(img.header['INSTRUME']).toBe('CCD Simulator');
    expect(Array.from(img.pixels.slice(0, 5))).toEqual([0, 1, 2, 3, 1000]);
  });

  it('stretches to a JPEG with row 0 at the bottom', async () => {
    // Bright at the bottom of the sky (FITS row 0), dark at the top.
    const preview = await fitsToJpeg(fits16(64, 32, (_x, y) => (y < 16 ? 60000 : 500)));
    expect(preview).toMatchObject({ width: 64, height: 32 });
    const { data } = await sharp(preview.jpeg).greyscale().raw().toBuffer({ resolveWithObject: true });
    expect(data[2 * 64 + 10]!).toBeLessThan(40);
    expect(data[29 * 64 + 10]!).toBeGreaterThan(200);
    expect(preview.meanLevel).toBeGreaterThan(0.4);
  });

  it('refuses a file that is not FITS with a clear code', () => {
    expect(() => parseFits(Buffer.alloc(4000))).toThrow(expect.objectContaining({ code: 'camera_failed' }));
  });
});
