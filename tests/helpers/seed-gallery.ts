/**
 * A station data folder whose gallery holds many captures (issue #15's
 * gallery tests and the ui bench): rows written straight into the station's
 * SQLite in batches, with real JPEG files behind them. Four cameras, one
 * capture a minute each, so a night has a few thousand; night frames are
 * dark (and stretched for display), day frames bright. The newest
 * `distinctNewest` captures have files of their own (safe to delete); the rest
 * share a few.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { CapturesRepo, type CaptureRow } from '../../src-main/db/captures-repo.js';
import { openDatabase } from '../../src-main/db/database.js';

export interface SeedOptions {
  total: number;
  /** Newest capture time; default 2026-01-20T06:00:00Z. */
  newest?: Date;
  cameras?: number;
  distinctNewest?: number;
}

export interface SeededGallery {
  total: number;
  cameras: string[];
  /** Ids ("<agentId>/<captureId>") newest first, of the captures with files of their own. */
  distinctIds: string[];
}

async function makeImage(path: string, night: boolean, seed: number): Promise<void> {
  const width = 320;
  const height = 180;
  const px = Buffer.alloc(width * height * 3);
  let s = seed * 7919 + 17;
  const rand = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if (night) {
        const v = 6 + Math.round(rand() * 10) + (y > 150 ? 4 : 0);
        px[i] = v;
        px[i + 1] = v;
        px[i + 2] = v + 3;
      } else {
        const v = 150 - Math.round((y / height) * 60);
        px[i] = v - 20;
        px[i + 1] = v;
        px[i + 2] = v + 40;
      }
    }
  }
  if (night) {
    for (let k = 0; k < 60; k++) {
      const i = (Math.floor(rand() * height * 0.8) * width + Math.floor(rand() * width)) * 3;
      px[i] = px[i + 1] = px[i + 2] = 120 + Math.round(rand() * 100);
    }
  }
  await sharp(px, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 80 })
    .toFile(path);
}

export async function seedGallery(dataDir: string, o: SeedOptions): Promise<SeededGallery> {
  const cameras = Array.from({ length: o.cameras ?? 4 }, (_, i) => `seed-cam-${i + 1}`);
  const distinct = o.distinctNewest ?? 40;
  const media = join(dataDir, 'media');
  const shared = join(media, 'seed');
  await mkdir(shared, { recursive: true });
  for (let k = 0; k < 4; k++) {
    await makeImage(join(shared, `night-${k}.jpg`), true, k);
    await makeImage(join(shared, `day-${k}.jpg`), false, k);
  }
  const db = openDatabase(join(dataDir, 'gallery.sqlite'));
  const repo = new CapturesRepo(db);
  const newest = (o.newest ?? new Date('2026-01-20T06:00:00Z')).getTime();
  const distinctIds: string[] = [];
  const batch: CaptureRow[] = [];
  for (let i = 0; i < o.total; i++) {
    const agentId = cameras[i % cameras.length]!;
    const t = new Date(newest - Math.floor(i / cameras.length) * 60_000);
    const hour = t.getUTCHours();
    const night = hour >= 18 || hour < 6;
    let rel = `seed/${night ? 'night' : 'day'}-${i % 4}.jpg`;
    if (i < distinct) {
      rel = `originals/${agentId}/s${i}.jpg`;
      await mkdir(join(media, 'originals', agentId), { recursive: true });
      await copyFile(join(shared, `${night ? 'night' : 'day'}-${i % 4}.jpg`), join(media, rel));
      distinctIds.push(`${agentId}/s${i}`);
    }
    const at = t.toISOString();
    batch.push({
      agentId,
      captureId: `s${i}`,
      seq: Math.floor(i / cameras.length) + 1,
      capturedAt: at,
      schedule: night ? 'night' : i % 3 === 0 ? 'sunset' : 'day',
      profile: night ? 'f' : 'a',
      profileVersion: '1.0.0',
      testId: i % 50 === 0 ? 'ab-1' : null,
      variant: i % 50 === 0 ? (i % 100 === 0 ? 'a' : 'b') : null,
      iso: night ? 1600 : 100,
      shutterSpeed: night ? '20' : '1/500',
      settingsJson: JSON.stringify({ iso: night ? 1600 : 100, shutter_speed: night ? '20' : '1/500' }),
      lux: night ? 0.01 : 2000,
      temperatureC: night ? -3.5 : 4,
      width: 320,
      height: 180,
      sizeBytes: 20_000,
      sha256: 'ab'.repeat(32),
      imagePath: rel,
      thumbPath: rel,
      importedAt: at,
      // Measured already, so the station queues no thumbnail work for them.
      meanBrightness: night ? 12 : 120,
      clippedHighlights: 0,
      clippedShadows: night ? 0.4 : 0,
      focusScore: 10,
      bracketGroup: i % 97 === 0 ? `set-${i}` : null,
      bracketIndex: i % 97 === 0 ? 1 : null,
      bracketCount: i % 97 === 0 ? 3 : null,
      bracketEv: i % 97 === 0 ? 0 : null,
      frameKind: 'light',
    });
    if (batch.length === 10_000) {
      repo.insertMany(batch);
      batch.length = 0;
    }
  }
  repo.insertMany(batch);
  db.close();
  return { total: o.total, cameras, distinctIds };
}
