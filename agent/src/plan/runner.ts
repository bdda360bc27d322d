/**
 * The deployed plan runner: executes the bundle's capture windows with no
 * station present, across restarts.
 *
 * - Every slot is keyed by its planned instant in the journal (plan_slots):
 *   claimed a moment before its time, then started / captured / failed. A
 *   slot with a row is never taken again, so a restart or a re-deploy cannot
 *   duplicate a capture.
 * - The cursor (last planned instant handled) is persisted; after a restart
 *   every slot between the cursor and now whose time has passed is recorded
 *   as missed and the window continues at its next slot.
 * - Timing: sleep until ~15 ms before the instant (settings are prepared,
 *   metering included, and the slot claimed ~150 ms before), aim a short
 *   timer at 2.5 ms before it, then spin on the monotonic clock until the
 *   instant; the start error is measured and journalled.
 * - A slot whose time comes while a capture still runs is an "overrun".
 * - Exposure ramp (ramp.ts): the prepared settings change by at most the
 *   profile's max_step_ev from the previous planned frame, worked out in the
 *   prepare step so nothing is added between waking and the exposure.
 */
import { performance } from 'node:perf_hooks';
import type { AgentClock } from '../clock/agent-clock.js';
import type { CaptureService, PreparedCapture } from '../capture-service.js';
import type { PlanSlots, SlotKey } from '../db/plan-slots.js';
import type { PlanStatusResponse } from '../protocol/autonomy.js';
import { shutterToSeconds, type AgentEvent } from '../protocol/index.js';
import type { DeploymentStore } from '../profile/deployment-store.js';
import type { AgentError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { CameraOverhead, rampPrepared, resetGapMs, type PlannedFrame } from './ramp.js';
import { MAX_LATE_MS, missedSlots, nextSlot, runWindows, type RunWindow, type Slot } from './slots.js';
import { Backoff } from '../util/backoff.js';

export interface PlanRunnerDeps {
  clock: AgentClock;
  captures: CaptureService;
  deployments: DeploymentStore;
  slots: PlanSlots;
  log: Logger;
  emit: (event: AgentEvent) => void;
  /** The last planned frame captured at or after `sinceMs` (the journal), so the ramp survives a restart. */
  previousFrame?: (sinceMs: number) => PlannedFrame | null;
}

/** Wake this long before a slot and aim a short timer at the instant... */
export const SPIN_MS = 15;
/**
 * ...then busy-wait only the last few milliseconds. Spinning longer (or yielding with setImmediate,
 * which also burns the CPU) makes agents that share cores wait for each other.
 */
export const FINE_SPIN_MS = 2.5;
/** Meter and work out the settings this long before a slot. */
export const PREPARE_LEAD_MS = 150;
/** Waiting for a busy camera to prepare stops this long before the spin starts. */
const IDLE_WAIT_MARGIN_MS = 5;
/** Longest single sleep, so clock corrections and long plans are re-checked. */
const MAX_SLEEP_MS = 30_000;
const MISSED_BATCH = 5000;
/** After an error in a slot the loop tries again after this long, doubling up to RETRY_MAX_MS. */
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

class Superseded extends Error {}

export class PlanRunner {
  private windows: RunWindow[] = [];
  private generation = 0;
  private stopped = true;
  private abort = new AbortController();
  private state: PlanStatusResponse['state'] = 'stopped';
  private next: Slot | null = null;
  private readonly inflight = new Set<Promise<unknown>>();
  private unsubscribe: (() => void)[] = [];
  private loopDone: Promise<void> = Promise.resolve();
  /** The last planned frame issued to the camera (the ramp's previous frame); undefined until read from the journal. */
  private lastFrame: PlannedFrame | null | undefined = undefined;
  /** Readout-and-store time of recent planned captures, so ramped shutters leave room for it. */
  private readonly overhead = new CameraOverhead();
  /** Why the runner could not work lately (an error it is retrying past), or null; the reason missed slots get. */
  private trouble: string | null = null;
  /** Set by a clock correction: the slots it skips over are missed because of it, and say so. */
  private clockCorrected = false;

  constructor(private readonly deps: PlanRunnerDeps) {}

  /** Reconciles the journal after a crash and starts executing the deployed plan. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const r = this.deps.slots.reconcile();
    if (r.missed > 0 || r.interrupted > 0)
      this.deps.log.warn(
        { event: 'plan.reconciled', missed: r.missed, interrupted: r.interrupted },
        'plan slots left open by the last run were closed',
      );
    this.unsubscribe = [
      this.deps.deployments.onDeploy(() => this.replan('deploy')),
      this.deps.clock.onChange(() => this.replan('clock')),
    ];
    this.replan('start');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.state = 'stopped';
    this.generation++;
    this.abort.abort();
    for (const fn of this.unsubscribe) fn();
    this.unsubscribe = [];
    await this.loopDone;
    await Promise.allSettled([...this.inflight]);
  }

  status(): PlanStatusResponse {
    const bundle = this.deps.deployments.get();
    return {
      state: this.state,
      profile_id: bundle?.profile_id ?? null,
      version: bundle?.version ?? null,
      windows: this.windows.length,
      next_slot: this.next
        ? { planned_at: new Date(this.next.plannedMs).toISOString(), schedule: this.next.schedule }
        : null,
      counts: this.deps.slots.counts(),
      time: this.deps.clock.now().toISOString(),
    };
  }

  /** Replaces the plan atomically: the current loop is superseded; handled slots stay handled. */
  private replan(reason: 'start' | 'deploy' | 'clock'): void {
    if (this.stopped) return;
    this.generation++;
    this.abort.abort();
    this.abort = new AbortController();
    if (reason === 'clock') this.clockCorrected = true;
    this.windows = runWindows(this.deps.deployments.get());
    const now = this.deps.clock.preciseMs();
    const cursor = this.deps.slots.cursor();
    // Slots before a deploy were never this agent's to take: only a restart makes them "missed". A
    // recent cursor (the runner is active) is kept, so a re-deploy neither repeats nor drops a slot.
    if (cursor === null || (reason === 'deploy' && cursor < now - MAX_LATE_MS)) this.deps.slots.setCursor(now);
    this.deps.log.info({ event: 'plan.replan', reason, windows: this.windows.length }, 'plan runner (re)planned');
    const gen = this.generation;
    const signal = this.abort.signal;
    const previous = this.loopDone;
    this.loopDone = previous.then(() =>
      this.loop(gen, signal).catch((err: unknown) => {
        if (err instanceof Superseded) return;
        this.deps.log.error({ event: 'plan.loop_failed', err }, 'the plan runner stopped on an unexpected error');
        this.state = 'stopped';
      }),
    );
  }

  private live(gen: number): void {
    if (gen !== this.generation || this.stopped) throw new Superseded();
  }

  /**
   * Runs slots until the plan ends. An error in one slot (the journal cannot write on a full disk, a camera
   * call throws) never stops the runner: it is logged, remembered as the reason for the slots it costs, and
   * the loop tries again after a short backoff (1 s doubling to 30 s), so it resumes by itself once the
   * cause goes away.
   */
  private async loop(gen: number, signal: AbortSignal): Promise<void> {
    const backoff = new Backoff(RETRY_MIN_MS, RETRY_MAX_MS);
    for (;;) {
      try {
        if (await this.step(gen, signal)) return;
        if (this.trouble !== null) {
          this.deps.log.info({ event: 'plan.recovered', after: this.trouble }, 'the plan runner is working again');
          this.trouble = null;
        }
        backoff.reset();
      } catch (err) {
        if (err instanceof Superseded) throw err;
        const message = err instanceof Error ? err.message : String(err);
        const backoffMs = backoff.next();
        if (this.trouble === null)
          this.deps.log.error(
            { event: 'plan.slot_error', err, retry_in_ms: backoffMs },
            'the plan runner hit an error; it keeps running and tries again',
          );
        this.trouble = message;
        if (this.state !== 'capturing') this.state = 'waiting';
        await this.sleepUntil(this.deps.clock.preciseMs() + backoffMs, gen, signal);
      }
    }
  }

  /** One turn of the loop: record missed slots, wait for the next one and run it; true when the plan is done. */
  private async step(gen: number, signal: AbortSignal): Promise<boolean> {
    this.live(gen);
    if (this.windows.length === 0) {
      this.state = 'no_plan';
      this.next = null;
      return true;
    }
    await this.recordMissed(gen);
    this.clockCorrected = false;
    const cursor = this.deps.slots.cursor() ?? this.deps.clock.preciseMs();
    const slot = nextSlot(this.windows, cursor);
    this.next = slot;
    if (!slot) {
      this.state = this.inflight.size > 0 ? 'capturing' : 'finished';
      this.deps.log.info({ event: 'plan.finished' }, 'the deployed plan has no more slots');
      return true;
    }
    if (this.state !== 'capturing') this.state = 'waiting';
    await this.sleepUntil(slot.plannedMs - PREPARE_LEAD_MS, gen, signal);
    // Late by more than the window allows (event loop stalled, clock jumped): missed, handled above.
    if (this.deps.clock.preciseMs() > slot.plannedMs + slot.window.lateLimitMs) return false;
    const schedule = slot.schedule;
    // Claim early, so no database write (a WAL checkpoint can take milliseconds) comes near the instant.
    const key: SlotKey = { ...slot, profileVersion: this.deps.deployments.get()?.version ?? null };
    const claimed = this.deps.slots.insert(key, 'claimed');
    this.deps.slots.setCursor(slot.plannedMs);
    if (!claimed) return false;
    let prepared: PreparedCapture | undefined;
    // The previous capture may still be storing: prepare (and ramp) as soon as the camera is free, so the
    // slot does not fall back to metering at its instant with no ramp.
    await this.untilIdle(slot.plannedMs - SPIN_MS - IDLE_WAIT_MARGIN_MS);
    if (!this.deps.captures.busy()) {
      try {
        prepared = await this.deps.captures.prepare({ use_deployed_profile: true, schedule_type: schedule });
        prepared = this.ramp(slot, prepared);
      } catch (err) {
        this.deps.log.warn({ event: 'plan.prepare_failed', err }, 'could not prepare the planned capture ahead');
      }
    }
    // From the claim on, this slot is committed: a re-deploy takes effect after it.
    await this.sleepUntil(slot.plannedMs - SPIN_MS, null, null);
    // Stopping: leave the claim; the next start journals it as missed.
    if (this.stopped) return true;
    const perfTarget = performance.now() + (slot.plannedMs - this.deps.clock.preciseMs());
    const coarse = perfTarget - performance.now() - FINE_SPIN_MS;
    if (coarse >= 1) await new Promise<void>((r) => setTimeout(r, coarse));
    while (performance.now() < perfTarget) {
      /* spin the last ~2.5 ms */
    }
    if (this.deps.captures.busy()) {
      this.journal(() =>
        this.deps.slots.finish(slot.plannedMs, 'overrun', null, 'the previous capture was still running'),
      );
      this.deps.log.warn(
        { event: 'plan.overrun', planned_at: new Date(slot.plannedMs).toISOString(), schedule },
        'skipped a planned capture: the previous one was still running',
      );
      this.deps.emit({
        type: 'warning',
        code: 'plan_overrun',
        message: `Skipped the capture planned for ${new Date(slot.plannedMs).toISOString()}: the previous one was still running.`,
        time: this.deps.clock.now().toISOString(),
      });
      return false;
    }
    this.capture(slot, schedule, prepared, perfTarget);
    // Let the capture reach the camera before this loop does any more work.
    await Promise.resolve();
    if (prepared)
      this.lastFrame = {
        plannedMs: slot.plannedMs,
        iso: prepared.settings.iso,
        shutter: prepared.settings.shutter_speed,
      };
    return false;
  }

  /** A journal write whose failure must not end anything (it runs in callbacks): logged, never thrown. */
  private journal(write: () => void): void {
    try {
      write();
    } catch (err) {
      this.trouble = err instanceof Error ? err.message : String(err);
      this.deps.log.error({ event: 'plan.journal_failed', err }, 'could not journal a plan slot');
    }
  }

  private capture(slot: Slot, schedule: string, prepared: PreparedCapture | undefined, perfTarget: number): void {
    this.state = 'capturing';
    const planned = slot.plannedMs;
    let startedPerf: number | null = null;
    const run = this.deps.captures
      .capture(
        { use_deployed_profile: true, schedule_type: schedule },
        {
          ...(prepared ? { prepared } : {}),
          onExposureStart: () => {
            const errorMs = performance.now() - perfTarget;
            startedPerf = perfTarget + errorMs;
            const startedMs = this.deps.clock.preciseMs();
            // Journalled once the camera has started, so the write never delays the exposure.
            queueMicrotask(() => this.journal(() => this.deps.slots.started(planned, startedMs, errorMs)));
          },
        },
      )
      .then(
        (res) => {
          this.journal(() => this.deps.slots.finish(planned, 'captured', res.capture_id, null));
          const shutter = res.settings_used?.shutter_speed ?? prepared?.settings.shutter_speed;
          if (startedPerf !== null && shutter)
            this.overhead.note(performance.now() - startedPerf, shutterToSeconds(shutter) * 1000);
          // A capture that was not prepared (and so not ramped) still becomes the ramp's previous frame.
          if (!prepared && res.settings_used && (!this.lastFrame || this.lastFrame.plannedMs < planned))
            this.lastFrame = {
              plannedMs: planned,
              iso: res.settings_used.iso,
              shutter: res.settings_used.shutter_speed,
            };
          this.deps.log.info(
            { event: 'plan.captured', planned_at: new Date(planned).toISOString(), capture_id: res.capture_id },
            'planned capture stored',
          );
        },
        (err: unknown) => {
          const message = err instanceof Error ? err.message : String(err);
          this.journal(() => this.deps.slots.finish(planned, 'failed', null, message));
          this.deps.log.error(
            {
              event: 'plan.capture_failed',
              planned_at: new Date(planned).toISOString(),
              code: (err as AgentError).code,
            },
            'a planned capture failed',
          );
        },
      )
      .finally(() => {
        this.inflight.delete(run);
        if (this.inflight.size === 0 && this.state === 'capturing') this.state = this.next ? 'waiting' : 'finished';
      });
    this.inflight.add(run);
  }

  /** Waits (polling every 2 ms) until no capture runs, or the agent clock reaches `deadlineMs`. */
  private async untilIdle(deadlineMs: number): Promise<void> {
    while (this.deps.captures.busy() && !this.stopped && this.deps.clock.preciseMs() < deadlineMs)
      await new Promise<void>((r) => setTimeout(r, 2));
  }

  /** Limits the prepared exposure's change from the previous planned frame (ramp.ts); never throws. */
  private ramp(slot: Slot & { window: RunWindow }, prepared: PreparedCapture): PreparedCapture {
    const bundle = this.deps.deployments.get();
    if (!bundle) return prepared;
    try {
      const intervalMs = slot.window.intervalMs;
      if (this.lastFrame === undefined)
        this.lastFrame = this.deps.previousFrame?.(slot.plannedMs - resetGapMs(intervalMs)) ?? null;
      const r = rampPrepared(prepared, {
        bundle,
        plannedMs: slot.plannedMs,
        intervalMs,
        overheadMs: this.overhead.ms(),
        previous: this.lastFrame,
      });
      if (r.ramp?.limited === 'step')
        this.deps.log.debug(
          { event: 'plan.ramp', ev: r.ramp.ev, target_ev: r.ramp.targetEv, iso: r.ramp.iso, shutter: r.ramp.shutter },
          'exposure step limited by the ramp',
        );
      return r.prepared;
    } catch (err) {
      this.deps.log.warn({ event: 'plan.ramp_failed', err }, 'could not ramp the exposure; using the metered settings');
      return prepared;
    }
  }

  /** Records slots whose time passed unhandled (agent down, clock jump, stalled loop). */
  private async recordMissed(gen: number): Promise<void> {
    for (;;) {
      const cursor = this.deps.slots.cursor();
      if (cursor === null) return;
      const missed = missedSlots(this.windows, cursor, this.deps.clock.preciseMs(), MISSED_BATCH);
      if (missed.length === 0) return;
      const version = this.deps.deployments.get()?.version ?? null;
      const reason =
        this.trouble !== null
          ? `the agent was running but could not take this slot: ${this.trouble}`
          : this.clockCorrected
            ? "the agent's clock was corrected forward past it"
            : 'its time passed unhandled: the agent was not running or stalled, or its clock was corrected past it';
      const n = this.deps.slots.insertMissed(
        missed.map((s) => ({ ...s, profileVersion: version })),
        reason,
      );
      const last = missed[missed.length - 1]!;
      this.deps.slots.setCursor(last.plannedMs);
      const first = new Date(missed[0]!.plannedMs).toISOString();
      this.deps.log.warn(
        { event: 'plan.missed', count: n, from: first, to: new Date(last.plannedMs).toISOString() },
        'planned captures were missed',
      );
      this.deps.emit({
        type: 'warning',
        code: 'plan_missed',
        message:
          this.trouble !== null
            ? `${n} planned captures from ${first} were missed: ${this.trouble}`
            : `${n} planned captures from ${first} were missed (the agent was not running or stalled, or its clock was corrected past them).`,
        time: this.deps.clock.now().toISOString(),
      });
      if (missed.length < MISSED_BATCH) return;
      await new Promise<void>((r) => setImmediate(r));
      this.live(gen);
    }
  }

  /**
   * Sleeps (in chunks) until the agent clock reads `targetMs`. With a generation and signal, a re-plan
   * or stop ends it (Superseded); without, it always runs to the end (a claimed slot is committed).
   */
  private async sleepUntil(targetMs: number, gen: number | null, signal: AbortSignal | null): Promise<void> {
    for (;;) {
      if (gen !== null) this.live(gen);
      const remaining = targetMs - this.deps.clock.preciseMs();
      if (remaining <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(remaining, MAX_SLEEP_MS));
        function done(): void {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        }
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }
}
