import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { MjpegSplitter, jpegSize } from './mjpeg.js';

const jpeg = (w: number, h: number, v: number): Promise<Buffer> =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: v, g: v, b: v } } })
    .jpeg()
    .toBuffer();

describe('MjpegSplitter', () => {
  it('cuts a stream into whole JPEGs however the bytes are chunked', async () => {
    const frames = [await jpeg(32, 16, 10), await jpeg(48, 24, 200), await jpeg(16, 16, 90)];
    const stream = Buffer.concat([Buffer.from('junk'), ...frames]);
    for (const size of [1, 7, 333, stream.length]) {
      const splitter = new MjpegSplitter();
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) out.push(...splitter.push(stream.subarray(i, i + size)));
      expect(out.map((f) => f.equals(frames[out.indexOf(f)]!))).toEqual([true, true, true]);
      expect(out.map((f) => jpegSize(f))).toEqual([
        { width: 32, height: 16 },
        { width: 48, height: 24 },
        { width: 16, height: 16 },
      ]);
    }
  });

  it('returns nothing for a half frame and null size for non-JPEG bytes', () => {
    const splitter = new MjpegSplitter();
    expect(splitter.push(Buffer.from([0xff, 0xd8, 0x00, 0x01]))).toEqual([]);
    expect(jpegSize(Buffer.from('not a jpeg at all'))).toBeNull();
  });
});
