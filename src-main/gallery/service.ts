/**
 * The brain's handlers for the gallery.* methods (params validated by the
 * contract's schemas): nights and random-access pages over CapturesRepo,
 * details, tags, filter values, and delete with the only-copy rule.
 */
import { rm } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import type { z } from 'zod';
import type { AgentClient } from '../agents/agent-client.js';
import type { CaptureView } from '../api/contract.js';
import type { CaptureFilter, CapturesRepo, StoredCapture } from '../db/captures-repo.js';
import { StationError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { GalleryDetailView, GalleryFilter, GalleryItemView, galleryMethods } from './api-types.js';

type GalleryMethods = typeof galleryMethods;
export type GalleryHandlers = {
  [M in keyof GalleryMethods]: (params: z.output<GalleryMethods[M]['params']>) => Promise<GalleryMethods[M]['result']>;
};

export interface GalleryDeps {
  captures: CapturesRepo;
  mediaDir: string;
  /** The brain's own CaptureView mapping (agent names, bracket, thumbnail state). */
  toView: (c: StoredCapture) => CaptureView;
  agentNames: () => Map<string, string>;
  client: (agentId: string) => AgentClient | undefined;
  log: Logger;
  /** How long to wait for a camera asked whether it still holds a capture. */
  askTimeoutMs?: number;
}

function splitId(id: string): { agentId: string; captureId: string } {
  const i = id.indexOf('/');
  return { agentId: id.slice(0, i), captureId: id.slice(i + 1) };
}

/**
 * Stored times are UTC ("…Z") and compared as text: a bound given with another
 * offset is turned into UTC; a "…Z" bound passes unchanged (a night's bounds are
 * stored times themselves, whatever their precision).
 */
const utc = (t: string | undefined): string | undefined =>
  t === undefined || t.endsWith('Z') ? t : new Date(t).toISOString();

export function toCaptureFilter(f: GalleryFilter): CaptureFilter {
  return {
    agentIds: f.agentIds,
    from: utc(f.from),
    to: utc(f.to),
    schedule: f.schedule,
    profile: f.profile,
    testId: f.testId,
    variant: f.variant,
    frameKind: f.frameKind,
    brackets: f.brackets,
    tag: f.tag,
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        res(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        rej(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

// eslint-disable-next-line max-lines-per-function -- the gallery's handler table, one short handler per API method.
export function galleryHandlers(d: GalleryDeps): GalleryHandlers {
  const item = (c: StoredCapture, tags: string[]): GalleryItemView => ({
    ...d.toView(c),
    meanBrightness: c.meanBrightness ?? null,
    temperatureC: c.temperatureC,
    profileVersion: c.profileVersion,
    variant: c.variant,
    tags,
    reconciled: c.reconciled === 1,
  });
  const required = (id: string): StoredCapture => {
    const { agentId, captureId } = splitId(id);
    const row = d.captures.get(agentId, captureId);
    if (!row)
      throw new StationError(
        'capture_not_found',
        `No capture in the gallery has the id ${id}; it may have been deleted.`,
      );
    return row;
  };
  /** Whether the camera still holds the file of this capture (its journal lists present files only). */
  const agentCopy = async (row: StoredCapture): Promise<'kept' | 'gone' | 'unknown'> => {
    const client = d.client(row.agentId);
    if (!client) return 'unknown';
    try {
      const list = await withTimeout(client.listCaptures(row.seq - 1, 1, false), d.askTimeoutMs ?? 5_000);
      return list.items[0]?.capture_id === row.captureId ? 'kept' : 'gone';
    } catch (err) {
      d.log.info({ agentId: row.agentId, err: errorMessage(err) }, 'gallery delete: the camera could not be asked');
      return 'unknown';
    }
  };
  const inMedia = (rel: string): string | null => {
    const root = resolve(d.mediaDir);
    const file = resolve(root, rel);
    const r = relative(root, file);
    return r === '' || r.startsWith('..') || isAbsolute(r) ? null : file;
  };

  return {
    'gallery.nights': (p) => {
      const nights = d.captures.nights(toCaptureFilter(p.filter), p.utcOffsetMinutes);
      return Promise.resolve({ total: nights.reduce((n, x) => n + x.count, 0), nights });
    },
    'gallery.page': (p) => {
      const rows = d.captures.pageAt(toCaptureFilter(p.filter), p.offset, p.limit);
      const tags = d.captures.tagsFor(rows.map((r) => r.rowid));
      return Promise.resolve({ items: rows.map((r) => item(r, tags.get(r.rowid) ?? [])) });
    },
    // eslint-disable-next-line @typescript-eslint/require-await -- async so a missing capture rejects instead of throwing
    'gallery.get': async (p) => {
      const row = required(p.id);
      let settings: Record<string, unknown> | null = null;
      try {
        const parsed = JSON.parse(row.settingsJson) as unknown;
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
          settings = parsed as Record<string, unknown>;
      } catch {
        settings = null;
      }
      const view: GalleryDetailView = {
        ...item(row, d.captures.tagsOf(row.rowid)),
        settings,
        clippedHighlights: row.clippedHighlights ?? null,
        clippedShadows: row.clippedShadows ?? null,
        focusScore: row.focusScore ?? null,
        importedAt: row.importedAt,
      };
      return view;
    },
    'gallery.facets': () => {
      const f = d.captures.facets();
      const names = d.agentNames();
      return Promise.resolve({
        cameras: f.agentIds.map((agentId) => ({ agentId, name: names.get(agentId) ?? agentId })),
        schedules: f.schedules,
        profiles: f.profiles,
        tests: f.tests,
        tags: f.tags,
      });
    },
    // eslint-disable-next-line @typescript-eslint/require-await -- async so a missing capture rejects instead of throwing
    'gallery.tag': async (p) => {
      const tags: Record<string, string[]> = {};
      const missing: string[] = [];
      for (const id of p.ids) {
        const { agentId, captureId } = splitId(id);
        const row = d.captures.get(agentId, captureId);
        if (!row) {
          missing.push(id);
          continue;
        }
        for (const t of p.add) d.captures.tag(row.rowid, t);
        for (const t of p.remove) d.captures.untag(row.rowid, t);
        tags[id] = d.captures.tagsOf(row.rowid);
      }
      if (Object.keys(tags).length === 0)
        throw new StationError('capture_not_found', `No capture in the gallery has the id ${missing[0]}.`);
      return { tags, missing };
    },
    'gallery.delete': async (p) => {
      const rows: StoredCapture[] = [];
      const missing: string[] = [];
      for (const id of p.ids) {
        const { agentId, captureId } = splitId(id);
        const row = d.captures.get(agentId, captureId);
        if (row) rows.push(row);
        else missing.push(id);
      }
      if (rows.length === 0)
        throw new StationError('capture_not_found', `No capture in the gallery has the id ${missing[0]}.`);
      const copies: Record<string, 'kept' | 'gone' | 'unknown'> = {};
      // A camera that could not be asked once is not asked again in this request (one timeout per camera, not per image).
      const unreachable = new Set<string>();
      for (const row of rows) {
        const copy = unreachable.has(row.agentId) ? 'unknown' : await agentCopy(row);
        if (copy === 'unknown') unreachable.add(row.agentId);
        copies[`${row.agentId}/${row.captureId}`] = copy;
      }
      const only = Object.entries(copies).filter(([, c]) => c !== 'kept');
      if (only.length > 0 && !p.confirmOnlyCopy) {
        const gone = only.filter(([, c]) => c === 'gone').length;
        const what = rows.length === 1 ? 'This image' : `${only.length} of these ${rows.length} images`;
        const why =
          gone === only.length
            ? 'the camera has already removed its copy after syncing'
            : 'the camera could not be asked whether it still has its copy';
        throw new StationError(
          'only_copy',
          `${what} may exist only on this computer: ${why}. Deleting ${rows.length === 1 ? 'it' : 'them'} loses ${rows.length === 1 ? 'it' : 'them'} for good; confirm to delete anyway.`,
        );
      }
      const removed = d.captures.deleteMany(rows.map((r) => ({ agentId: r.agentId, captureId: r.captureId })));
      for (const row of removed) {
        for (const rel of [row.imagePath, row.thumbPath]) {
          const file = inMedia(rel);
          if (file === null) continue;
          await rm(file, { force: true }).catch((err: unknown) =>
            d.log.warn({ file, err: errorMessage(err) }, 'gallery delete: a file could not be removed'),
          );
        }
      }
      const deleted = removed.map((r) => `${r.agentId}/${r.captureId}`);
      const kept = deleted.filter((id) => copies[id] === 'kept').length;
      const n = deleted.length;
      const message =
        `Deleted ${n === 1 ? 'the image' : `${n} images`} from this computer. ` +
        (kept === n
          ? `The camera still has ${n === 1 ? 'its copy' : 'its copies'}: it keeps synced images until its retention removes them, and will not send ${n === 1 ? 'it' : 'them'} again.`
          : kept === 0
            ? `The camera no longer had ${n === 1 ? 'a copy' : 'copies'}: ${n === 1 ? 'it is' : 'they are'} gone for good.`
            : `${kept} still exist on the camera until its retention removes them; the others are gone for good.`);
      return { deleted, missing, agentCopies: copies, message };
    },
  };
}
