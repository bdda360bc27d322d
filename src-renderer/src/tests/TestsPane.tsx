/**
 * Override (A/B) tests (issues #5, #17): a test is set up in a form (each
 * variant's exposure, ISO, shutter, white balance and metering, checked in
 * words), its progress shows while the cameras take the rounds, and the
 * results are compared side by side: the variants' images at full size with
 * one zoom and pan shared by all, and their statistics.
 */
import { useRef, useState, type PointerEvent as ReactPointerEvent, type WheelEvent as ReactWheelEvent } from 'react';
import { type ParamsOf, type TestResults, type TestView } from '@contract';
import { useAgents, useStation } from '../api/hooks';
import { errorText, formatTime } from '../format';
import { useOrchMutation, useSchedules, useTestResults, useTests } from '../schedules/api';
import {
  AWB_MODES,
  blankVariant,
  buildVariants,
  describeOverride,
  METERING_MODES,
  type VariantErrors,
  type VariantFields,
} from './test-form';
import './tests.css';

const num = (v: number | null, digits = 3): string => (v === null ? '—' : v.toFixed(digits));
const pct = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(2)} %`);

/** How far a test has got: captures taken or failed, of all it will take. */
export function testProgress(results: TestResults): { done: number; total: number } {
  const t = results.test;
  const total = t.rounds * t.variants.length * t.agentIds.length;
  const taken = results.variants.reduce((n, v) => n + v.captures, 0);
  const failed = t.failures.filter((f) => f.round > 0).length;
  return { done: Math.min(total, taken + failed), total };
}

export function ComparisonTable({ results }: { results: TestResults }) {
  return (
    <table className="orch-table" aria-label="Variant statistics" data-testid="test-comparison">
      <thead>
        <tr>
          <th>Variant</th>
          <th>Changes</th>
          <th>Captures</th>
          <th>Mean brightness</th>
          <th>Clipped highlights</th>
          <th>Clipped shadows</th>
          <th>Focus</th>
          <th>ISO / shutter used</th>
        </tr>
      </thead>
      <tbody>
        {results.variants.map((v) => (
          <tr key={v.variant} data-testid="variant-row" data-variant={v.variant}>
            <td>{v.variant}</td>
            <td className="small">{describeOverride(v.override)}</td>
            <td>{v.captures}</td>
            <td>{num(v.meanBrightness)}</td>
            <td>{pct(v.clippedHighlights)}</td>
            <td>{pct(v.clippedShadows)}</td>
            <td>{num(v.focusScore, 2)}</td>
            <td className="small">
              {v.isoValues.join(', ') || '—'} / {v.shutterSpeeds.join(', ') || '—'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Shared view of every image: 'fit', or a scale (1 = one image pixel per screen pixel) around a centre (0–1). */
interface View {
  scale: number | 'fit';
  cx: number;
  cy: number;
}
const ZOOMS = [1, 2, 4] as const;

/** The variants' images side by side at full size; zooming or panning one moves them all. */
export function SideBySide({ results }: { results: TestResults }) {
  const { api } = useStation();
  const shots = Math.max(0, ...results.variants.map((v) => v.items.length));
  const [shot, setShot] = useState(0);
  const [view, setView] = useState<View>({ scale: 'fit', cx: 0.5, cy: 0.5 });
  const [natural, setNatural] = useState<{ w: number; h: number } | null>(null);
  const drag = useRef<{ x: number; y: number; cx: number; cy: number } | null>(null);
  const index = Math.min(shot, Math.max(0, shots - 1));
  if (shots === 0) return <p className="muted">No images yet.</p>;

  const zoomAt = (scale: number | 'fit', cx = view.cx, cy = view.cy) =>
    setView({ scale, cx: Math.min(1, Math.max(0, cx)), cy: Math.min(1, Math.max(0, cy)) });
  /** The image point (0–1) under the pointer, for the current view of a viewport. */
  const pointAt = (el: HTMLElement, clientX: number, clientY: number): { x: number; y: number } => {
    const r = el.getBoundingClientRect();
    if (!natural) return { x: 0.5, y: 0.5 };
    const s = view.scale === 'fit' ? Math.min(r.width / natural.w, r.height / natural.h) : view.scale;
    const cx = view.scale === 'fit' ? 0.5 : view.cx;
    const cy = view.scale === 'fit' ? 0.5 : view.cy;
    return {
      x: cx + (clientX - r.left - r.width / 2) / (natural.w * s),
      y: cy + (clientY - r.top - r.height / 2) / (natural.h * s),
    };
  };
  const onWheel = (e: ReactWheelEvent<HTMLDivElement>) => {
    if (!natural) return;
    const r = e.currentTarget.getBoundingClientRect();
    const fit = Math.min(r.width / natural.w, r.height / natural.h);
    const current = view.scale === 'fit' ? fit : view.scale;
    const next = Math.min(8, Math.max(fit, current * (e.deltaY < 0 ? 1.25 : 0.8)));
    const p = pointAt(e.currentTarget, e.clientX, e.clientY);
    if (next <= fit + 1e-9) zoomAt('fit', 0.5, 0.5);
    else {
      // Keep the point under the pointer where it is.
      const dx = (e.clientX - r.left - r.width / 2) / (natural.w * next);
      const dy = (e.clientY - r.top - r.height / 2) / (natural.h * next);
      zoomAt(next, p.x - dx, p.y - dy);
    }
  };
  const onPointerDown = (e: ReactPointerEvent<HTMLDivElement>) => {
    if (view.scale === 'fit') return;
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { x: e.clientX, y: e.clientY, cx: view.cx, cy: view.cy };
  };
  const onPointerMove = (e: ReactPointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d || !natural || view.scale === 'fit') return;
    zoomAt(
      view.scale,
      d.cx - (e.clientX - d.x) / (natural.w * view.scale),
      d.cy - (e.clientY - d.y) / (natural.h * view.scale),
    );
  };
  const onDoubleClick = (e: React.MouseEvent<HTMLDivElement>) => {
    const p = pointAt(e.currentTarget, e.clientX, e.clientY);
    zoomAt(view.scale === 'fit' ? 1 : 'fit', p.x, p.y);
  };

  return (
    <div className="ab-compare" data-testid="ab-compare" data-zoom={view.scale === 'fit' ? 'fit' : String(view.scale)}>
      <div className="ab-toolbar">
        <label>
          Shot{' '}
          <select value={index} onChange={(e) => setShot(Number(e.target.value))} data-testid="ab-shot">
            {Array.from({ length: shots }, (_, i) => (
              <option key={i} value={i}>
                {i + 1} of {shots}
              </option>
            ))}
          </select>
        </label>
        <span className="ab-zoom" role="group" aria-label="Zoom">
          <button type="button" aria-pressed={view.scale === 'fit'} onClick={() => zoomAt('fit', 0.5, 0.5)}>
            Fit
          </button>
          {ZOOMS.map((z) => (
            <button
              key={z}
              type="button"
              data-testid={`ab-zoom-${z * 100}`}
              aria-pressed={view.scale === z}
              onClick={() => zoomAt(z)}
            >
              {z * 100} %
            </button>
          ))}
        </span>
        <span className="muted small">Scroll to zoom, drag to move, double-click for 100 %: every image follows.</span>
      </div>
      <div className="ab-grid" style={{ gridTemplateColumns: `repeat(${results.variants.length}, minmax(0, 1fr))` }}>
        {results.variants.map((v) => {
          const item = v.items[index];
          const style =
            view.scale === 'fit' || !natural
              ? { width: '100%', height: '100%', objectFit: 'contain' as const }
              : {
                  width: `${natural.w * view.scale}px`,
                  height: `${natural.h * view.scale}px`,
                  maxWidth: 'none',
                  position: 'absolute' as const,
                  left: `calc(50% - ${view.cx * natural.w * view.scale}px)`,
                  top: `calc(50% - ${view.cy * natural.h * view.scale}px)`,
                };
          return (
            <figure key={v.variant} className="ab-variant" data-testid="ab-variant" data-variant={v.variant}>
              <figcaption>
                <strong>{v.variant}</strong> <span className="muted small">{describeOverride(v.override)}</span>
              </figcaption>
              <div
                className={`ab-viewport${view.scale === 'fit' ? '' : ' zoomed'}`}
                onWheel={onWheel}
                onPointerDown={onPointerDown}
                onPointerMove={onPointerMove}
                onPointerUp={() => (drag.current = null)}
                onDoubleClick={onDoubleClick}
              >
                {item ? (
                  <img
                    src={api.mediaUrl(item.imagePath)}
                    alt={`Variant ${v.variant}, shot ${index + 1}`}
                    data-testid="ab-image"
                    draggable={false}
                    style={style}
                    onLoad={(e) =>
                      natural === null &&
                      setNatural({ w: e.currentTarget.naturalWidth, h: e.currentTarget.naturalHeight })
                    }
                  />
                ) : (
                  <p className="muted">No image for this shot.</p>
                )}
              </div>
              {item && (
                <p className="small muted">
                  ISO {item.iso}, {item.shutterSpeed} s, brightness {num(item.meanBrightness)} ·{' '}
                  {formatTime(item.capturedAt)}
                </p>
              )}
            </figure>
          );
        })}
      </div>
    </div>
  );
}

function VariantRow({
  v,
  errors,
  onChange,
  onRemove,
}: {
  v: VariantFields;
  errors: VariantErrors;
  onChange: (v: VariantFields) => void;
  onRemove: (() => void) | null;
}) {
  const field = (key: keyof VariantFields, label: string, placeholder: string, className?: string) => (
    <label className={`${className ?? ''}${errors[key] ? ' invalid' : ''}`}>
      {label}
      <input
        data-testid={`variant-${key}`}
        value={v[key]}
        placeholder={placeholder}
        onChange={(e) => onChange({ ...v, [key]: e.target.value })}
        aria-invalid={errors[key] ? true : undefined}
      />
      {errors[key] && (
        <span className="field-error" role="alert" data-testid={`variant-error-${key}`}>
          {errors[key]}
        </span>
      )}
    </label>
  );
  return (
    <div className="orch-form variant-fields" data-testid="variant-fields">
      {field('name', 'Variant', 'a', 'short-field')}
      {field('ev', 'Exposure (EV)', 'profile')}
      {field('iso', 'ISO', 'profile')}
      {field('shutter', 'Shutter (s)', 'profile')}
      <label>
        White balance
        <select data-testid="variant-awb" value={v.awb} onChange={(e) => onChange({ ...v, awb: e.target.value })}>
          <option value="">profile</option>
          {Object.entries(AWB_MODES).map(([k, name]) => (
            <option key={k} value={k}>
              {name}
            </option>
          ))}
        </select>
      </label>
      {field('colourK', 'Colour temp. (K)', 'profile')}
      <label>
        Metering
        <select
          data-testid="variant-metering"
          value={v.metering}
          onChange={(e) => onChange({ ...v, metering: e.target.value })}
        >
          <option value="">profile</option>
          {Object.entries(METERING_MODES).map(([k, name]) => (
            <option key={k} value={k}>
              {name}
            </option>
          ))}
        </select>
      </label>
      {onRemove && (
        <button type="button" onClick={onRemove}>
          Remove
        </button>
      )}
    </div>
  );
}

function RunForm({ onStarted }: { onStarted: (id: string) => void }) {
  const { api } = useStation();
  const agents = useAgents();
  const schedules = useSchedules();
  const [cameras, setCameras] = useState<string[]>([]);
  const [rounds, setRounds] = useState('1');
  const [schedule, setSchedule] = useState('');
  const [variants, setVariants] = useState<VariantFields[]>([blankVariant('a', '0'), blankVariant('b', '0.7')]);
  const [errors, setErrors] = useState<VariantErrors[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const run = useOrchMutation((p: ParamsOf<'runTest'>) => api.runTest(p));
  const submit = () => {
    const built = buildVariants(variants);
    const r = Number(rounds);
    let message: string | null = null;
    if (cameras.length === 0) message = 'Choose at least one camera (it needs a deployed profile).';
    else if (!Number.isInteger(r) || r < 1 || r > 100) message = 'Rounds is a whole number from 1 to 100.';
    if (!built.ok) {
      setErrors(built.errors);
      setProblem(built.general ?? message);
      return;
    }
    setErrors([]);
    setProblem(message);
    if (message) return;
    run.mutate(
      {
        agentIds: cameras,
        variants: built.variants,
        rounds: r,
        wait: false,
        ...(schedule ? { schedule } : {}),
      },
      { onSuccess: (t) => onStarted(t.id) },
    );
  };
  return (
    <form
      className="orch-form column"
      aria-label="New A/B test"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        submit();
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
      <p className="muted small">
        Each variant changes the deployed profile for one capture; an empty field keeps the profile&apos;s value. The
        cameras take the variants in turn, round after round.
      </p>
      {variants.map((v, i) => (
        <VariantRow
          key={i}
          v={v}
          errors={errors[i] ?? {}}
          onChange={(nv) => setVariants(variants.map((x, j) => (j === i ? nv : x)))}
          onRemove={variants.length > 2 ? () => setVariants(variants.filter((_, j) => j !== i)) : null}
        />
      ))}
      <div className="orch-form">
        <button
          type="button"
          data-testid="variant-add"
          onClick={() => setVariants([...variants, blankVariant(String.fromCharCode(97 + variants.length))])}
          disabled={variants.length >= 16}
        >
          Add variant
        </button>
        <label>
          Rounds
          <input
            className="short"
            data-testid="test-rounds"
            inputMode="numeric"
            value={rounds}
            onChange={(e) => setRounds(e.target.value)}
          />
        </label>
        <label>
          Label captures as schedule
          <select value={schedule} onChange={(e) => setSchedule(e.target.value)}>
            <option value="">(none)</option>
            {schedules.data?.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary" data-testid="test-run" disabled={run.isPending}>
          {run.isPending ? 'Starting…' : 'Run test'}
        </button>
      </div>
      {(problem ?? run.error) && (
        <p className="error" role="alert" data-testid="test-form-error">
          {problem ?? errorText(run.error)}
        </p>
      )}
    </form>
  );
}

function Progress({ results }: { results: TestResults }) {
  const { done, total } = testProgress(results);
  const t = results.test;
  return (
    <div className="ab-progress" data-testid="test-progress" data-status={t.status} data-done={done} data-total={total}>
      <progress max={total} value={done} />{' '}
      <span className="small">
        {t.status === 'running'
          ? `Running: ${done} of ${total} captures`
          : t.status === 'done'
            ? `Done: ${done} of ${total} captures${t.finishedAt ? `, ${formatTime(t.finishedAt)}` : ''}`
            : `Failed after ${done} of ${total} captures`}
      </span>
    </div>
  );
}

const testLabel = (t: TestView): string =>
  `${formatTime(t.createdAt)}: ${t.variants.map((v) => v.name).join(' / ')} (${t.status})`;

export function TestsPane() {
  const tests = useTests();
  const [selected, setSelected] = useState<string | null>(null);
  const id = selected ?? tests.data?.[0]?.id ?? null;
  const results = useTestResults(id);
  return (
    <div className="orch-pane" data-testid="tests-pane">
      <h2>New A/B test</h2>
      <RunForm onStarted={setSelected} />
      <h2>Results</h2>
      {tests.data?.length === 0 && <p className="empty">No tests yet.</p>}
      {tests.data && tests.data.length > 0 && (
        <select
          value={id ?? ''}
          onChange={(e) => setSelected(e.target.value)}
          aria-label="Test"
          data-testid="test-pick"
        >
          {tests.data.map((t) => (
            <option key={t.id} value={t.id}>
              {testLabel(t)}
            </option>
          ))}
        </select>
      )}
      {results.isError && <p className="error">{errorText(results.error)}</p>}
      {results.data && (
        <>
          <Progress results={results.data} />
          <SideBySide key={results.data.test.id} results={results.data} />
          <ComparisonTable results={results.data} />
          {results.data.test.failures.length > 0 && (
            <ul className="small">
              {results.data.test.failures.map((f, i) => (
                <li key={i} className="error">
                  {f.agentId.slice(0, 8)} {f.variant} round {f.round}: {f.message}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </div>
  );
}
