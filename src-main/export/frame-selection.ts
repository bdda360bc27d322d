/**
 * Which gallery images an export uses: cameras named by id, id prefix or
 * name; every matching light frame oldest first with what processing needs
 * (bracket, exposure, gain, temperature); and each camera's dark frames for
 * `darks: 'auto'` (matched to the lights in processing.ts).
 */
import { resolve, sep } from 'node:path';
import type { CaptureQuery, StoredCapture } from '../db/captures-repo.js';
import { StationError } from '../util/errors.js';
import { shutterSeconds } from './imaging.js';
import type { DarkSource } from './processing.js';

/** What the service needs from the gallery (CapturesRepo satisfies it). */
export interface GalleryReader {
  page(
    query: Pick<
      CaptureQuery,
      'agentId' | 'from' | 'to' | 'schedule' | 'profile' | 'testId' | 'frameKind' | 'cursor' | 'limit'
    >,
  ): { items: StoredCapture[]; nextCursor: string | null };
}

export interface SelectedFrame {
  path: string;
  capturedAt: string;
  temperatureC: number | null;
  night: boolean;
  agentId: string;
  bracket?: { group: string; index: number; count: number; ev: number };
  exposureSeconds?: number;
  gain?: number;
}

export interface Selection {
  agentIds: readonly string[];
  from: string;
  to: string;
  schedules?: readonly string[] | undefined;
  profile?: string | undefined;
  testId?: string | undefined;
  variant?: string | undefined;
}

/** Schedules whose captures count as night frames for keograms and startrails. */
const NIGHT_SCHEDULE = /night|astro|star|milky|aurora|meteor|dark/i;

export function isNightCapture(c: { schedule: string | null; lux: number | null }): boolean {
  if (c.schedule !== null && NIGHT_SCHEDULE.test(c.schedule)) return true;
  return c.lux !== null && c.lux < 1;
}

/** Most dark frames per camera considered by `darks: 'auto'` (the newest). */
const MAX_DARKS_PER_CAMERA = 2000;

export interface FrameSelectorDeps {
  mediaDir: string;
  gallery: GalleryReader;
  /** The configured cameras (to resolve an id prefix or a name, and to name files). */
  agents: () => readonly { id: string; name: string }[];
  /** Most frames one export may select (default 100 000). */
  maxFrames?: number | undefined;
}

export class FrameSelector {
  constructor(private readonly deps: FrameSelectorDeps) {}

  resolveAgents(refs: readonly string[]): { id: string; name: string }[] {
    const known = this.deps.agents();
    return refs.map((ref) => {
      const exact = known.find((a) => a.id === ref);
      if (exact) return exact;
      const hits = known.filter((a) => a.id.startsWith(ref) || a.name === ref);
      if (hits.length === 1) return hits[0]!;
      if (hits.length > 1) {
        throw new StationError('agent_ambiguous', `"${ref}" matches several cameras; use more of the camera id.`);
      }
      // A camera removed from the fleet keeps its images: accept its id as it is.
      if (this.deps.gallery.page({ agentId: ref, limit: 1 }).items.length > 0) return { id: ref, name: ref };
      throw new StationError(
        'agent_unknown',
        `No camera matches "${ref}". Known: ${known.map((a) => `${a.name} (${a.id.slice(0, 8)})`).join(', ') || 'none'}.`,
      );
    });
  }

  /** Every matching capture, oldest first (stable by camera order for equal times). */
  select(sel: Selection): SelectedFrame[] {
    const from = Date.parse(sel.from);
    const to = Date.parse(sel.to);
    // Stored times are ISO strings in UTC with or without milliseconds: query a
    // second wider and compare exactly here.
    const qFrom = new Date(from - 1000).toISOString();
    const qTo = new Date(to + 1000).toISOString();
    const max = this.deps.maxFrames ?? 100_000;
    const out: (SelectedFrame & { t: number })[] = [];
    const schedules = sel.schedules ?? [undefined];
    for (const agentId of sel.agentIds) {
      for (const schedule of schedules) {
        let cursor: string | undefined;
        do {
          const page = this.deps.gallery.page({
            agentId,
            from: qFrom,
            to: qTo,
            schedule,
            profile: sel.profile,
            testId: sel.testId,
            cursor,
            limit: 500,
          });
          for (const c of page.items) {
            const t = Date.parse(c.capturedAt);
            if (t < from || t > to) continue;
            if (sel.variant !== undefined && c.variant !== sel.variant) continue;
            // Dark frames are calibration data, never exported as pictures.
            if (c.frameKind === 'dark') continue;
            const exposureSeconds = shutterSeconds(c.shutterSpeed);
            out.push({
              path: this.mediaFile(c.imagePath),
              capturedAt: c.capturedAt,
              temperatureC: c.temperatureC,
              night: isNightCapture(c),
              agentId: c.agentId,
              ...(c.bracketGroup != null && c.bracketIndex != null && c.bracketCount != null && c.bracketEv != null
                ? { bracket: { group: c.bracketGroup, index: c.bracketIndex, count: c.bracketCount, ev: c.bracketEv } }
                : {}),
              ...(exposureSeconds !== null ? { exposureSeconds } : {}),
              ...(c.iso !== null && c.iso > 0 ? { gain: c.iso } : {}),
              t,
            });
            if (out.length > max) {
              throw new StationError(
                'too_many_frames',
                `This selection has more than ${max} images; export a shorter time range.`,
              );
            }
          }
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
      }
    }
    out.sort((a, b) => a.t - b.t);
    return out.map(({ t: _t, ...f }) => f);
  }

  /** The dark frames of these cameras (newest first, at most MAX_DARKS_PER_CAMERA each) with their exposure. */
  darksOf(agentIds: readonly string[]): DarkSource[] {
    const out: DarkSource[] = [];
    for (const agentId of agentIds) {
      let cursor: string | undefined;
      let n = 0;
      do {
        const page = this.deps.gallery.page({ agentId, frameKind: 'dark', cursor, limit: 500 });
        for (const c of page.items) {
          if (c.frameKind !== 'dark') continue;
          const exposureSeconds = shutterSeconds(c.shutterSpeed);
          if (exposureSeconds === null || c.iso === null || !(c.iso > 0)) continue;
          out.push({
            path: this.mediaFile(c.imagePath),
            agentId,
            exposureSeconds,
            gain: c.iso,
            temperatureC: c.temperatureC,
          });
          n++;
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined && n < MAX_DARKS_PER_CAMERA);
    }
    return out;
  }

  /** A gallery path as a file inside the media folder (an entry pointing outside it is refused). */
  mediaFile(rel: string): string {
    const full = resolve(this.deps.mediaDir, rel);
    const base = resolve(this.deps.mediaDir);
    if (!full.startsWith(base + sep)) {
      throw new StationError('bad_media_path', `A gallery entry points outside the media folder (${rel}).`);
    }
    return full;
  }
}
