/**
 * Start-up reconciliation after a crash (kill -9, power cut). A capture file
 * is written to a temp name, fsynced, renamed, and only then journalled, so a
 * crash can leave (a) temp files, which are removed, (b) journal rows whose
 * file vanished, which are marked missing (agent.ts), and (c) a complete file
 * under its final name with no row: an "orphan final". Orphans are hashed and
 * added to the journal as unsynced with `reconciled: true`, so the station
 * still copies them and retention never deletes what was never synced.
 *
 * Their settings come from what is known, best first: the journal's intent
 * (what the capture was asked for, written as its exposure started), the
 * file's own EXIF (ISO, exposure time), a FITS original's header (EXPTIME,
 * ISO/GAIN); what none of them says is recorded as unknown (null, UNKNOWN_SETTINGS). A
 * plan slot left `started`/`interrupted` at that instant gets the capture id.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseFits } from '../camera/fits.js';
import { relative, sep } from 'node:path';
import { loadSharp } from '../util/sharp.js';
import type { CaptureIntent, Journal } from '../db/journal.js';
import type { RecordedSettings } from '../protocol/index.js';
import type { CapturesStore } from '../storage/captures-store.js';
import { TEMP_PREFIX } from '../util/fs-atomic.js';
import type { Logger } from '../util/log.js';

/** `<YYYYMMDDTHHMMSSmmmZ>_<camera>_<seq>.jpg` as CapturesStore names them. */
const FINAL_NAME = /^(\d{8}T\d{9}Z)_(.+)_(\d+)\.jpg$/;

/**
 * Settings of a reconciled capture that neither the journal nor the file tells (they were in memory when the
 * agent died): unknown, recorded as null, never invented; `reconciled: true` flags the capture.
 */
export const UNKNOWN_SETTINGS: RecordedSettings = {
  iso: null,
  shutter_speed: null,
  exposure_compensation: null,
  awb_mode: null,
  ae_metering_mode: null,
};

/** Seconds as a shutter speed string ("1/125", "2", "2.5"). */
export function shutterText(seconds: number): string | null {
  if (!(seconds > 0) || seconds > 3600) return null;
  if (seconds < 1) return `1/${Math.max(1, Math.round(1 / seconds))}`;
  return String(Math.round(seconds * 1000) / 1000);
}

/** ISO and exposure time from a JPEG's EXIF block (sharp's `metadata().exif`), when it has them. */
export function exifSettings(exif: Buffer | undefined): { iso?: number; shutter_speed?: string } {
  if (!exif || exif.length < 14) return {};
  const base = exif.toString('latin1', 0, 4) === 'Exif' ? 6 : 0;
  const order = exif.toString('latin1', base, base + 2);
  if (order !== 'II' && order !== 'MM') return {};
  const le = order === 'II';
  const u16 = (o: number): number => (le ? exif.readUInt16LE(o) : exif.readUInt16BE(o));
  const u32 = (o: number): number => (le ? exif.readUInt32LE(o) : exif.readUInt32BE(o));
  const out: { iso?: number; shutter_speed?: string } = {};
  const readIfd = (offset: number, depth: number): void => {
    const at = base + offset;
    if (depth > 2 || at + 2 > exif.length) return;
    const n = u16(at);
    for (let i = 0; i < n; i++) {
      const e = at + 2 + i * 12;
      if (e + 12 > exif.length) return;
      const tag = u16(e);
      const type = u16(e + 2);
      if (tag === 0x8769) readIfd(u32(e + 8), depth + 1);
      else if (tag === 0x8827 && (type === 3 || type === 4)) {
        const iso = type === 3 ? u16(e + 8) : u32(e + 8);
        if (iso >= 25 && iso <= 102400) out.iso = iso;
      } else if (tag === 0x829a && type === 5) {
        const v = base + u32(e + 8);
        if (v + 8 > exif.length) continue;
        const den = u32(v + 4);
        const text = den > 0 ? shutterText(u32(v) / den) : null;
        if (text) out.shutter_speed = text;
      }
    }
  };
  try {
    readIfd(u32(base + 4), 0);
  } catch {
    return out;
  }
  return out;
}

/** Exposure time and ISO (or a gain standing for it) from a FITS original's header. */
export function fitsSettings(fits: Buffer): { iso?: number; shutter_speed?: string } {
  try {
    const { header } = parseFits(fits);
    const out: { iso?: number; shutter_speed?: string } = {};
    const exptime = header['EXPTIME'] ?? header['EXPOSURE'];
    if (typeof exptime === 'number') {
      const text = shutterText(exptime);
      if (text) out.shutter_speed = text;
    }
    const iso = header['ISO'] ?? header['ISOSPEED'];
    if (typeof iso === 'number' && Number.isInteger(iso) && iso >= 25 && iso <= 102400) out.iso = iso;
    return out;
  } catch {
    return {};
  }
}

function fromCompact(s: string): string {
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}.${s.slice(15, 18)}Z`;
}

/** Adds every capture file the journal does not know; returns the capture ids added. */
export async function reconcileOrphanFiles(store: CapturesStore, journal: Journal, log: Logger): Promise<string[]> {
  const known = journal.knownFileNames();
  const files = await store.listBelow(
    (entry) => entry.isFile() && entry.name.endsWith('.jpg') && !entry.name.startsWith(TEMP_PREFIX),
  );
  const added: string[] = [];
  for (const path of files) {
    const fileName = relative(store.root, path).split(sep).join('/');
    if (known.has(fileName)) continue;
    const bytes = await readFile(path);
    let size: { width: number; height: number };
    let fromFile: { iso?: number; shutter_speed?: string };
    try {
      const meta = await (await loadSharp())(bytes).metadata();
      size = { width: meta.width, height: meta.height };
      fromFile = exifSettings(meta.exif);
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
    const intent: CaptureIntent | null = journal.intent(captureId);
    if (!intent) {
      try {
        fromFile = { ...fitsSettings(await readFile(path.replace(/\.jpg$/, '.fits'))), ...fromFile };
      } catch {
        /* no FITS beside it */
      }
    }
    const settings: RecordedSettings = intent?.settings ?? { ...UNKNOWN_SETTINGS, ...fromFile };
    const source = intent
      ? 'journal'
      : fromFile.iso !== undefined || fromFile.shutter_speed !== undefined
        ? 'file'
        : 'none';
    if (journal.isTaken(captureId, seq)) {
      seq = journal.nextSeq();
      captureId = `${captureId}_r${seq}`;
    }
    const schedule = parts.length === 4 && parts[1] !== 'manual' ? parts[1]! : null;
    const profile = parts.length === 4 && parts[2] !== 'default' ? parts[2]! : null;
    const capturedAt = intent?.started_at ?? (m ? fromCompact(m[1]!) : new Date().toISOString());
    const row = {
      capture_id: captureId,
      seq,
      file_name: fileName,
      captured_at: capturedAt,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      size_bytes: bytes.length,
      width: size.width,
      height: size.height,
      settings_used: settings,
      profile: intent ? intent.profile : profile,
      profile_version: intent?.profile_version ?? null,
      schedule: intent ? intent.schedule : schedule,
      test_id: intent?.test_id ?? null,
      variant: intent?.variant ?? null,
      lux: intent?.lux ?? null,
      temperature_c: null,
      clock_synced: false,
      reconciled: true,
      ...(intent?.bracket ? { bracket: intent.bracket } : {}),
      frame_kind: intent?.frame_kind ?? 'light',
    } as const;
    try {
      journal.insert(row);
    } catch (err) {
      // A full disk: the file stays and is journalled at a later start; the agent starts (paused) meanwhile.
      if ((err as { code?: unknown }).code !== 'disk_full') throw err;
      log.warn(
        { event: 'reconcile.deferred', file: fileName },
        'the disk is too full to journal a capture found after a crash; it is added at a later start',
      );
      break;
    }
    added.push(captureId);
    // A planned slot that was exposing at that instant took this image.
    const slot = journal.planSlots().recoverCapture(Date.parse(capturedAt), captureId);
    log.warn(
      {
        event: 'reconcile.orphan_added',
        capture_id: captureId,
        file: fileName,
        settings_from: source,
        ...(slot === null ? {} : { planned_at: new Date(slot).toISOString() }),
      },
      'found a complete capture file without a journal row after a crash; added it as unsynced',
    );
  }
  // Intents of captures that never came to a file (a failed exposure, a crash before the write) are done with.
  // Never a reason not to start: on a full disk they go at a later start.
  try {
    journal.pruneIntents();
  } catch (err) {
    log.warn(
      { event: 'reconcile.prune_failed', err },
      'could not prune old capture intents; tried again at the next start',
    );
  }
  return added;
}
