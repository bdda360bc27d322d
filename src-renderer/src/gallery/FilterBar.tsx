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
  const set = <K extends keyof FilterState>(key: K, value: FilterState[K]) => onChange({ ...state, [key]: value });
  const n = activeCount(state);
  return (
    <form className="gallery-filters" aria-label="Filter the gallery" onSubmit={(e) => e.preventDefault()}>
      <Choice
        label="Camera"
        testId="filter-camera"
        value={state.agentId}
        all="All cameras"
        options={(facets?.cameras ?? []).map((c) => ({ value: c.agentId, label: c.name }))}
        onChange={(v) => set('agentId', v)}
      />
      <label>
        From
        <input data-testid="filter-from" type="date" value={state.from} onChange={(e) => set('from', e.target.value)} />
      </label>
      <label>
        To
        <input data-testid="filter-to" type="date" value={state.to} onChange={(e) => set('to', e.target.value)} />
      </label>
      <Choice
        label="Schedule"
        testId="filter-schedule"
        value={state.schedule}
        all="Any schedule"
        options={plain(facets?.schedules ?? [])}
        onChange={(v) => set('schedule', v)}
      />
      <Choice
        label="Profile"
        testId="filter-profile"
        value={state.profile}
        all="Any profile"
        options={plain(facets?.profiles ?? [])}
        onChange={(v) => set('profile', v)}
      />
      <Choice
        label="Test"
        testId="filter-test"
        value={state.testId}
        all="Any or none"
        options={plain(facets?.tests ?? [])}
        onChange={(v) => set('testId', v)}
      />
      {state.testId !== '' && (
        <Choice
          label="Variant"
          testId="filter-variant"
          value={state.variant}
          all="Both"
          options={plain(['a', 'b'])}
          onChange={(v) => set('variant', v)}
        />
      )}
      <Choice
        label="Darks"
        testId="filter-darks"
        value={state.darks}
        all="Pictures and darks"
        options={[
          { value: 'light', label: 'Pictures only' },
          { value: 'dark', label: 'Dark frames only' },
        ]}
        onChange={(v) => set('darks', v as FilterState['darks'])}
      />
      <Choice
        label="Brackets"
        testId="filter-brackets"
        value={state.brackets}
        all="With bracketed sets"
        options={[
          { value: 'only', label: 'Bracketed sets only' },
          { value: 'exclude', label: 'No bracketed sets' },
        ]}
        onChange={(v) => set('brackets', v as FilterState['brackets'])}
      />
      <Choice
        label="Tag"
        testId="filter-tag"
        value={state.tag}
        all="Any tag"
        options={plain(facets?.tags ?? [])}
        onChange={(v) => set('tag', v)}
      />
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
