/**
 * Every field of a profile as a form: each shows the value the cameras get,
 * the value inherited from the parent (or the station's defaults) beside it,
 * whether this profile overrides it, and a button that clears the override.
 * The brain's check explains a wrong value under its field.
 */
import { formatFieldValue, type ProfileFieldError, type ProfileFieldSpec } from '@contract';
import { getPath, hasPath, numberInput, type Settings } from './settings-draft';

/** A number as an input shows it: at most 3 decimals. */
const numberText = (v: unknown): string =>
  typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : typeof v === 'string' ? v : '';

export const testId = (path: string): string => path.replace(/\./g, '-');

/** The error for a field: its own, or one inside it (a curve's point). */
export const errorFor = (errors: readonly ProfileFieldError[], path: string): ProfileFieldError | undefined =>
  errors.find((e) => e.field === path || e.field.startsWith(`${path}.`));

export function FieldRow({
  spec,
  own,
  inherited,
  error,
  version,
  onSet,
  onClear,
}: {
  spec: ProfileFieldSpec;
  own: Settings;
  inherited: Settings;
  error: ProfileFieldError | undefined;
  /** Inputs start afresh when the version changes. */
  version: string;
  onSet: (path: string, value: unknown) => void;
  onClear: (path: string) => void;
}) {
  const { path } = spec;
  const overrides = hasPath(own, path);
  const inheritedValue = getPath(inherited, path);
  const value = overrides ? getPath(own, path) : inheritedValue;
  const id = `field-${testId(path)}`;
  const inheritedText =
    spec.kind === 'toggle' && inheritedValue === undefined ? 'Off' : formatFieldValue(path, inheritedValue);
  let input;
  if (spec.kind === 'number' || spec.kind === 'shutter') {
    input = (
      <input
        id={id}
        key={`${version}-${String(overrides)}`}
        data-testid={id}
        type="text"
        inputMode={spec.kind === 'number' ? 'decimal' : 'text'}
        defaultValue={numberText(value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-inherited`}
        onChange={(e) => {
          const text = e.target.value;
          if (text.trim() === '') onClear(path);
          else onSet(path, spec.kind === 'number' ? numberInput(text) : text.trim());
        }}
      />
    );
  } else if (spec.kind === 'toggle') {
    input = (
      <select
        id={id}
        data-testid={id}
        value={value === true ? 'on' : 'off'}
        onChange={(e) => onSet(path, e.target.value === 'on')}
      >
        <option value="on">On</option>
        <option value="off">Off</option>
      </select>
    );
  } else {
    const isCustom = Array.isArray(value);
    input = (
      <select
        id={id}
        data-testid={id}
        value={isCustom ? 'custom' : JSON.stringify(value ?? null)}
        onChange={(e) => {
          if (e.target.value !== 'custom') onSet(path, JSON.parse(e.target.value) as unknown);
        }}
      >
        {spec.choices?.map((c) => (
          <option key={String(c.value)} value={JSON.stringify(c.value)}>
            {c.label}
          </option>
        ))}
        {spec.kind === 'curve' && (
          <option value="custom" disabled={!isCustom}>
            Own curve
          </option>
        )}
      </select>
    );
  }
  return (
    <div
      className={`field-row${overrides ? ' overrides' : ''}${error ? ' invalid' : ''}`}
      data-testid="field-row"
      data-path={path}
      data-overrides={overrides ? 'true' : 'false'}
    >
      <label htmlFor={id} className="field-label">
        {spec.label}
        {spec.unit && <span className="muted"> ({spec.unit})</span>}
      </label>
      <div className="field-input">{input}</div>
      <div className="field-inherited" id={`${id}-inherited`}>
        <span className="muted">Inherited: </span>
        <span data-testid={`inherited-${testId(path)}`}>{inheritedText}</span>
      </div>
      <div className="field-state">
        {overrides ? (
          <>
            <span className="badge-override">Overrides</span>
            <button
              type="button"
              className="link"
              data-testid={`clear-${testId(path)}`}
              onClick={() => onClear(path)}
              title="Remove this profile's own value: the inherited one applies again"
            >
              Use inherited
            </button>
          </>
        ) : (
          <span className="muted small">inherited</span>
        )}
      </div>
      {(error || spec.help) && (
        <div
          className={error ? 'field-error' : 'field-help muted small'}
          data-testid={error ? `error-${testId(path)}` : undefined}
        >
          {error ? error.message : spec.help}
        </div>
      )}
    </div>
  );
}
