/** A station data folder with one capture in its gallery (tests/export/*archive*: what an upload of originals finds). */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CapturesRepo } from '../../src-main/db/captures-repo.js';
import { openDatabase, type Db } from '../../src-main/db/database.js';

export async function stationWithOneCapture(dataDir: string): Promise<{ db: Db; repo: CapturesRepo }> {
  await mkdir(join(dataDir, 'media', 'originals', 'cam'), { recursive: true });
  await writeFile(join(dataDir, 'media', 'originals', 'cam', 'a.jpg'), 'x');
  const db = openDatabase(join(dataDir, 'gallery.sqlite'));
  const repo = new CapturesRepo(db);
  repo.insert({
    agentId: 'cam',
    captureId: 'c1',
    seq: 1,
    capturedAt: '2025-01-10T20:00:00Z',
    schedule: 'night',
    profile: null,
    profileVersion: null,
    testId: null,
    variant: null,
    iso: 100,
    shutterSpeed: '1',
    settingsJson: '{}',
    lux: null,
    temperatureC: null,
    width: 1,
    height: 1,
    sizeBytes: 1,
    sha256: 'x',
    imagePath: 'originals/cam/a.jpg',
    thumbPath: 'x',
    importedAt: '2025-01-10T20:00:00Z',
  });
  return { db, repo };
}
