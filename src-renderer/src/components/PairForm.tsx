import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { AgentView } from '@contract';
import { queryKeys, useStation } from '../api/hooks';
import { errorText } from '../format';

/** Pairing needs the 6-digit code the camera shows ("skystation-agent pair" on the camera, or its log). */
export function PairForm({ agent }: { agent: AgentView }) {
  const { api } = useStation();
  const client = useQueryClient();
  const [code, setCode] = useState('');
  const pair = useMutation({
    mutationKey: ['pairAgent', agent.id],
    mutationFn: (c: string) => api.pairAgent({ agentId: agent.id, code: c }),
    onSuccess: (paired) => {
      client.setQueryData<AgentView[]>(queryKeys.agents, (list) =>
        list ? list.map((a) => (a.id === paired.id ? paired : a)) : [paired],
      );
      setCode('');
    },
  });
  const valid = /^\d{6}$/.test(code);
  const inputId = `pair-code-${agent.id}`;

  return (
    <form
      className="pair-form"
      data-testid="pair-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!valid || pair.isPending) return;
        pair.reset();
        pair.mutate(code);
      }}
    >
      <label htmlFor={inputId}>Pairing code</label>
      <input
        id={inputId}
        data-testid="pair-code"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="\d{6}"
        maxLength={6}
        placeholder="123456"
        aria-describedby={`${inputId}-hint`}
        value={code}
        onChange={(e) => setCode(e.target.value.replace(/\D/g, '').slice(0, 6))}
      />
      <button
        type="submit"
        className="primary"
        data-testid="pair-button"
        aria-label={`Pair with ${agent.name}`}
        disabled={!valid || pair.isPending}
        aria-busy={pair.isPending}
      >
        {pair.isPending ? 'Pairing…' : 'Pair'}
      </button>
      <p id={`${inputId}-hint`} className="muted small">
        The camera shows its 6-digit code in its log, or run <code>skystation-agent pair</code> on it.
      </p>
      {pair.isError && (
        <p className="error" role="alert" data-testid="pair-error">
          Pairing failed: {errorText(pair.error)}
        </p>
      )}
    </form>
  );
}
