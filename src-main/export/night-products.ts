/**
 * Night products: a keogram and a startrails image of one camera's night, on
 * request, and automatically once that night's captures stop arriving (a
 * quiet timer per camera and night, re-armed by each night capture synced)
 * when the autoNightProducts setting is on.
 */
import { join } from 'node:path';
import type { StoredCapture } from '../db/captures-repo.js';
import { StationError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { ExportJobView } from './api-types.js';
import { isNightCapture, type FrameSelector } from './frame-selection.js';
import { planProcessing } from './processing.js';
import type { ExportRequest } from './request.js';

/** The evening's date (station local time) of a night capture: noon-to-noon nights. */
export function nightOf(capturedAt: string): string {
  const d = new Date(Date.parse(capturedAt) - 12 * 3_600_000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** [noon of the night's date, noon the next day) in station local time, as ISO instants. */
export function nightWindow(night: string): { from: string; to: string } {
  const [y, m, d] = night.split('-').map(Number) as [number, number, number];
  const from = new Date(y, m - 1, d, 12, 0, 0, 0);
  const to = new Date(y, m - 1, d + 1, 12, 0, 0, 0);
  return { from: from.toISOString(), to: new Date(to.getTime() - 1).toISOString() };
}

export function safeFileName(s: string): string {
  // No leading or trailing dots: never ".", "..", or a hidden name.
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '') || 'camera';
}

export interface NightProductsDeps {
  selector: FrameSelector;
  /** Queues an export job and answers its view. */
  enqueue: (req: ExportRequest) => ExportJobView;
  exportsDir: string;
  settings: () => { autoNightProducts: boolean; nightQuietMinutes: number };
  /** Minimum night frames before automatic night products are made (default 10). */
  minNightFrames?: number | undefined;
  log: Logger;
}

export class NightProducts {
  readonly name = 'night-products';
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly deps: NightProductsDeps) {}

  /** No more automatic products; the quiet timers are dropped. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Queue a keogram and a startrails image of one camera's night. */
  make(agentRef: string, night: string, overwrite = false): ExportJobView[] {
    const [agent] = this.deps.selector.resolveAgents([agentRef]);
    const { from, to } = nightWindow(night);
    const nightFrames = this.deps.selector.select({ agentIds: [agent!.id], from, to }).filter((f) => f.night);
    // One image per bracketed set: the one at the metered exposure.
    const frames = planProcessing(nightFrames, { hdr: 'middle', darks: 'off' }).units.map((u) => u.sources[0]!.frame);
    if (frames.length === 0) {
      throw new StationError(
        'no_frames',
        `${agent!.name} has no night images for the night of ${night}; night images come from night/astro schedules or very dark captures.`,
      );
    }
    const dir = join(this.deps.exportsDir, 'night', safeFileName(agent!.name));
    return (['keogram', 'startrails'] as const).map((product) =>
      this.deps.enqueue({
        frames: frames.map((f) => ({ path: f.path, capturedAt: f.capturedAt, temperatureC: f.temperatureC ?? null })),
        preset: 'image-sequence',
        product,
        label: `${agent!.name}, night of ${night}, ${product}`,
        outputDir: dir,
        name: `${night}-${product}`,
        overwrite,
      }),
    );
  }

  /**
   * A capture was imported (sync). A night capture (re)arms a quiet timer for
   * its camera's night; when no new night capture of that night arrives for
   * nightQuietMinutes, the keogram and startrails are made (again).
   */
  noteImported(c: StoredCapture): void {
    const settings = this.deps.settings();
    if (this.stopped || !settings.autoNightProducts || !isNightCapture(c)) return;
    const night = nightOf(c.capturedAt);
    const key = `${c.agentId}|${night}`;
    const old = this.timers.get(key);
    if (old) clearTimeout(old);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.auto(c.agentId, night);
    }, settings.nightQuietMinutes * 60_000);
    timer.unref();
    this.timers.set(key, timer);
  }

  /** Nights waiting for their quiet period (for tests and the UI). */
  pending(): string[] {
    return [...this.timers.keys()];
  }

  /** Run the quiet timers now (tests; and a manual "make now"). */
  flush(): void {
    for (const [key, t] of [...this.timers]) {
      clearTimeout(t);
      this.timers.delete(key);
      const [agentId, night] = key.split('|') as [string, string];
      this.auto(agentId, night);
    }
  }

  private auto(agentId: string, night: string): void {
    if (this.stopped) return;
    try {
      const { from, to } = nightWindow(night);
      const n = this.deps.selector.select({ agentIds: [agentId], from, to }).filter((f) => f.night).length;
      if (n < (this.deps.minNightFrames ?? 10)) {
        this.deps.log.info({ agentId, night, frames: n }, 'night products: too few night frames; skipped');
        return;
      }
      const jobs = this.make(agentId, night, true);
      this.deps.log.info({ agentId, night, jobs: jobs.map((j) => j.id) }, 'night products queued after sync');
    } catch (err) {
      this.deps.log.warn({ agentId, night, err: errorMessage(err) }, 'night products could not be queued');
    }
  }
}
