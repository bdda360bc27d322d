/** Add a camera the network did not show (another subnet, mDNS blocked): its address and its pairing code. */
import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { AgentView } from '@contract';
import { queryKeys, useStation } from '../api/hooks';
import { errorText } from '../format';
import { useUiStore } from '../state/ui-store';
import { addressProblem, codeProblem } from './add-camera';

export function AddCameraForm() {
  const { api } = useStation();
  const client = useQueryClient();
  const connection = useUiStore((s) => s.connection);
  const [address, setAddress] = useState('');
  const [code, setCode] = useState('');
  const [touched, setTouched] = useState(false);
  const add = useMutation({
    mutationKey: ['pairAgentByAddress'],
    mutationFn: (p: { url: string; code: string }) => api.pairAgent(p),
    onSuccess: (paired) => {
      client.setQueryData<AgentView[]>(queryKeys.agents, (list) =>
        list ? [...list.filter((a) => a.id !== paired.id), paired] : [paired],
      );
      setAddress('');
      setCode('');
      setTouched(false);
    },
  });
  const problem = addressProblem(address) ?? codeProblem(code);
  const offline = connection !== 'open';

  return (
    <form
      className="add-camera orch-form"
      data-testid="add-camera"
      aria-label="Add a camera by address"
      onSubmit={(e) => {
        e.preventDefault();
        setTouched(true);
        if (problem !== null || add.isPending || offline) return;
        add.reset();
        add.mutate({ url: address.trim(), code });
      }}
    >
      <label>
        Camera address
        <input
          data-testid="add-camera-address"
          placeholder="skycam.local:8080"
          value={address}
          autoComplete="off"
          onChange={(e) => setAddress(e.target.value)}
        />
      </label>
      <label>
        Pairing code
        <input
          data-testid="add-camera-code"
          inputMode="numeric"
          placeholder="123456"
          maxLength={6}
          value={code}
          onChange={(e) => setCode(e.target.value.replace(/\D/g, '').slice(0, 6))}
        />
      </label>
      <button type="submit" className="primary" data-testid="add-camera-submit" disabled={add.isPending || offline}>
        {add.isPending ? 'Adding…' : 'Add camera'}
      </button>
      {offline && <p className="muted small">The station connection is lost; cameras can be added once it is back.</p>}
      {touched && problem !== null && (
        <p className="error small" data-testid="add-camera-problem">
          {problem}
        </p>
      )}
      {add.isError && (
        <p className="error" role="alert" data-testid="add-camera-error">
          Could not add the camera: {errorText(add.error)}
        </p>
      )}
      {add.isSuccess && (
        <p className="muted small" role="status" data-testid="add-camera-done">
          {add.data.name} is paired and appears in the list.
        </p>
      )}
    </form>
  );
}
