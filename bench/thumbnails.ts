import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { THUMB_WIDTH, makeThumbnail } from '../src-main/media/thumbnails.js';
import { notMeasured, result, type BenchResult } from './lib.js';

const IMAGEMAGICK = '/usr/bin/convert';

/** Thumbnails of 24 MP JPEGs: Skystation's sharp path vs ImageMagick's fastest equivalent. */
export async function benchThumbnails(count = Number(process.env['BENCH_THUMB_FILES'] ?? 12)): Promise<BenchResult[]> {
  const id = 'thumbnails_vs_imagemagick_ratio';
  if (!existsSync(IMAGEMAGICK))
    return [notMeasured(id, 'ratio', '≥ 1.5', 'ImageMagick is not installed (apt-get install imagemagick)')];
  const dir = mkdtempSync(join(tmpdir(), 'skys-bench-thumbs-'));
  try {
    // 6000×4000 JPEGs with sensor-like noise (about 6 MB each, like a real 24 MP sky frame).
    const width = 6000;
    const height = 4000;
    const files: string[] = [];
    for (let i = 0; i < count; i++) {
      const f = join(dir, `src_${i}.jpg`);
      await sharp({
        create: {
          width,
          height,
          channels: 3,
          background: { r: 40 + i * 10, g: 80, b: 160 },
          noise: { type: 'gaussian', mean: 128, sigma: 12 },
        },
      })
        .jpeg({ quality: 90 })
        .toFile(f);
      files.push(f);
    }
    const ours = async (): Promise<number> => {
      const s = performance.now();
      for (const [i, f] of files.entries()) await makeThumbnail(f, join(dir, `ours_${i}.jpg`));
      return performance.now() - s;
    };
    const theirs = (): number => {
      const s = performance.now();
      for (const [i, f] of files.entries()) {
        execFileSync(IMAGEMAGICK, [
          '-define',
          `jpeg:size=${THUMB_WIDTH * 2}x${THUMB_WIDTH * 2}`,
          f,
          '-thumbnail',
          `${THUMB_WIDTH}x`,
          '-quality',
          '78',
          join(dir, `im_${i}.jpg`),
        ]);
      }
      return performance.now() - s;
    };
    // Warm up both, then alternate runs and keep the best of three each.
    await ours();
    theirs();
    const oursMs: number[] = [];
    const imMs: number[] = [];
    for (let r = 0; r < 3; r++) {
      oursMs.push(await ours());
      imMs.push(theirs());
    }
    const avgMb = files.reduce((n, f) => n + statSync(f).size, 0) / files.length / 1e6;
    const bestOurs = Math.min(...oursMs);
    const bestIm = Math.min(...imMs);
    return [
      result(
        id,
        bestIm / bestOurs,
        'ratio',
        { text: '≥ 1.5', ok: (v) => v >= 1.5 },
        `${count} × 24 MP JPEG (${avgMb.toFixed(1)} MB avg) → ${THUMB_WIDTH} px: sharp ${(bestOurs / count).toFixed(1)} ms/image, ImageMagick ${(bestIm / count).toFixed(1)} ms/image (best of 3)`,
      ),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
