import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CapturesRepo, type CaptureRow } from '../src-main/db/captures-repo.js';
import { openDatabase } from '../src-main/db/database.js';
import { percentile, result, type BenchResult } from './lib.js';

/** Fill the gallery to N captures (20 cameras), then time filtered pages of 200. */
export function benchGallery(total = Number(process.env['BENCH_GALLERY_ROWS'] ?? 1_000_000)): BenchResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'skys-bench-gallery-'));
  try {
    const db = openDatabase(join(dir, 'gallery.sqlite'));
    const repo = new CapturesRepo(db);
    const cameras = 20;
    const start = Date.UTC(2026, 0, 1);
    const batch: CaptureRow[] = [];
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const agentId = `cam-${i % cameras}`;
      const at = new Date(start + Math.floor(i / cameras) * 5_000).toISOString();
      batch.push({
        agentId,
        captureId: `c${i}`,
        seq: i,
        capturedAt: at,
        schedule: i % 3 === 0 ? 'sunset' : 'night',
        profile: 'f',
        profileVersion: '1.0.0',
        testId: null,
        variant: null,
        iso: 400,
        shutterSpeed: '1/500',
        settingsJson: '{"iso":400,"shutter_speed":"1/500"}',
        lux: 1200,
        temperatureC: 4.5,
        width: 1920,
        height: 1080,
        sizeBytes: 812_345,
        sha256: 'ab'.repeat(32),
        imagePath: `originals/${agentId}/${at.slice(0, 10)}/c${i}.jpg`,
        thumbPath: `thumbs/${agentId}/c${i}.jpg`,
        importedAt: at,
      });
      if (batch.length === 10_000) {
        repo.insertMany(batch);
        batch.length = 0;
      }
    }
    repo.insertMany(batch);
    const ingestSeconds = (performance.now() - t0) / 1000;

    const timings: number[] = [];
    for (let q = 0; q < 500; q++) {
      const agentId = `cam-${q % cameras}`;
      // Rotate through the gallery's filters: camera; camera + time range; schedule + profile; tag-less test.
      const dayStart = new Date(start + (q % 20) * 86_400_000).toISOString();
      const dayEnd = new Date(start + ((q % 20) + 1) * 86_400_000).toISOString();
      const filters = [
        { agentId },
        { agentId, from: dayStart, to: dayEnd },
        { schedule: 'sunset', profile: 'f' },
        { agentId, schedule: 'night', from: dayStart },
      ][q % 4]!;
      let cursor: string | undefined;
      const pages = 1 + (q % 5);
      for (let p = 0; p < pages; p++) {
        const s = performance.now();
        const page = repo.page({ ...filters, cursor, limit: 200 });
        timings.push(performance.now() - s);
        cursor = page.nextCursor ?? undefined;
      }
    }
    db.close();
    return [
      result(
        'gallery_ingest_per_s',
        total / ingestSeconds,
        'captures/s',
        { text: '≥ 20000', ok: (v) => v >= 20_000 },
        `${total} rows, 20 cameras, batches of 10,000`,
      ),
      result(
        'gallery_page_p99_ms',
        percentile(timings, 99),
        'ms',
        { text: '≤ 5', ok: (v) => v <= 5 },
        `${timings.length} pages of 200 (filters: camera, camera+day, schedule+profile, camera+schedule+from), at ${total} rows`,
      ),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
