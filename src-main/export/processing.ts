/**
 * The export's processing stage (issue #6): bracketed sets become one frame
 * (exposure fusion, or the metered image alone) and dark frames are
 * subtracted from the lights, before the frames reach ffmpeg.
 *
 * planProcessing is pure: it groups the selection into output frames
 * ("units"), matches each light with a dark stack and says which units need
 * pixel work. processUnits then renders those units into a private work
 * folder, at most `concurrency` (≤ 2) at a time, so memory holds a few
 * frames whatever the length of the export; units that need no pixel work
 * keep their original file. An export with no brackets and no matching darks
 * has no processing stage at all.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { StationError } from '../util/errors.js';
import {
  DARK_MAX_DISTANCE,
  darkDistance,
  decodeRaw,
  fuseImages,
  type FusionScratch,
  masterDark,
  pickDark,
  subtractInPlace,
  type RawImage,
} from './imaging.js';

export type HdrMode = 'fuse' | 'middle';

export interface PlanFrame {
  path: string;
  capturedAt: string;
  temperatureC?: number | null | undefined;
  agentId?: string | undefined;
  bracket?: { group: string; index: number; count: number; ev: number } | null | undefined;
  exposureSeconds?: number | undefined;
  gain?: number | undefined;
}

export interface DarkSource {
  path: string;
  agentId?: string | undefined;
  exposureSeconds: number;
  gain: number;
  temperatureC?: number | null | undefined;
}

/** The darks subtracted from one light: a master dark of up to `maxStack` matching darks. */
export interface DarkStack {
  /** Cache key of the master dark (its dark files). */
  key: string;
  paths: string[];
  distance: number;
}

export interface PlannedSource {
  frame: PlanFrame;
  dark: DarkStack | null;
}

/** One output frame: one source, or several to fuse. */
export interface PlannedUnit {
  capturedAt: string;
  temperatureC: number | null;
  sources: PlannedSource[];
}

export interface ProcessingPlan {
  units: PlannedUnit[];
  /** Sentences for the job's warnings (incomplete sets, lights left without a dark). */
  warnings: string[];
  /** Units that need pixel work (fusion or dark subtraction). */
  work: number;
  /**
   * lights: frames of cameras that have darks (the only ones dark subtraction applies to);
   * noDark: night frames (NIGHT_EXPOSURE_SECONDS or longer) among them with no dark close enough.
   */
  stats: { sets: number; incompleteSets: number; lights: number; darkSubtracted: number; noDark: number };
}

export interface PlanOptions {
  hdr: HdrMode;
  darks: 'off' | 'auto';
  darkFrames?: readonly DarkSource[] | undefined;
  /** Largest darkDistance for a dark to be used (default DARK_MAX_DISTANCE). */
  maxDarkDistance?: number;
  /** Darks combined into one master dark (default 5). */
  maxStack?: number;
}

/** Lights exposed this long or longer are night frames that should have a dark (else they are counted in a warning). */
export const NIGHT_EXPOSURE_SECONDS = 1;

export function needsPixels(u: PlannedUnit): boolean {
  return u.sources.length > 1 || u.sources.some((s) => s.dark !== null);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The darks for one light: the best match (pickDark) if it is within
 * `maxDistance`, stacked with the other darks of the same camera, exposure
 * and gain, nearest in temperature first.
 */
export function matchDarks(
  light: PlanFrame,
  darks: readonly DarkSource[],
  maxDistance = DARK_MAX_DISTANCE,
  maxStack = 5,
): DarkStack | null {
  if (light.exposureSeconds === undefined || light.gain === undefined) return null;
  const meta = { exposureSeconds: light.exposureSeconds, gain: light.gain, temperatureC: light.temperatureC };
  const mine = darks.filter(
    (d) => light.agentId === undefined || d.agentId === undefined || d.agentId === light.agentId,
  );
  if (mine.length === 0) return null;
  const best = pickDark(meta, mine);
  const distance = darkDistance(meta, best);
  if (distance > maxDistance) return null;
  const close = (a: number, b: number): boolean => Math.abs(a - b) <= 0.01 * Math.max(a, b);
  const stack = mine
    .filter((d) => close(d.exposureSeconds, best.exposureSeconds) && close(d.gain, best.gain))
    .map((d) => ({ d, dist: darkDistance(meta, d) }))
    .filter((x) => x.dist <= maxDistance)
    .sort((a, b) => a.dist - b.dist || a.d.path.localeCompare(b.d.path))
    .slice(0, Math.max(1, maxStack))
    .map((x) => x.d.path)
    .sort();
  return { key: stack.join('\n'), paths: stack, distance };
}

/**
 * How many frames the output will have: a bracketed set is one frame whatever
 * its size (fused, or its metered image), every other capture one. What a job
 * card shows ("24 frames" for 24 sets of three, not 72).
 */
export function outputFrameCount(frames: readonly Pick<PlanFrame, 'agentId' | 'bracket'>[]): number {
  let singles = 0;
  const sets = new Set<string>();
  for (const f of frames) {
    if (f.bracket) sets.add(`${f.agentId ?? ''}\u0000${f.bracket.group}`);
    else singles++;
  }
  return singles + sets.size;
}

/** Group the frames into output frames and match the darks (no file is read). */
export function planProcessing(frames: readonly PlanFrame[], o: PlanOptions): ProcessingPlan {
  const darks = o.darks === 'auto' ? (o.darkFrames ?? []) : [];
  const stats = { sets: 0, incompleteSets: 0, lights: 0, darkSubtracted: 0, noDark: 0 };
  // Lights of cameras with no darks at all are simply not calibrated (no warning): darks are optional.
  const withDarks = new Set(darks.map((d) => d.agentId));
  const hasDarks = (f: PlanFrame): boolean =>
    withDarks.has(undefined) || (f.agentId === undefined ? darks.length > 0 : withDarks.has(f.agentId));
  const source = (frame: PlanFrame): PlannedSource => {
    if (o.darks !== 'auto' || !hasDarks(frame)) return { frame, dark: null };
    stats.lights++;
    const dark = matchDarks(frame, darks, o.maxDarkDistance, o.maxStack);
    if (dark) stats.darkSubtracted++;
    // Short (daylight) exposures have no dark current worth removing: only night frames count as missing a dark.
    else if ((frame.exposureSeconds ?? Infinity) >= NIGHT_EXPOSURE_SECONDS) stats.noDark++;
    return { frame, dark };
  };
  const units: PlannedUnit[] = [];
  const sets = new Map<string, PlanFrame[]>();
  for (const f of frames) {
    if (!f.bracket) {
      units.push({ capturedAt: f.capturedAt, temperatureC: f.temperatureC ?? null, sources: [source(f)] });
      continue;
    }
    const key = `${f.agentId ?? ''}\u0000${f.bracket.group}`;
    const members = sets.get(key);
    if (members) members.push(f);
    else sets.set(key, [f]);
  }
  let partialFused = 0;
  let partialSingle = 0;
  for (const members of sets.values()) {
    stats.sets++;
    members.sort((a, b) => a.bracket!.index - b.bracket!.index || Date.parse(a.capturedAt) - Date.parse(b.capturedAt));
    const expected = Math.max(...members.map((m) => m.bracket!.count));
    const indices = new Set(members.map((m) => m.bracket!.index));
    const complete = indices.size >= expected;
    if (!complete) stats.incompleteSets++;
    const first = members.reduce((a, b) => (Date.parse(b.capturedAt) < Date.parse(a.capturedAt) ? b : a));
    if (o.hdr === 'middle' || members.length === 1) {
      const pick = members.reduce((a, b) => (Math.abs(b.bracket!.ev) < Math.abs(a.bracket!.ev) ? b : a));
      if (!complete && o.hdr === 'fuse') partialSingle++;
      units.push({ capturedAt: pick.capturedAt, temperatureC: pick.temperatureC ?? null, sources: [source(pick)] });
      continue;
    }
    if (!complete) partialFused++;
    units.push({
      capturedAt: first.capturedAt,
      temperatureC: first.temperatureC ?? null,
      sources: members.map(source),
    });
  }
  units.sort((a, b) => Date.parse(a.capturedAt) - Date.parse(b.capturedAt));

  const warnings: string[] = [];
  if (stats.incompleteSets > 0) {
    warnings.push(
      o.hdr === 'fuse'
        ? `${plural(stats.incompleteSets, 'bracketed set')} of ${stats.sets} ${stats.incompleteSets === 1 ? 'was' : 'were'} incomplete in this selection: ${partialFused} fused from the images present, ${partialSingle} exported as their single image.`
        : `${plural(stats.incompleteSets, 'bracketed set')} of ${stats.sets} ${stats.incompleteSets === 1 ? 'was' : 'were'} incomplete in this selection: the image nearest the metered exposure that was present was used.`,
    );
  }
  if (o.darks === 'auto' && stats.noDark > 0) {
    warnings.push(
      `${plural(stats.noDark, 'light frame')} of ${stats.lights} had no dark close enough in exposure, gain and temperature and ${stats.noDark === 1 ? 'was' : 'were'} exported without dark subtraction.`,
    );
  }
  return { units, warnings, work: units.filter(needsPixels).length, stats };
}

/** Master darks of one job, by dark stack; the last few stay in memory (each is one decoded frame). */
class MasterDarkCache {
  private readonly cache = new Map<string, Promise<RawImage>>();
  constructor(private readonly keep = 3) {}

  get(stack: DarkStack): Promise<RawImage> {
    let p = this.cache.get(stack.key);
    if (p) {
      this.cache.delete(stack.key);
    } else {
      p = masterDark(stack.paths);
      p.catch(() => undefined);
    }
    this.cache.set(stack.key, p);
    while (this.cache.size > this.keep) this.cache.delete(this.cache.keys().next().value!);
    return p;
  }
}

export interface ProcessOptions {
  /** A private folder; processed frames are written to <workDir>/NNNNNN.<format>. */
  workDir: string;
  format: 'jpg' | 'png';
  signal?: AbortSignal | undefined;
  /** Units processed at once (1 or 2). */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

function cancelled(): StationError {
  return new StationError('export_cancelled', 'The export was cancelled.');
}

/** The file a unit will be read from: its processed copy, or its original when it needs no pixel work. */
export function unitPath(u: PlannedUnit, i: number, workDir: string, format: 'jpg' | 'png'): string {
  return needsPixels(u) ? join(workDir, `${String(i).padStart(6, '0')}.${format}`) : u.sources[0]!.frame.path;
}

/** What one worker reuses from unit to unit: the fused output buffer and the fusion's float planes. */
interface WorkerState {
  fusion: FusionScratch;
}

async function renderUnit(u: PlannedUnit, darks: MasterDarkCache, state: WorkerState): Promise<RawImage> {
  const load = async (s: PlannedSource): Promise<RawImage> => {
    const img = await decodeRaw(s.frame.path);
    if (s.dark) subtractInPlace(img, await darks.get(s.dark), `The dark for ${s.frame.path}`);
    return img;
  };
  if (u.sources.length === 1) return load(u.sources[0]!);
  // The set is decoded one image after the other (a few frames in memory), then fused.
  const images: RawImage[] = [];
  for (const s of u.sources) images.push(await load(s));
  return fuseImages(images, state.fusion);
}

/** Render every unit that needs pixel work into workDir (see unitPath). */
export async function processUnits(plan: ProcessingPlan, o: ProcessOptions): Promise<void> {
  const todo = plan.units.map((u, i) => ({ u, i })).filter(({ u }) => needsPixels(u));
  if (todo.length === 0) return;
  await mkdir(o.workDir, { recursive: true });
  // libvips' operation cache would keep decoded frames we never reuse.
  sharp.cache(false);
  const darks = new MasterDarkCache();
  let next = 0;
  let done = 0;
  let stopped = false;
  const worker = async (): Promise<void> => {
    const state: WorkerState = { fusion: {} };
    try {
      while (!stopped && next < todo.length) {
        if (o.signal?.aborted) throw cancelled();
        const { u, i } = todo[next++]!;
        const img = await renderUnit(u, darks, state);
        if (o.signal?.aborted) throw cancelled();
        const out = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
        await (
          o.format === 'png' ? out.png({ compressionLevel: 1 }) : out.jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
        ).toFile(unitPath(u, i, o.workDir, o.format));
        done++;
        o.onProgress?.(done, todo.length);
      }
    } catch (err) {
      stopped = true;
      throw err;
    }
  };
  const n = Math.max(1, Math.min(2, o.concurrency ?? 2, todo.length));
  const workers = Array.from({ length: n }, () => worker());
  // Wait for all workers even when one fails, so no write continues after we return.
  const results = await Promise.allSettled(workers);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
