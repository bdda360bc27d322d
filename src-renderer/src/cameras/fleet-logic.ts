/**
 * What the fleet and camera views say about a camera, as pure functions: its
 * state as far as this window can honestly know it, whether a capture can be
 * started and why not, and its plan in an operator's words.
 */
import type { AgentView } from '@contract';
import type { ConnectionState } from '../api/ws-transport';

export type Tone = 'ok' | 'warn' | 'bad' | 'unknown';

export interface CameraStatus {
  /** Short badge text. */
  label: string;
  tone: Tone;
  /** Whether "Capture now" (and the other capture actions) may be pressed. */
  canCapture: boolean;
  /** Why not, in words the operator can act on; null when it can. */
  whyNot: string | null;
}

const STATE_TEXT: Record<AgentView['state'], { label: string; tone: Tone; whyNot: string | null }> = {
  online: { label: 'online', tone: 'ok', whyNot: null },
  offline: {
    label: 'offline',
    tone: 'bad',
    whyNot: 'The camera is not answering. Check its power and network; it keeps capturing on its own if it is running.',
  },
  paired: { label: 'paired', tone: 'warn', whyNot: 'The camera is paired and connecting; wait a moment.' },
  unpaired: { label: 'not paired', tone: 'warn', whyNot: 'Pair the camera first with the 6-digit code it shows.' },
  discovered: {
    label: 'found on the network',
    tone: 'warn',
    whyNot: 'Pair the camera first with the 6-digit code it shows.',
  },
};

/**
 * The camera's state as the station last reported it, unless this window has
 * lost the station: then nothing about the camera is known and nothing can be
 * started, whatever the last report said.
 */
export function cameraStatus(
  agent: Pick<AgentView, 'state' | 'cameraReady'>,
  connection: ConnectionState,
): CameraStatus {
  if (connection !== 'open') {
    return {
      label: 'unknown',
      tone: 'unknown',
      canCapture: false,
      whyNot:
        connection === 'connecting'
          ? 'Connecting to the station; captures can start once it answers.'
          : 'The station connection is lost, so this camera’s state is unknown and nothing can be started. It reconnects by itself; check that Skystation is still running.',
    };
  }
  const s = STATE_TEXT[agent.state];
  if (agent.state === 'online' && !agent.cameraReady) {
    return {
      label: 'online, camera not ready',
      tone: 'warn',
      canCapture: true,
      whyNot: null,
    };
  }
  return { label: s.label, tone: s.tone, canCapture: agent.state === 'online', whyNot: s.whyNot };
}

/** "42 s", "3 min 05 s", "1 h 02 min": for elapsed times and countdowns. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  if (total < 60) return `${total} s`;
  const m = Math.floor(total / 60);
  const s = total % 60;
  if (m < 60) return `${m} min ${String(s).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m % 60).padStart(2, '0')} min`;
}

/**
 * "Now" on the camera's clock: times a camera reports (a session's next
 * capture) are on its clock, which may be off (clockOffsetMs: agent minus
 * station), so compare them with this rather than with this computer's clock.
 */
export function agentNow(now: number, clockOffsetMs: number | null | undefined): number {
  return typeof clockOffsetMs === 'number' && Number.isFinite(clockOffsetMs) ? now + clockOffsetMs : now;
}

/** "in 5 min 10 s", "2 h ago", "now". */
export function relativeTime(iso: string | null | undefined, now: number): string {
  if (iso === null || iso === undefined) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const d = t - now;
  if (Math.abs(d) < 1000) return 'now';
  return d > 0 ? `in ${formatDuration(d)}` : `${formatDuration(-d)} ago`;
}

export interface PlanSummary {
  /** "ridge_winter 1.2.0", or null when nothing is deployed. */
  profile: string | null;
  /** "until 6 Jan (30 days)", "ran out 2 h ago", or an explanation. */
  horizon: string;
  tone: Tone;
}

/** The deployed profile and how far ahead the camera has a plan. */
export function planSummary(agent: Pick<AgentView, 'deployment' | 'deployedProfile'>, now: number): PlanSummary {
  const dep = agent.deployment ?? null;
  const onAgent = agent.deployedProfile ?? null;
  const profile = onAgent
    ? `${onAgent.profileId} ${onAgent.version}`
    : dep && dep.status === 'deployed'
      ? `${dep.profileId} ${dep.version}`
      : null;
  if (dep === null) {
    return {
      profile,
      horizon: profile === null ? 'No plan: deploy a profile from the Profiles tab.' : 'No plan from this station.',
      tone: profile === null ? 'unknown' : 'warn',
    };
  }
  if (dep.status === 'failed') {
    return {
      profile,
      horizon: `The last deployment failed${dep.error ? `: ${dep.error}` : ''}. Deploy again from the Profiles tab.`,
      tone: 'bad',
    };
  }
  if (dep.horizon === null) return { profile, horizon: 'Deployed; plan length unknown.', tone: 'warn' };
  const end = Date.parse(dep.horizon);
  if (end <= now)
    return {
      profile,
      horizon: `The plan ran out ${relativeTime(dep.horizon, now).replace(/ ago$/, '')} ago.`,
      tone: 'bad',
    };
  const days = (end - now) / 86_400_000;
  const when = new Date(end).toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
  return {
    profile,
    horizon:
      days >= 1 ? `Planned until ${when} (${Math.floor(days)} days)` : `Plan ends ${relativeTime(dep.horizon, now)}`,
    tone: days < 2 ? 'warn' : 'ok',
  };
}

/** A temperature for a card, or null when the camera reports none. */
export function formatTemperature(c: number | null | undefined): string | null {
  return typeof c === 'number' && Number.isFinite(c) ? `${c.toFixed(1)} °C` : null;
}

export interface WindowLike {
  start: string;
  end: string;
  interval_seconds: number;
  schedule: string;
}

/** The plan window running now or next, in words: "now, every 30 s until 06:10 (night)", "in 3 h 05 min (sunset)". */
export function nextCaptureText(windows: readonly WindowLike[], now: number): string | null {
  let best: WindowLike | null = null;
  for (const w of windows) {
    const end = Date.parse(w.end);
    if (Number.isNaN(end) || end <= now) continue;
    if (best === null || Date.parse(w.start) < Date.parse(best.start)) best = w;
  }
  if (best === null) return null;
  const start = Date.parse(best.start);
  if (start <= now) {
    const until = new Date(Date.parse(best.end)).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
    return `now, every ${best.interval_seconds} s until ${until} (${best.schedule})`;
  }
  return `${relativeTime(best.start, now)} (${best.schedule})`;
}
