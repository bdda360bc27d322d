import { loadSharp } from '../util/sharp.js';
import { cameraError } from './failures.js';

const BLOCK = 2880;
const CARD = 80;

export interface FitsImage {
  width: number;
  height: number;
  /** 1 (mono) or 3 (NAXIS3 = 3 colour planes). */
  channels: number;
  bitpix: number;
  header: Record<string, string | number | boolean>;
  /** Physical values (BZERO + BSCALE × stored), plane after plane, row 0 first as stored. */
  pixels: Float64Array;
}

function parseValue(raw: string): string | number | boolean {
  const v = raw.split(' /')[0]!.trim();
  if (v.startsWith("'")) return v.slice(1, v.lastIndexOf("'")).trimEnd();
  if (v === 'T') return true;
  if (v === 'F') return false;
  const n = Number(v);
  return Number.isFinite(n) ? n : v;
}

/** Reads the primary HDU of a FITS file: header cards and the image (BITPIX 8, 16, 32, -32, -64). */
export function parseFits(buf: Buffer): FitsImage {
  const bad = (why: string): Error =>
    cameraError('camera_failed', `The camera sent a FITS file that cannot be read (${why}).`);
  if (buf.length < BLOCK || buf.toString('latin1', 0, 9) !== 'SIMPLE  =') throw bad('no SIMPLE header');
  const header: FitsImage['header'] = {};
  let offset = 0;
  let ended = false;
  while (!ended) {
    if (offset + BLOCK > buf.length) throw bad('header has no END');
    for (let c = 0; c < BLOCK / CARD; c++) {
      const card = buf.toString('latin1', offset + c * CARD, offset + (c + 1) * CARD);
      const key = card.slice(0, 8).trim();
      if (key === 'END') {
        ended = true;
        break;
      }
      if (card.slice(8, 10) === '= ') header[key] = parseValue(card.slice(10));
    }
    offset += BLOCK;
  }
  const bitpix = Number(header['BITPIX']);
  const naxis = Number(header['NAXIS']);
  const width = Number(header['NAXIS1']);
  const height = Number(header['NAXIS2']);
  const channels = naxis >= 3 ? Number(header['NAXIS3']) : 1;
  if (![8, 16, 32, -32, -64].includes(bitpix)) throw bad(`BITPIX ${bitpix}`);
  if (naxis < 2 || !(width > 0) || !(height > 0) || !(channels === 1 || channels === 3)) throw bad(`NAXIS ${naxis}`);
  const bzero = typeof header['BZERO'] === 'number' ? header['BZERO'] : 0;
  const bscale = typeof header['BSCALE'] === 'number' ? header['BSCALE'] : 1;
  const bytes = Math.abs(bitpix) / 8;
  const count = width * height * channels;
  if (offset + count * bytes > buf.length) throw bad('image data is cut short');
  const pixels = new Float64Array(count);
  for (let i = 0, p = offset; i < count; i++, p += bytes) {
    let v: number;
    switch (bitpix) {
      case 8:
        v = buf[p]!;
        break;
      case 16:
        v = buf.readInt16BE(p);
        break;
      case 32:
        v = buf.readInt32BE(p);
        break;
      case -32:
        v = buf.readFloatBE(p);
        break;
      default:
        v = buf.readDoubleBE(p);
    }
    pixels[i] = bzero + bscale * v;
  }
  return { width, height, channels, bitpix, header, pixels };
}

/** Value below which `fraction` of a sample of the pixels lie. */
function percentile(sample: number[], fraction: number): number {
  const i = Math.min(sample.length - 1, Math.max(0, Math.floor(fraction * (sample.length - 1))));
  return sample[i]!;
}

export interface FitsPreview {
  jpeg: Buffer;
  width: number;
  height: number;
  /** Mean level of the raw data between black (0) and the sensor's white point (1). */
  meanLevel: number;
}

/**
 * A viewable JPEG of a FITS frame: black and white points from the 0.5th and
 * 99.9th percentiles, then an asinh stretch (faint stars show, bright ones do
 * not burn out). FITS row 0 is the bottom of the image, so rows are flipped.
 */
export async function fitsToJpeg(buf: Buffer, quality = 90): Promise<FitsPreview> {
  const img = parseFits(buf);
  const { width, height, channels, pixels } = img;
  const plane = width * height;
  const step = Math.max(1, Math.floor(pixels.length / 200_000));
  const sample: number[] = [];
  let sum = 0;
  for (let i = 0; i < pixels.length; i += step) sample.push(pixels[i]!);
  for (let i = 0; i < pixels.length; i++) sum += pixels[i]!;
  sample.sort((a, b) => a - b);
  const black = percentile(sample, 0.005);
  const white = Math.max(black + 1e-9, percentile(sample, 0.999));
  const soften = 8;
  const norm = Math.asinh(soften);
  const out = Buffer.alloc(plane * channels);
  for (let y = 0; y < height; y++) {
    const srcRow = (height - 1 - y) * width;
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const v = (pixels[c * plane + srcRow + x]! - black) / (white - black);
        const s = Math.asinh(Math.min(1, Math.max(0, v)) * soften) / norm;
        out[(y * width + x) * channels + c] = Math.round(s * 255);
      }
    }
  }
  const jpeg = await (
    await loadSharp()
  )(out, { raw: { width, height, channels: channels as 1 | 3 } })
    .jpeg({ quality })
    .toBuffer();
  const full = img.bitpix === 8 ? 255 : img.bitpix === 16 ? 65535 : Math.max(1, sample.at(-1) ?? 1);
  return { jpeg, width, height, meanLevel: Math.min(1, Math.max(0, sum / pixels.length / full)) };
}
