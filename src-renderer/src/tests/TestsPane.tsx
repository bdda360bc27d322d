/** Override (A/B) tests: run variants interleaved on cameras and compare them side by side. */
import { useState } from 'react';
import type { ParamsOf } from '../../../src-main/api/contract';
import type { TestResults } from '../../../src-main/api/orchestration';
import { useAgents, useStation } from '../api/hooks';
import { errorText, formatTime } from '../format';
import { useOrchMutation, useTestResults, useTests } from '../schedules/api';

interface VariantDraft {
  name: string;
  override: string;
}

const num = (v: number | null, digits = 3): string => (v === null ? '—' : v.toFixed(digits));

export function ComparisonTable({ results }: { results: TestResults }) {
  const { api } = useStation();
  return (
    <table className="orch-table" aria-label="Variant comparison" data-testid="test-comparison">
      <thead>
        <tr>
          <th>Variant</th>
          <th>Override</th>
          <th>Captures</th>
          <th>Mean brightness</th>
          <th>Clipped highlights</th>
          <th>Clipped shadows</th>
          <th>Focus</th>
          <th>ISO / shutter</th>
          <th>Sample</th>
        </tr>
      </thead>
      <tbody>
        {results.variants.map((v) => (
          <tr key={v.variant} data-testid="variant-row" data-variant={v.variant}>
            <td>{v.variant}</td>
            <td className="small">{v.override ? JSON.stringify(v.override) : '—'}</td>
            <td>{v.captures}</td>
            <td>{num(v.meanBrightness)}</td>
            <td>{num(v.clippedHighlights, 4)}</td>
            <td>{num(v.clippedShadows, 4)}</td>
            <td>{num(v.focusScore, 2)}</td>
            <td className="small">
              {v.isoValues.join(', ') || '—'} / {v.shutterSpeeds.join(', ') || '—'}
            </td>
            <td>
              {v.items[0] && (
                <img className="orch-thumb" src={api.mediaUrl(v.items[0].thumbPath)} alt={`Variant ${v.variant}`} />
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RunForm({ onDone }: { onDone: (id: string) => void }) {
  const { api } = useStation();
  const agents = useAgents();
  const [cameras, setCameras] = useState<string[]>([]);
  const [rounds, setRounds] = useState('1');
  const [variants, setVariants] = useState<VariantDraft[]>([
    { name: 'a', override: '{"exposure_compensation": 0}' },
    { name: 'b', override: '{"exposure_compensation": 0.7}' },
  ]);
  const [parseError, setParseError] = useState<string | null>(null);
  const run = useOrchMutation((p: ParamsOf<'runTest'>) => api.runTest(p));
  return (
    <form
      className="orch-form column"
      aria-label="New override test"
      onSubmit={(e) => {
        e.preventDefault();
        try {
          setParseError(null);
          const parsed = variants.map((v) => ({ name: v.name, override: JSON.parse(v.override) as never }));
          run.mutate(
            { agentIds: cameras, variants: parsed, rounds: Number(rounds) || 1 },
            { onSuccess: (t) => onDone(t.id) },
          );
        } catch (err) {
          setParseError(`An override is not valid JSON: ${errorText(err)}`);
        }
      }}
    >
      <fieldset>
        <legend>Cameras (need a deployed profile)</legend>
        {agents.data?.map((a) => (
          <label key={a.id} className="check">
            <input
              type="checkbox"
              data-testid="test-camera"
              checked={cameras.includes(a.id)}
              onChange={(e) => setCameras(e.target.checked ? [...cameras, a.id] : cameras.filter((x) => x !== a.id))}
            />
            {a.name}
          </label>
        ))}
      </fieldset>
      {variants.map((v, i) => (
        <div key={i} className="orch-form">
          <label>
            Variant
            <input
              value={v.name}
              onChange={(e) => setVariants(variants.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))}
            />
          </label>
          <label className="grow">
            Override (JSON)
            <input
              value={v.override}
              onChange={(e) => setVariants(variants.map((x, j) => (j === i ? { ...x, override: e.target.value } : x)))}
            />
          </label>
          <button type="button" onClick={() => setVariants(variants.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <div>
        <button
          type="button"
          onClick={() => setVariants([...variants, { name: `v${variants.length + 1}`, override: '{}' }])}
        >
          Add variant
        </button>{' '}
        <label>
          Rounds <input className="short" value={rounds} onChange={(e) => setRounds(e.target.value)} />
        </label>{' '}
        <button
          type="submit"
          className="primary"
          data-testid="test-run"
          disabled={run.isPending || cameras.length === 0}
        >
          {run.isPending ? 'Running…' : 'Run test'}
        </button>
      </div>
      {(parseError ?? run.error) && <p className="error">{parseError ?? errorText(run.error)}</p>}
    </form>
  );
}

export function TestsPane() {
  const tests = useTests();
  const [selected, setSelected] = useState<string | null>(null);
  const id = selected ?? tests.data?.[0]?.id ?? null;
  const results = useTestResults(id);
  return (
    <div className="orch-pane" data-testid="tests-pane">
      <h2>New override test</h2>
      <RunForm onDone={setSelected} />
      <h2>Results</h2>
      <select value={id ?? ''} onChange={(e) => setSelected(e.target.value)} aria-label="Test">
        {tests.data?.map((t) => (
          <option key={t.id} value={t.id}>
            {t.id} ({t.status}, {formatTime(t.createdAt)})
          </option>
        ))}
      </select>
      {results.isError && <p className="error">{errorText(results.error)}</p>}
      {results.data && <ComparisonTable results={results.data} />}
      {results.data && results.data.test.failures.length > 0 && (
        <ul className="small">
          {results.data.test.failures.map((f, i) => (
            <li key={i} className="error">
              {f.agentId.slice(0, 8)} {f.variant} round {f.round}: {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
