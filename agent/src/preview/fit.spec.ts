import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { PreviewFrame } from '../camera/driver.js';
import { fitPreviewFrame, fitPreviewFrames } from './fit.js';

/** A noisy JPEG (noise keeps the quality visible in its size). */
async function jpeg(width: number, height: number, quality = 95): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  let s = 12345;
  for (let i = 0; i < raw.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    raw[i] = s >>> 24;
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}

const frameOf = (j: Buffer): PreviewFrame => ({
  jpeg: j,
  width: 0,
  height: 0,
  exposureUs: 1000,
  capturedAtMs: 5,
  iso: 400,
});

describe('fitPreviewFrame (cameras with a fixed live-view size, e.g. gphoto2)', () => {
  it('scales a frame wider than asked down to the asked width and quality, keeping its header fields', async () => {
    const big = frameOf(await jpeg(1056, 704));
    const fitted = await fitPreviewFrame(big, { width: 640, height: 360, fps: 30, quality: 30 });
    expect([fitted.width, fitted.height]).toEqual([640, 427]);
    const meta = await sharp(fitted.jpeg).metadata();
    expect([meta.width, meta.height]).toEqual([640, 427]);
    expect(fitted.jpeg.length).toBeLessThan(big.jpeg.length / 3);
    expect(fitted).toMatchObject({ exposureUs: 1000, capturedAtMs: 5, iso: 400 });
  });

  it('passes a frame no wider than asked unchanged, with its real size', async () => {
    const small = frameOf(await jpeg(640, 424));
    const out: PreviewFrame[] = [];
    async function* source(): AsyncIterable<PreviewFrame> {
      yield await Promise.resolve(small);
    }
    for await (const f of fitPreviewFrames(source(), {
      width: 1280,
      height: 720,
      fps: 30,
      quality: 70,
    })) {
      out.push(f);
    }
    expect(out[0]!.jpeg).toBe(small.jpeg);
    expect([out[0]!.width, out[0]!.height]).toEqual([640, 424]);
  });
});
