import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db/database.js';
import { OrchestrationRepo } from '../db/orchestration-repo.js';
import { EXPORT_SETTINGS_KEY, ExportSettingsStore } from './export-settings.js';

let dir: string;
let db: Db;
let docs: OrchestrationRepo;
const log = pino({ level: 'silent' });
const idle = { queued: 0, lastUploaded: null, lastError: null };
const s3 = { region: 'eu-west-1', bucket: 'sky', prefix: 'st/', accessKeyId: 'AK', forcePathStyle: false };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skys-export-settings-'));
  db = openDatabase(join(dir, 'gallery.sqlite'));
  docs = new OrchestrationRepo(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ExportSettingsStore', () => {
  it('starts from the defaults, keeps a patch in the database and reads it back at the next start', () => {
    const store = new ExportSettingsStore({ docs, log });
    store.load();
    expect(store.get()).toMatchObject({ autoNightProducts: true, nightQuietMinutes: 10, s3: null });
    expect(store.update({ nightQuietMinutes: 30, s3: { ...s3, secretAccessKey: 'SECRET' } })).toEqual({
      s3Changed: true,
    });
    expect(store.update({ autoNightProducts: false })).toEqual({ s3Changed: false });
    const again = new ExportSettingsStore({ docs, log });
    again.load();
    expect(again.get()).toMatchObject({
      nightQuietMinutes: 30,
      autoNightProducts: false,
      s3: { secretAccessKey: 'SECRET' },
    });
    // The secret is only ever shown as set.
    const view = again.view(idle);
    expect(view.s3).toMatchObject({ bucket: 'sky', secretAccessKeySet: true });
    expect(JSON.stringify(view)).not.toContain('SECRET');
    // A new bucket without a new secret keeps the stored one.
    again.update({ s3: { ...s3, bucket: 'other' } });
    expect(again.get().s3).toMatchObject({ bucket: 'other', secretAccessKey: 'SECRET' });
  });

  it('refuses an archive without S3, and S3 without a secret, changing nothing', () => {
    const store = new ExportSettingsStore({ docs, log });
    expect(() => store.update({ archiveExports: true })).toThrow(
      expect.objectContaining({ code: 's3_not_configured' }) as Error,
    );
    expect(() => store.update({ s3 })).toThrow(expect.objectContaining({ code: 's3_secret_missing' }) as Error);
    expect(store.get().archiveExports).toBe(false);
    expect(docs.getSetting(EXPORT_SETTINGS_KEY)).toBeUndefined();
  });

  it('uses the defaults when the stored document does not parse', () => {
    docs.setSetting(EXPORT_SETTINGS_KEY, { version: 1, nightQuietMinutes: 'soon' });
    const store = new ExportSettingsStore({ docs, log });
    store.load();
    expect(store.get().nightQuietMinutes).toBe(10);
  });
});
