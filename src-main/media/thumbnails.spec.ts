import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeThumbnail, measureQuality } from './thumbnails.js';

describe('thumbnails and quality figures', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'skys-thumb-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a 320 px JPEG thumbnail and measures brightness of the original', async () => {
    const src = join(dir, 'grey.jpg');
    await sharp({ create: { width: 2000, height: 1000, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .jpeg()
      .toFile(src);
    const q = await makeThumbnail(src, join(dir, 'grey-thumb.jpg'));
    const meta = await sharp(join(dir, 'grey-thumb.jpg')).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBe(320);
    expect(meta.height).toBe(160);
    expect(q.meanBrightness).toBeGreaterThan(120);
    expect(q.meanBrightness).toBeLessThan(136);
    expect(q.clippedHighlights).toBe(0);
    expect(q.clippedShadows).toBe(0);
  });

  it('counts clipped highlights and shadows', () => {
    const w = 10;
    const h = 10;
    const data = new Uint8Array(w * h).fill(128);
    data.fill(255, 0, 20); // 20 % blown
    data.fill(0, 20, 50); // 30 % crushed
    const q = measureQuality(data, w, h, 1);
    expect(q.clippedHighlights).toBeCloseTo(0.2);
    expect(q.clippedShadows).toBeCloseTo(0.3);
  });

  it('scores a sharp pattern higher than the same pattern blurred', async () => {
    const w = 256;
    const h = 256;
    const checker = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) checker[y * w + x] = ((x >> 2) + (y >> 2)) % 2 ? 230 : 20;
    const blurred = await sharp(checker, { raw: { width: w, height: h, channels: 1 } })
      .blur(3)
      .raw()
      .toBuffer();
    const sharpScore = measureQuality(checker, w, h, 1).focusScore;
    const blurScore = measureQuality(blurred, w, h, 1).focusScore;
    expect(sharpScore).toBeGreaterThan(blurScore * 5);
  });

  it('refuses a file that is not an image', async () => {
    const { writeFileSync } = await import('node:fs');
    const bad = join(dir, 'bad.jpg');
    writeFileSync(bad, 'not a jpeg');
    await expect(makeThumbnail(bad, join(dir, 'bad-thumb.jpg'))).rejects.toThrow();
  });
});
