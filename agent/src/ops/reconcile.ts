/**
 * Start-up reconciliation after a crash (kill -9, power cut). A capture file
 * is written to a temp name, fsynced, renamed, and only then journalled, so a
 * crash can leave (a) temp files, which are removed, (b) journal rows whose
 * file vanished, which are marked missing (agent.ts), and (c) a complete file
 * under its final name with no row: an "orphan final". Orphans are hashed and
 * added to the journal as unsynced with `reconciled: true`, so the station
 * still copies them and retention never deletes what was never synced.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { loadSharp } from '../util/sharp.js';
import type { Journal } from '../db/journal.js';
import type { SettingsUsed } from '../protocol/index.js';
import type { CapturesStore } from '../storage/captures-store.js';
import { TEMP_PREFIX } from '../util/fs-atomic.js';
import type { Logger } from '../util/log.js';

/** `<YYYYMMDDTHHMMSSmmmZ>_<camera>_<seq>.jpg` as CapturesStore names them. */
const FINAL_NAME = /^(\d{8}T\d{9}Z)_(.+)_(\d+)\.jpg$/;

/**
 * Settings of a reconciled capture are not known (they were in memory when
 * the agent died); these neutral values stand in and `reconciled: true` says so.
 */
export const UNKNOWN_SETTINGS: SettingsUsed = {
  iso: 100,
  shutter_speed: '1/125',
  exposure_compensation: 0,
  awb_mode: 0,
  ae_metering_mode: 0,
};

function fromCompact(s: string): string {
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}.${s.slice(15, 18)}Z`;
}

async function walk(dir: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, out);
    else if (entry.isFile() && entry.name.endsWith('.jpg') && !entry.name.startsWith(TEMP_PREFIX)) out.push(path);
  }
}

/** Adds every capture file the journal does not know; returns the capture ids added. */
export async function reconcileOrphanFiles(store: CapturesStore, journal: Journal, log: Logger): Promise<string[]> {
  const known = journal.knownFileNames();
  const files: string[] = [];
  await walk(store.root, files);
  const added: string[] = [];
  for (const path of files) {
    const fileName = relative(store.root, path).split(sep).join('/');
    if (known.has(fileName)) continue;
    const bytes = await readFile(path);
    let size: { width: number; height: number };
    try {
      const meta = await (await loadSharp())(bytes).metadata();
      size = { width: meta.width, height: meta.height };
    } catch (err) {
      log.warn(
        { event: 'reconcile.unreadable', file: fileName, err },
        'found a capture file that is not a readable JPEG; left alone and not journalled',
      );
      continue;
    }
    const parts = fileName.split('/');
    const base = parts[parts.length - 1]!;
    const m = FINAL_NAME.exec(base);
    let seq = m ? Number(m[3]) : journal.nextSeq();
    let captureId = base.replace(/\.jpg$/, '');
    if (journal.isTaken(captureId, seq)) {
      seq = journal.nextSeq();
      captureId = `${captureId}_r${seq}`;
    }
    const schedule = parts.length === 4 && parts[1] !== 'manual' ? parts[1]! : null;
    const profile = parts.length === 4 && parts[2] !== 'default' ? parts[2]! : null;
    journal.insert({
      capture_id: captureId,
      seq,
      file_name: fileName,
      captured_at: m ? fromCompact(m[1]!) : new Date().toISOString(),
      sha256: createHash('sha256').update(bytes).digest('hex'),
      size_bytes: bytes.length,
      width: size.width,
      height: size.height,
      settings_used: UNKNOWN_SETTINGS,
      profile,
      profile_version: null,
      schedule,
      test_id: null,
      variant: null,
      lux: null,
      temperature_c: null,
      clock_synced: false,
      reconciled: true,
    });
    added.push(captureId);
    log.warn(
      { event: 'reconcile.orphan_added', capture_id: captureId, file: fileName },
      'found a complete capture file without a journal row after a crash; added it as unsynced',
    );
  }
  return added;
}
