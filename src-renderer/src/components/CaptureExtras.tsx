import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { AgentView, CaptureView } from '@contract';
import { prependCapture, useStation } from '../api/hooks';
import { errorText } from '../format';

/** "-2, 0, +2" → [-2, 0, 2]; a sentence when it is not 2–9 different offsets within ±6 stops. */
export function parseEvs(text: string): number[] | string {
  const parts = text.split(/[\s,]+/).filter((p) => p !== '');
  const evs = parts.map(Number);
  if (evs.length < 2 || evs.length > 9 || evs.some((ev) => !Number.isFinite(ev))) {
    return 'Give 2 to 9 offsets in stops, like -2, 0, 2.';
  }
  if (evs.some((ev) => Math.abs(ev) > 6)) return 'Each offset is between -6 and 6 stops.';
  if (new Set(evs).size !== evs.length) return 'The offsets must all be different.';
  return evs;
}

/**
 * The camera card's extra capture actions (issue #6): a bracketed set for HDR
 * from the metered exposure, and a dark frame, which asks the operator to cap
 * the lens and confirm first.
 */
export function CaptureExtras({
  agent,
  disabled,
  canBracket = agent.capabilities?.includes('bracketing') ?? true,
}: {
  agent: AgentView;
  disabled: boolean;
  /** False when the camera cannot bracket (by default: it does not list 'bracketing'): the bracket controls are hidden. */
  canBracket?: boolean;
}) {
  const { api } = useStation();
  const client = useQueryClient();
  const [evsText, setEvsText] = useState('-2, 0, 2');
  const [confirmDark, setConfirmDark] = useState(false);
  const evs = parseEvs(evsText);

  const bracket = useMutation({
    mutationKey: ['captureBracket', agent.id],
    mutationFn: (values: number[]) => api.captureBracket({ agentId: agent.id, evs: values }),
    onSuccess: (set: CaptureView[]) => {
      for (const c of set) prependCapture(client, c);
    },
  });
  const dark = useMutation({
    mutationKey: ['captureDark', agent.id],
    mutationFn: () => api.captureNow({ agentId: agent.id, frameKind: 'dark' }),
    onSuccess: (c: CaptureView) => prependCapture(client, c),
  });
  const busy = disabled || bracket.isPending || dark.isPending;

  return (
    <div className="capture-extras" data-testid="capture-extras">
      <div className="agent-actions">
        {canBracket && (
          <>
            <label>
              Bracket (stops){' '}
              <input
                type="text"
                size={10}
                value={evsText}
                data-testid="bracket-evs"
                aria-invalid={typeof evs === 'string'}
                aria-label={`Bracket offsets in stops for ${agent.name}`}
                onChange={(e) => setEvsText(e.target.value)}
              />
            </label>
            <button
              type="button"
              data-testid="capture-bracket"
              disabled={busy || typeof evs === 'string'}
              aria-busy={bracket.isPending}
              title="A bracketed set from the metered exposure, merged into one frame in exports."
              onClick={() => {
                if (typeof evs === 'string') return;
                bracket.reset();
                bracket.mutate(evs);
              }}
            >
              {bracket.isPending ? 'Bracketing…' : 'Capture bracketed set'}
            </button>
          </>
        )}
        {!confirmDark && (
          <button
            type="button"
            data-testid="capture-dark"
            disabled={busy}
            aria-busy={dark.isPending}
            onClick={() => {
              dark.reset();
              setConfirmDark(true);
            }}
          >
            {dark.isPending ? 'Capturing dark…' : 'Capture dark frame (lens capped)'}
          </button>
        )}
      </div>
      {canBracket && typeof evs === 'string' && (
        <p className="error small" data-testid="bracket-evs-error">
          {evs}
        </p>
      )}
      {confirmDark && (
        <div className="confirm" role="alertdialog" aria-label="Confirm dark frame" data-testid="confirm-dark">
          <p>Cap the lens of {agent.name} now: the dark frame must see no light at all.</p>
          <button
            type="button"
            className="primary"
            data-testid="confirm-dark-yes"
            onClick={() => {
              setConfirmDark(false);
              dark.mutate();
            }}
          >
            The lens is capped: capture
          </button>{' '}
          <button type="button" data-testid="confirm-dark-no" onClick={() => setConfirmDark(false)}>
            Cancel
          </button>
        </div>
      )}
      {bracket.isSuccess && (
        <p className="muted small" data-testid="bracket-done">
          Bracketed set of {bracket.data.length} captured.
        </p>
      )}
      {dark.isSuccess && (
        <p className="muted small" data-testid="dark-done">
          Dark frame captured; uncap the lens.
        </p>
      )}
      {bracket.isError && (
        <p className="error" role="alert" data-testid="bracket-error">
          Bracketed set failed: {errorText(bracket.error)}
        </p>
      )}
      {dark.isError && (
        <p className="error" role="alert" data-testid="dark-error">
          Dark frame failed: {errorText(dark.error)}
        </p>
      )}
    </div>
  );
}
