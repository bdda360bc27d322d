/**
 * Slot arithmetic of a deployed plan. A window [start, end) with interval i
 * has slots at start + k·i for every k ≥ 0 with start + k·i < end. The
 * station's windows are disjoint, so a planned instant names one slot.
 */
import type { DeploymentBundle } from '../protocol/index.js';

export interface RunWindow {
  startMs: number;
  endMs: number;
  intervalMs: number;
  schedule: string;
  /** How late a slot may still start; later it counts as missed. */
  lateLimitMs: number;
}

export interface Slot {
  plannedMs: number;
  windowStartMs: number;
  slotIndex: number;
  schedule: string;
}

/** A slot later than this (or half its interval, if shorter) is missed rather than started late. */
export const MAX_LATE_MS = 1000;

export function runWindows(bundle: DeploymentBundle | null): RunWindow[] {
  const windows = bundle?.plan?.windows ?? [];
  return windows
    .map((w) => {
      const intervalMs = Math.max(1, Math.round(w.interval_seconds * 1000));
      return {
        startMs: Date.parse(w.start),
        endMs: Date.parse(w.end),
        intervalMs,
        schedule: w.schedule,
        lateLimitMs: Math.min(MAX_LATE_MS, intervalMs / 2),
      };
    })
    .filter((w) => Number.isFinite(w.startMs) && Number.isFinite(w.endMs) && w.endMs > w.startMs)
    .sort((a, b) => a.startMs - b.startMs);
}

/** Index of the first slot of `w` strictly after `afterMs`. */
function firstIndexAfter(w: RunWindow, afterMs: number): number {
  if (afterMs < w.startMs) return 0;
  return Math.floor((afterMs - w.startMs) / w.intervalMs) + 1;
}

function slotOf(w: RunWindow, k: number): Slot {
  return { plannedMs: w.startMs + k * w.intervalMs, windowStartMs: w.startMs, slotIndex: k, schedule: w.schedule };
}

/** The first slot planned strictly after `afterMs`, or null when the plan has no more. */
export function nextSlot(windows: readonly RunWindow[], afterMs: number): (Slot & { window: RunWindow }) | null {
  let best: (Slot & { window: RunWindow }) | null = null;
  for (const w of windows) {
    if (w.endMs <= afterMs) continue;
    if (best && w.startMs >= best.plannedMs) break;
    const k = firstIndexAfter(w, afterMs);
    const t = w.startMs + k * w.intervalMs;
    if (t < w.endMs && (!best || t < best.plannedMs)) best = { ...slotOf(w, k), window: w };
  }
  return best;
}

/**
 * Slots after `afterMs` whose late limit has passed at `nowMs`: they can no
 * longer start and are missed. At most `limit`, in planned order.
 */
export function missedSlots(windows: readonly RunWindow[], afterMs: number, nowMs: number, limit: number): Slot[] {
  const out: Slot[] = [];
  for (const w of windows) {
    if (w.endMs <= afterMs) continue;
    if (w.startMs >= nowMs) break;
    const cutoff = Math.min(w.endMs, nowMs - w.lateLimitMs);
    for (let k = firstIndexAfter(w, afterMs); w.startMs + k * w.intervalMs < cutoff; k++) {
      out.push(slotOf(w, k));
      if (out.length >= limit) return out;
    }
  }
  return out;
}
