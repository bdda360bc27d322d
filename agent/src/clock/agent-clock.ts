/**
 * The agent's own clock: the system clock (or the simulated one under
 * --sim-time) plus an offset the station sets with POST /clock. The offset is
 * persisted in <data-dir>/clock.json, so capture timestamps and plan timing
 * stay corrected across restarts without touching the system clock.
 *
 * `preciseMs()` is a sub-millisecond reading for the plan runner: the
 * monotonic performance clock anchored to the wall clock, re-anchored every
 * minute so it follows NTP slews.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { Clock } from '../sky/clock.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import type { Logger } from '../util/log.js';

const ClockFile = z.strictObject({
  offset_ms: z.number().finite(),
  set_at: z.string(),
  source: z.string().max(64),
});
type ClockFile = z.infer<typeof ClockFile>;

const REANCHOR_MS = 60_000;

export class AgentClock implements Clock {
  private offset = 0;
  private setAt: string | null = null;
  private anchorWall = 0;
  private anchorPerf = -Infinity;
  private readonly listeners = new Set<() => void>();

  /**
   * @param simulatedOffsetMs the --sim-time shift (simulated start minus real start), 0 for real time
   * @param file where the station-set offset is kept
   */
  constructor(
    private readonly simulatedOffsetMs: number,
    readonly file: string | null = null,
  ) {}

  static forDataDir(dataDir: string, simTime?: Date): AgentClock {
    return new AgentClock(simTime ? simTime.getTime() - Date.now() : 0, join(dataDir, 'clock.json'));
  }

  /** Reads the persisted offset; a bad file is ignored with an error log (time must never stop the agent). */
  async load(log: Logger): Promise<void> {
    if (!this.file) return;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const parsed = ClockFile.safeParse(JSON.parse(text));
    if (!parsed.success) {
      log.error({ event: 'clock.invalid', file: this.file }, 'clock.json is unreadable; running with no offset');
      return;
    }
    this.offset = parsed.data.offset_ms;
    this.setAt = parsed.data.set_at;
    if (this.offset !== 0) log.info({ event: 'clock.offset_loaded', offset_ms: this.offset }, 'clock offset loaded');
  }

  now(): Date {
    return new Date(Date.now() + this.simulatedOffsetMs + this.offset);
  }

  /** Milliseconds since the epoch on the agent clock, with sub-millisecond resolution. */
  preciseMs(): number {
    const perf = performance.now();
    if (perf - this.anchorPerf > REANCHOR_MS) {
      this.anchor();
      return this.anchorWall + (performance.now() - this.anchorPerf) + this.simulatedOffsetMs + this.offset;
    }
    return this.anchorWall + (perf - this.anchorPerf) + this.simulatedOffsetMs + this.offset;
  }

  /** The offset the station set (agent clock minus underlying clock), in ms. */
  offsetMs(): number {
    return this.offset;
  }

  offsetSetAt(): string | null {
    return this.setAt;
  }

  /** Sets the offset so that now() reads `time`; persists it; tells listeners (the plan runner re-plans). */
  async setTo(time: Date, source: string): Promise<void> {
    await this.setOffset(time.getTime() - (Date.now() + this.simulatedOffsetMs), source);
  }

  async setOffset(offsetMs: number, source: string): Promise<void> {
    const setAt = new Date().toISOString();
    if (this.file) {
      const body: ClockFile = { offset_ms: offsetMs, set_at: setAt, source };
      await writeFileAtomic(this.file, `${JSON.stringify(body)}\n`);
    }
    this.offset = offsetMs;
    this.setAt = setAt;
    for (const fn of this.listeners) fn();
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Pairs the wall clock with the performance clock right after the wall clock ticks (≤ 1 ms spin). */
  private anchor(): void {
    const start = Date.now();
    let wall = start;
    const limit = performance.now() + 2;
    while (wall === start && performance.now() < limit) wall = Date.now();
    this.anchorPerf = performance.now();
    this.anchorWall = wall;
  }
}
