/** Progress of long capture actions whose length is not known in advance: honest elapsed times. */
import { useAgentCaptures, useExposureStarted, useNow } from '../api/hooks';
import { shutterSeconds, stillProgress } from './camera-logic';
import { formatDuration } from './fleet-logic';

/** "Exposing and copying… 12 s": an honest elapsed time for an action whose length is not known in advance. */
export function Elapsed({ since, what }: { since: number; what: string }) {
  const now = useNow(true, 1000);
  return (
    <span className="muted small" role="status" data-testid="elapsed">
      {what}… {formatDuration(now - since)}
    </span>
  );
}

/** Frames of the running set arrive as capture.added events once they are copied. */
export function BracketProgress({ agentId, since }: { agentId: string; since: number }) {
  const newest = useAgentCaptures(agentId, 12);
  const arrived = (newest.data?.items ?? []).filter(
    (c) => c.bracket != null && Date.parse(c.capturedAt) >= since - 5_000,
  ).length;
  return (
    <p className="small" role="status" data-testid="bracket-progress">
      <Elapsed since={since} what="Bracketed set running: long exposures take as long as they need" />
      {arrived > 0 && <span> · {arrived} frames copied so far</span>}
    </p>
  );
}

/**
 * A still capture under way: a countdown from the exposure the camera says it
 * started ("Exposing, 18 s left"), or, before that word arrives (an agent from
 * before the capture.started event), one estimated from its last exposure;
 * then "Copying to this computer", with the elapsed time throughout.
 */
export function StillProgress({ agentId, since }: { agentId: string; since: number }) {
  const now = useNow(true, 1000);
  const newest = useAgentCaptures(agentId, 1);
  const started = useExposureStarted(agentId, since);
  const last = shutterSeconds(newest.data?.items[0]?.shutterSpeed);
  const p = stillProgress(
    now - since,
    last,
    started ? { exposureSeconds: started.exposureSeconds, sinceMs: now - started.heardAtMs } : null,
  );
  const elapsed = formatDuration(now - since);
  return (
    <span className="muted small" role="status" data-testid="still-progress" data-phase={p.phase}>
      {p.phase === 'exposing' && p.exact
        ? `Exposing, ${p.leftS} s left · ${elapsed}`
        : p.phase === 'exposing'
          ? `Exposing, about ${p.leftS} s left (the last exposure was ${last} s) · ${elapsed}`
          : p.phase === 'copying'
            ? `Copying to this computer… ${elapsed}`
            : `Exposing and copying… ${elapsed}`}
    </span>
  );
}
