/** The gallery's filters: camera, days, schedule, profile, test and variant, darks, brackets, tag. */
import type { ResultOf } from '@contract';
import { activeCount, EMPTY_FILTER, type FilterState } from './filters';

type Facets = ResultOf<'gallery.facets'>;

function Choice({
  label,
  value,
  options,
  all,
  onChange,
  testId,
}: {
  label: string;
  value: string;
  options: readonly { value: string; label: string }[];
  all: string;
  onChange: (v: string) => void;
  testId: string;
}) {
  return (
    <label>
      {label}
      <select data-testid={testId} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{all}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

const plain = (values: readonly string[]) => values.map((v) => ({ value: v, label: v }));

/** One drop-down: the filter it sets, what it says, and what it offers besides "all". */
interface ChoiceSpec {
  key: Exclude<keyof FilterState, 'from' | 'to'>;
  label: string;
  all: string;
  options: readonly { value: string; label: string }[];
}
const labelled = (o: Record<string, string>) => Object.entries(o).map(([value, label]) => ({ value, label }));
const DARKS = labelled({ light: 'Pictures only', dark: 'Dark frames only' });
const BRACKETS = labelled({ only: 'Bracketed sets only', exclude: 'No bracketed sets' });

/** The drop-downs after the days, in order; Variant only once a test is chosen. */
function laterChoices(state: FilterState, facets: Facets | undefined): ChoiceSpec[] {
  const specs: (ChoiceSpec | false)[] = [
    { key: 'schedule', label: 'Schedule', all: 'Any schedule', options: plain(facets?.schedules ?? []) },
    { key: 'profile', label: 'Profile', all: 'Any profile', options: plain(facets?.profiles ?? []) },
    { key: 'testId', label: 'Test', all: 'Any or none', options: plain(facets?.tests ?? []) },
    state.testId !== '' && { key: 'variant', label: 'Variant', all: 'Both', options: plain(['a', 'b']) },
    { key: 'darks', label: 'Darks', all: 'Pictures and darks', options: DARKS },
    { key: 'brackets', label: 'Brackets', all: 'With bracketed sets', options: BRACKETS },
    { key: 'tag', label: 'Tag', all: 'Any tag', options: plain(facets?.tags ?? []) },
  ];
  return specs.filter((s): s is ChoiceSpec => s !== false);
}

export function FilterBar({
  state,
  facets,
  problem,
  onChange,
}: {
  state: FilterState;
  facets: Facets | undefined;
  problem: string | null;
  onChange: (next: FilterState) => void;
}) {
  // Each drop-down offers only its own values (or ""), so the string it reports fits its key.
  const set = (key: keyof FilterState, value: string) => onChange({ ...state, [key]: value });
  const n = activeCount(state);
  const choice = (c: ChoiceSpec) => (
    <Choice
      key={c.key}
      label={c.label}
      testId={`filter-${c.label.toLowerCase()}`}
      value={state[c.key]}
      all={c.all}
      options={c.options}
      onChange={(v) => set(c.key, v)}
    />
  );
  return (
    <form className="gallery-filters" aria-label="Filter the gallery" onSubmit={(e) => e.preventDefault()}>
      {choice({
        key: 'agentId',
        label: 'Camera',
        all: 'All cameras',
        options: (facets?.cameras ?? []).map((c) => ({ value: c.agentId, label: c.name })),
      })}
      <label>
        From
        <input data-testid="filter-from" type="date" value={state.from} onChange={(e) => set('from', e.target.value)} />
      </label>
      <label>
        To
        <input data-testid="filter-to" type="date" value={state.to} onChange={(e) => set('to', e.target.value)} />
      </label>
      {laterChoices(state, facets).map(choice)}
      {n > 0 && (
        <button type="button" data-testid="filter-clear" onClick={() => onChange(EMPTY_FILTER)}>
          Clear {n === 1 ? 'the filter' : `${n} filters`}
        </button>
      )}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}
