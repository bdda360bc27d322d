/**
 * Schedules pane (issues #5, #17): the station's location, schedules of every
 * kind edited in forms (checked in an operator's words before anything is
 * sent), which camera runs which schedules with which profile, deploying a
 * profile to cameras, and seed 002 config.json import/export. The plan itself
 * is drawn in the Planning tab.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { type AgentView, type DeployResult, type ParamsOf, type ScheduleView } from '@contract';
import { useAgents, useStation } from '../api/hooks';
import { errorText, formatTime } from '../format';
import { dayClockIn } from '../planning/zone';
import { useAssignments, useLocation, useOrchMutation, usePlan, useProfiles, useSchedules } from './api';
import {
  buildSchedule,
  describeSchedule,
  emptyFields,
  fieldsOf,
  KINDS,
  kindLabel,
  type FieldErrors,
  type Kind,
  type ScheduleFields,
} from './schedule-form';

function ErrorLine({ error }: { error: unknown }) {
  return error ? (
    <p className="error" role="alert">
      {errorText(error)}
    </p>
  ) : null;
}

function FieldError({ field, errors }: { field: string; errors: Record<string, string | undefined> }) {
  const message = errors[field];
  return message ? (
    <span className="field-error" role="alert" data-testid={`error-${field}`}>
      {message}
    </span>
  ) : null;
}

/** Every IANA zone this browser knows, for the time-zone field's suggestions. */
const ZONES: readonly string[] = (() => {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
})();
const isZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

function LocationForm() {
  const { api } = useStation();
  const location = useLocation();
  const save = useOrchMutation((p: ParamsOf<'setLocation'>) => api.setLocation(p));
  const [lat, setLat] = useState('');
  const [lon, setLon] = useState('');
  const [tz, setTz] = useState('');
  const [errors, setErrors] = useState<Record<string, string | undefined>>({});
  const current = location.data;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const next: Record<string, string> = {};
    const latitude = Number((lat || String(current?.latitude ?? '')).replace(',', '.'));
    const longitude = Number((lon || String(current?.longitude ?? '')).replace(',', '.'));
    const timezone = tz.trim() || current?.timezone || '';
    if ((lat === '' && !current) || !Number.isFinite(latitude) || latitude < -90 || latitude > 90)
      next['lat'] = 'Latitude is degrees north, -90 to 90 (south is negative), like 39.61.';
    if ((lon === '' && !current) || !Number.isFinite(longitude) || longitude < -180 || longitude > 180)
      next['lon'] = 'Longitude is degrees east, -180 to 180 (west is negative), like -105.31.';
    if (timezone === '' || !isZone(timezone))
      next['tz'] = 'Pick the time zone by its name, like America/Denver or Europe/Oslo.';
    setErrors(next);
    if (Object.keys(next).length === 0) save.mutate({ latitude, longitude, timezone });
  };
  return (
    <form className="orch-form" onSubmit={submit} aria-label="Location" noValidate>
      <label>
        Latitude (°N)
        <input
          data-testid="location-lat"
          inputMode="decimal"
          placeholder={current ? String(current.latitude) : '39.61'}
          value={lat}
          onChange={(e) => setLat(e.target.value)}
          aria-invalid={errors['lat'] ? true : undefined}
        />
        <FieldError field="lat" errors={errors} />
      </label>
      <label>
        Longitude (°E)
        <input
          data-testid="location-lon"
          inputMode="decimal"
          placeholder={current ? String(current.longitude) : '-105.31'}
          value={lon}
          onChange={(e) => setLon(e.target.value)}
          aria-invalid={errors['lon'] ? true : undefined}
        />
        <FieldError field="lon" errors={errors} />
      </label>
      <label>
        Time zone
        <input
          data-testid="location-tz"
          list="skystation-zones"
          placeholder={current?.timezone ?? 'America/Denver'}
          value={tz}
          onChange={(e) => setTz(e.target.value)}
          aria-invalid={errors['tz'] ? true : undefined}
        />
        <datalist id="skystation-zones">
          {ZONES.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
        <FieldError field="tz" errors={errors} />
      </label>
      <button type="button" onClick={() => setTz(Intl.DateTimeFormat().resolvedOptions().timeZone)}>
        This computer&apos;s zone
      </button>
      <button type="submit" data-testid="location-save" disabled={save.isPending}>
        Save location
      </button>
      {current ? (
        <span className="muted small" data-testid="location-current">
          {current.latitude}, {current.longitude} ({current.timezone})
        </span>
      ) : (
        <span className="muted small">No location yet: plans need one.</span>
      )}
      <ErrorLine error={save.error} />
    </form>
  );
}

function Field({
  label,
  field,
  errors,
  hint,
  children,
}: {
  label: string;
  field: keyof ScheduleFields;
  errors: FieldErrors;
  hint?: string;
  children: ReactNode;
}) {
  return (
    <label className={errors[field] ? 'invalid' : undefined}>
      {label}
      {children}
      {hint && <span className="hint">{hint}</span>}
      <FieldError field={field} errors={errors} />
    </label>
  );
}

/** Create a schedule, or edit one (its name stays). */
function ScheduleEditor({ editing, onDone }: { editing: ScheduleView | null; onDone: () => void }) {
  const { api } = useStation();
  const schedules = useSchedules();
  const create = useOrchMutation((p: ParamsOf<'createSchedule'>) => api.createSchedule(p));
  const update = useOrchMutation((p: ParamsOf<'updateSchedule'>) => api.updateSchedule(p));
  const [fields, setFields] = useState<ScheduleFields>(() =>
    editing ? fieldsOf(editing.name, editing.schedule) : emptyFields(),
  );
  const [errors, setErrors] = useState<FieldErrors>({});
  const keepWindows =
    editing?.schedule.type === 'custom' && editing.schedule.windows && fields.kind === 'custom'
      ? editing.schedule.windows
      : undefined;
  const set = <K extends keyof ScheduleFields>(key: K, value: ScheduleFields[K]) => {
    setFields({ ...fields, [key]: value });
    if (errors[key]) setErrors({ ...errors, [key]: undefined });
  };
  const text = (key: keyof ScheduleFields, props: { placeholder?: string; inputMode?: 'numeric' | 'decimal' } = {}) => (
    <input
      data-testid={`schedule-${key}`}
      value={String(fields[key])}
      onChange={(e) => set(key, e.target.value as never)}
      aria-invalid={errors[key] ? true : undefined}
      {...props}
    />
  );
  const mutation = editing ? update : create;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const names = editing ? [] : (schedules.data ?? []).map((s) => s.name);
    const r = buildSchedule(editing ? { ...fields, name: editing.name } : fields, names, keepWindows);
    if (!r.ok) {
      setErrors(r.errors);
      return;
    }
    setErrors({});
    mutation.mutate(
      { name: r.name, schedule: r.schedule },
      {
        onSuccess: () => {
          setFields(emptyFields(fields.kind));
          onDone();
        },
      },
    );
  };
  const k = fields.kind;
  const hint = KINDS.find((x) => x.kind === k)?.hint;
  return (
    <form
      className="orch-form schedule-editor"
      aria-label={editing ? `Edit schedule ${editing.name}` : 'New schedule'}
      data-testid="schedule-editor"
      onSubmit={submit}
      noValidate
    >
      <Field label="Name" field="name" errors={errors}>
        {editing ? (
          <input data-testid="schedule-name" value={editing.name} readOnly />
        ) : (
          text('name', { placeholder: 'evening' })
        )}
      </Field>
      <Field label="Captures" field="kind" errors={errors} hint={hint}>
        <select
          data-testid="schedule-kind"
          value={k}
          onChange={(e) => {
            const kind = e.target.value as Kind;
            setFields({ ...emptyFields(kind), name: fields.name, interval: fields.interval, enabled: fields.enabled });
            setErrors({});
          }}
        >
          {KINDS.map((x) => (
            <option key={x.kind} value={x.kind}>
              {x.label}
            </option>
          ))}
        </select>
      </Field>
      {(k === 'sunrise' || k === 'sunset') && (
        <>
          <Field label={`Start (min from ${k})`} field="offset" errors={errors} hint="negative: before">
            {text('offset', { inputMode: 'numeric' })}
          </Field>
          <Field label="For (min)" field="duration" errors={errors}>
            {text('duration', { inputMode: 'numeric' })}
          </Field>
        </>
      )}
      {(k === 'daytime' || k === 'custom') && !keepWindows && (
        <>
          <Field label="From (HH:MM)" field="start" errors={errors}>
            {text('start', { placeholder: '07:30' })}
          </Field>
          <Field label="To (HH:MM)" field="end" errors={errors} hint="earlier than From: next day">
            {text('end', { placeholder: '17:45' })}
          </Field>
        </>
      )}
      {keepWindows && (
        <p className="muted small">{keepWindows.length} fixed windows from config.json are kept as they are.</p>
      )}
      {k === 'night' && (
        <>
          <Field label="Dark from" field="twilight" errors={errors}>
            <select
              data-testid="schedule-twilight"
              value={fields.twilight}
              onChange={(e) => set('twilight', e.target.value as ScheduleFields['twilight'])}
            >
              <option value="civil">end of civil twilight (−6°)</option>
              <option value="nautical">end of nautical twilight (−12°)</option>
              <option value="astronomical">end of astronomical twilight (−18°)</option>
            </select>
          </Field>
          <label className="check">
            <input
              type="checkbox"
              data-testid="schedule-moonDownOnly"
              checked={fields.moonDownOnly}
              onChange={(e) => set('moonDownOnly', e.target.checked)}
            />
            only while the moon is down
          </label>
          <Field label="Skip a moon brighter than (%)" field="maxMoon" errors={errors} hint="empty: any moon">
            {text('maxMoon', { inputMode: 'decimal' })}
          </Field>
        </>
      )}
      {(k === 'golden_hour' || k === 'blue_hour') && (
        <Field label="When" field="period" errors={errors}>
          <select
            data-testid="schedule-period"
            value={fields.period}
            onChange={(e) => set('period', e.target.value as ScheduleFields['period'])}
          >
            <option value="both">morning and evening</option>
            <option value="morning">morning only</option>
            <option value="evening">evening only</option>
          </select>
        </Field>
      )}
      {k === 'moon' && (
        <Field label="Moon at least (% lit)" field="minMoon" errors={errors} hint="empty: any moon">
          {text('minMoon', { inputMode: 'decimal' })}
        </Field>
      )}
      <Field label="Every (seconds)" field="interval" errors={errors}>
        {text('interval', { inputMode: 'numeric' })}
      </Field>
      <label className="check">
        <input
          type="checkbox"
          data-testid="schedule-enabled"
          checked={fields.enabled}
          onChange={(e) => set('enabled', e.target.checked)}
        />
        active
      </label>
      <button type="submit" className="primary" data-testid="schedule-create" disabled={mutation.isPending}>
        {editing ? 'Save changes' : 'Add schedule'}
      </button>
      {editing && (
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      )}
      <ErrorLine error={mutation.error} />
    </form>
  );
}

function ScheduleList({ onEdit }: { onEdit: (s: ScheduleView) => void }) {
  const { api } = useStation();
  const schedules = useSchedules();
  const remove = useOrchMutation((name: string) => api.deleteSchedule({ name, force: true }));
  const [confirm, setConfirm] = useState<string | null>(null);
  if (schedules.isPending) return <p className="muted">Loading schedules…</p>;
  if (schedules.isError) return <ErrorLine error={schedules.error} />;
  if (schedules.data.length === 0) return <p className="empty">No schedules yet: add one below.</p>;
  return (
    <table className="orch-table" aria-label="Schedules">
      <thead>
        <tr>
          <th>Name</th>
          <th>Captures</th>
          <th>When</th>
          <th>Cameras</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {schedules.data.map((s) => (
          <tr key={s.name} data-testid="schedule-row" data-name={s.name}>
            <td>{s.name}</td>
            <td>{kindLabel(s.schedule.type)}</td>
            <td data-testid="schedule-description">{describeSchedule(s.schedule)}</td>
            <td>{s.usedBy.join(', ') || '—'}</td>
            <td className="row-actions">
              <button type="button" data-testid="schedule-edit" onClick={() => onEdit(s)}>
                Edit
              </button>{' '}
              {confirm === s.name ? (
                <>
                  <button
                    type="button"
                    className="danger"
                    onClick={() => remove.mutate(s.name, { onSettled: () => setConfirm(null) })}
                  >
                    {s.usedBy.length > 0 ? `Delete, and remove from ${s.usedBy.length} camera(s)` : 'Really delete'}
                  </button>{' '}
                  <button type="button" onClick={() => setConfirm(null)}>
                    Keep
                  </button>
                </>
              ) : (
                <button type="button" onClick={() => setConfirm(s.name)} aria-label={`Delete schedule ${s.name}`}>
                  Delete
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CameraRow({ agent, scheduleNames }: { agent: AgentView; scheduleNames: string[] }) {
  const { api } = useStation();
  const assignments = useAssignments();
  const profiles = useProfiles();
  const current = assignments.data?.find((a) => a.agentId === agent.id);
  const [picked, setPicked] = useState<string[] | null>(null);
  const [profile, setProfile] = useState<string | null>(null);
  const chosen = picked ?? current?.schedules ?? [];
  const chosenProfile = profile ?? current?.profileId ?? '';
  const assign = useOrchMutation((p: ParamsOf<'assignSchedules'>) => api.assignSchedules(p));
  const dirty = picked !== null || profile !== null;
  const d = agent.deployment;
  return (
    <tr data-testid="camera-assignment" data-agent-id={agent.id}>
      <td>
        {agent.name} <span className={`badge badge-${agent.state}`}>{agent.state}</span>
      </td>
      <td>
        {scheduleNames.length === 0 && <span className="muted small">Add a schedule first.</span>}
        {scheduleNames.map((n) => (
          <label key={n} className="check">
            <input
              type="checkbox"
              data-testid={`assign-${n}`}
              checked={chosen.includes(n)}
              onChange={(e) => setPicked(e.target.checked ? [...chosen, n] : chosen.filter((x) => x !== n))}
            />
            {n}
          </label>
        ))}
      </td>
      <td>
        <select
          aria-label={`Profile for ${agent.name}`}
          data-testid="assign-profile"
          value={chosenProfile}
          onChange={(e) => setProfile(e.target.value)}
        >
          <option value="">(choose when deploying)</option>
          {profiles.data?.map((p) => (
            <option key={p.profileId} value={p.profileId}>
              {p.name}
            </option>
          ))}
        </select>
      </td>
      <td>
        <button
          type="button"
          data-testid="assign-save"
          disabled={assign.isPending || !dirty}
          onClick={() =>
            assign.mutate(
              { agentId: agent.id, schedules: chosen, profileId: chosenProfile || null },
              {
                onSuccess: () => {
                  setPicked(null);
                  setProfile(null);
                },
              },
            )
          }
        >
          {dirty ? 'Save' : 'Saved'}
        </button>
        <ErrorLine error={assign.error} />
      </td>
      <td data-testid="deployed-version">
        {d ? (
          <span className={d.status === 'deployed' ? '' : 'error'} title={d.error ?? undefined}>
            {d.profileId} {d.version} ({d.status}
            {d.horizon ? `, until ${formatTime(d.horizon)}` : ''})
          </span>
        ) : (
          '—'
        )}
      </td>
    </tr>
  );
}

function Cameras() {
  const agents = useAgents();
  const schedules = useSchedules();
  const names = schedules.data?.map((s) => s.name) ?? [];
  if (!agents.data || agents.data.length === 0) return <p className="empty">No cameras yet.</p>;
  return (
    <table className="orch-table" aria-label="Camera schedules">
      <thead>
        <tr>
          <th>Camera</th>
          <th>Runs these schedules</th>
          <th>Profile</th>
          <th />
          <th>Deployed</th>
        </tr>
      </thead>
      <tbody>
        {agents.data.map((a) => (
          <CameraRow key={a.id} agent={a} scheduleNames={names} />
        ))}
      </tbody>
    </table>
  );
}

function DeployForm() {
  const { api } = useStation();
  const agents = useAgents();
  const profiles = useProfiles();
  const [profileId, setProfileId] = useState('');
  const [cameras, setCameras] = useState<string[]>([]);
  const deploy = useOrchMutation((p: ParamsOf<'deployProfile'>) => api.deployProfile(p));
  const chosenProfile = profileId || profiles.data?.[0]?.profileId || '';
  return (
    <form
      className="orch-form"
      aria-label="Deploy a profile"
      onSubmit={(e) => {
        e.preventDefault();
        if (cameras.length > 0 && chosenProfile) deploy.mutate({ agentIds: cameras, profileId: chosenProfile });
      }}
    >
      <label>
        Profile
        <select data-testid="deploy-profile" value={chosenProfile} onChange={(e) => setProfileId(e.target.value)}>
          {profiles.data?.map((p) => (
            <option key={p.profileId} value={p.profileId}>
              {p.name} ({p.latest})
            </option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>Cameras</legend>
        {agents.data?.map((a) => (
          <label key={a.id} className="check">
            <input
              type="checkbox"
              data-testid="deploy-camera"
              checked={cameras.includes(a.id)}
              onChange={(e) => setCameras(e.target.checked ? [...cameras, a.id] : cameras.filter((x) => x !== a.id))}
            />
            {a.name}
          </label>
        ))}
      </fieldset>
      <button
        type="submit"
        className="primary"
        data-testid="deploy-submit"
        disabled={deploy.isPending || cameras.length === 0}
      >
        {deploy.isPending ? 'Deploying…' : 'Deploy'}
      </button>
      <ErrorLine error={deploy.error} />
      {deploy.data && <DeployResults results={deploy.data} />}
    </form>
  );
}

function DeployResults({ results }: { results: DeployResult[] }) {
  return (
    <ul className="orch-results" aria-label="Deploy results">
      {results.map((r) => (
        <li key={r.agentId} data-testid="deploy-result" data-ok={r.ok ? 'true' : 'false'}>
          {r.agentName}:{' '}
          {r.ok
            ? `deployed ${r.profileId} ${r.version ?? ''}, ${r.windows} windows until ${formatTime(r.horizon ?? '')}`
            : `failed: ${r.error?.message ?? 'unknown error'}`}
          {r.warning && (
            <span className="warning" data-testid="deploy-warning">
              {' '}
              {r.warning}
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

/** One line per camera about its plan; the plan itself is drawn in the Planning tab. */
function PlanSummary({ agent }: { agent: AgentView }) {
  const plan = usePlan(agent.id);
  const tz = useLocation().data?.timezone;
  const until = (iso: string): string => (tz ? `${dayClockIn(Date.parse(iso), tz)} (${tz})` : formatTime(iso));
  return (
    <li data-testid="plan-summary" data-agent-id={agent.id}>
      {agent.name}:{' '}
      {plan.isError
        ? errorText(plan.error)
        : plan.data
          ? `${plan.data.windows.length} windows, about ${plan.data.captures} captures until ${until(plan.data.horizon)}`
          : '…'}
    </li>
  );
}

function PlanBox() {
  const agents = useAgents();
  return (
    <div className="orch-plan">
      <ul className="orch-results">
        {agents.data?.map((a) => (
          <PlanSummary key={a.id} agent={a} />
        ))}
      </ul>
      <p className="muted small">
        See each day&apos;s sun, moon and capture windows, and the next 30 days, in <a href="#/planning">Planning</a>.
      </p>
    </div>
  );
}

function ConfigBox() {
  const { api } = useStation();
  const [text, setText] = useState('');
  const importer = useOrchMutation((config: string) => api.importConfig({ config }));
  const exporter = useOrchMutation(() => api.exportConfig());
  return (
    <div className="orch-form column">
      <textarea
        aria-label="config.json"
        data-testid="config-text"
        rows={8}
        value={text}
        placeholder="Paste a seed 002 config.json here to import it, or press Export."
        onChange={(e) => setText(e.target.value)}
      />
      <div>
        <button type="button" disabled={!text || importer.isPending} onClick={() => importer.mutate(text)}>
          Import
        </button>{' '}
        <button
          type="button"
          onClick={() =>
            exporter.mutate(undefined, { onSuccess: (r) => setText(`${JSON.stringify(r.config, null, 2)}\n`) })
          }
        >
          Export
        </button>
      </div>
      {importer.data && (
        <p className="muted small">
          Imported {importer.data.schedules} schedules and {importer.data.cameras} cameras
          {importer.data.unmatched.length > 0 ? `; not connected yet: ${importer.data.unmatched.join(', ')}` : ''}.
        </p>
      )}
      <ErrorLine error={importer.error ?? exporter.error} />
    </div>
  );
}

export function SchedulesPane() {
  const [editing, setEditing] = useState<ScheduleView | null>(null);
  return (
    <div className="orch-pane" data-testid="schedules-pane">
      <h2>Location</h2>
      <LocationForm />
      <h2>Schedules</h2>
      <ScheduleList onEdit={setEditing} />
      <h3>{editing ? `Edit "${editing.name}"` : 'New schedule'}</h3>
      <ScheduleEditor key={editing?.name ?? '(new)'} editing={editing} onDone={() => setEditing(null)} />
      <h2>Cameras</h2>
      <Cameras />
      <h2>Deploy</h2>
      <DeployForm />
      <h2>Plan (next 30 days)</h2>
      <PlanBox />
      <details className="orch-config">
        <summary>config.json import and export</summary>
        <ConfigBox />
      </details>
    </div>
  );
}
