/**
 * The plan compiler: a camera's assigned schedules become the concrete
 * capture windows the agent runs offline (agent protocol `PlanWindow`).
 *
 * Overlaps between schedules are resolved by splitting time at every window
 * boundary; in each piece the schedule with the shortest interval wins (ties:
 * the one listed first in the camera's `schedules`, then by name). Adjacent
 * pieces of the same schedule and interval are joined again. The result never
 * loses a capture (the densest cadence requested is always kept) and never
 * double-captures (windows are disjoint). The price: an overlapped stretch is
 * filed under the winning schedule's name only.
 */
import { DeploymentBundle, PlanWindow, type ProfileSnapshot } from '../agents/protocol.js';
import { StationError } from '../util/errors.js';
import { Location } from './location.js';
import { isEnabled, type Schedule } from './schedules.js';
import { addDays, formatInstant, localDateOf, localMidnight } from './time.js';
import { scheduleWindows } from './windows.js';

export const DEFAULT_PLAN_DAYS = 30;
export const MAX_PLAN_WINDOWS = 10_000;

export interface CapturePlan {
  readonly generated_at: string;
  /** End of the last planned local day; windows are clipped to it. */
  readonly horizon: string;
  readonly windows: PlanWindow[];
}

export interface PlanRequest {
  readonly location: Location;
  /** All schedules by name (config.json "schedules"). */
  readonly schedules: Readonly<Record<string, Schedule>>;
  /** The camera's schedule names, in priority order for ties. */
  readonly assigned: readonly string[];
  /** Plan start; windows already open at this instant are kept from here. */
  readonly from: Date;
  /** Local calendar days to cover, today included (default 30). */
  readonly days?: number;
  /** Stamp for `generated_at` (default: `from`). */
  readonly now?: Date;
}

interface Piece {
  start: number;
  end: number;
  interval: number;
  schedule: string;
  rank: number;
}

/** Windows of several schedules, made disjoint: in each overlap the shortest interval wins. */
export function resolveOverlaps(pieces: readonly Piece[]): Piece[] {
  const cuts = [...new Set(pieces.flatMap((p) => [p.start, p.end]))].sort((a, b) => a - b);
  const out: Piece[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const a = cuts[i]!;
    const b = cuts[i + 1]!;
    let best: Piece | undefined;
    for (const p of pieces) {
      if (p.start > a || p.end < b) continue;
      if (
        !best ||
        p.interval < best.interval ||
        (p.interval === best.interval && (p.rank < best.rank || (p.rank === best.rank && p.schedule < best.schedule)))
      )
        best = p;
    }
    if (!best) continue;
    const last = out[out.length - 1];
    if (last && last.end === a && last.schedule === best.schedule && last.interval === best.interval) last.end = b;
    else out.push({ ...best, start: a, end: b });
  }
  return out;
}

/** Compile a camera's schedules into a sorted, disjoint capture plan for the next N local days. */
export function compilePlan(req: PlanRequest): CapturePlan {
  const location = Location.parse(req.location);
  const days = req.days ?? DEFAULT_PLAN_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > 366) {
    throw new StationError('PLAN_DAYS_INVALID', `A plan covers 1 to 366 days; ${days} was asked for.`);
  }
  const from = req.from.getTime();
  if (!Number.isFinite(from)) throw new StationError('PLAN_START_INVALID', 'The plan start is not a valid date.');
  const horizon = localMidnight(addDays(localDateOf(from, location.timezone), days), location.timezone);

  const pieces: Piece[] = [];
  req.assigned.forEach((name, rank) => {
    const schedule = req.schedules[name];
    if (!schedule) {
      throw new StationError(
        'SCHEDULE_UNKNOWN',
        `The camera uses schedule "${name}", which is not defined; add it under "schedules" or remove it from the camera.`,
      );
    }
    if (!isEnabled(schedule)) return;
    for (const w of scheduleWindows(schedule, location, from, horizon)) {
      pieces.push({ start: w.start, end: w.end, interval: schedule.interval_seconds, schedule: name, rank });
    }
  });
  const resolved = resolveOverlaps(pieces);
  if (resolved.length > MAX_PLAN_WINDOWS) {
    throw new StationError(
      'PLAN_TOO_LARGE',
      `The plan has ${resolved.length} windows; an agent accepts at most ${MAX_PLAN_WINDOWS}. Plan fewer days.`,
    );
  }
  const tz = location.timezone;
  return {
    generated_at: formatInstant((req.now ?? req.from).getTime(), tz),
    horizon: formatInstant(horizon, tz),
    windows: resolved.map((p) =>
      PlanWindow.parse({
        start: formatInstant(p.start, tz),
        end: formatInstant(p.end, tz),
        interval_seconds: p.interval,
        schedule: p.schedule,
      }),
    ),
  };
}

/** The deployment bundle for POST /profile/deploy: a compiled profile snapshot plus the plan, validated. */
export function buildDeploymentBundle(snapshot: ProfileSnapshot, plan: CapturePlan): DeploymentBundle {
  const result = DeploymentBundle.safeParse({
    ...snapshot,
    plan: { generated_at: plan.generated_at, horizon: plan.horizon, windows: plan.windows },
  });
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new StationError(
      'BUNDLE_INVALID',
      `The deployment bundle is not valid at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'unknown problem'}.`,
    );
  }
  return result.data;
}
