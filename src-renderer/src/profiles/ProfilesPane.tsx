/**
 * Profiles (issue #17): the profiles on the left; for the chosen one, a form
 * of every field with its inherited value, the lux → white-balance curve as
 * an editable chart, the exposure ramp over a simulated sunset (computed by
 * the brain with the agents' own engine, for the unsaved edits too), its
 * version history with the changes in words, rollback, and deployment to
 * cameras. Nothing is saved while the brain's check finds a wrong field.
 */
import { useEffect, useMemo, useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import {
  FIELD_GROUPS,
  OVERRIDE_FIELDS,
  PROFILE_FIELDS,
  fieldSpec,
  type ParamsOf,
  type ProfileEditorView,
  type ProfileFieldError,
  type RampSimulationView,
} from '@contract';
import { useAgents, useStation } from '../api/hooks';
import { errorText, formatTime } from '../format';
import { clockIn } from '../planning/zone';
import { useOrchMutation, useProfile, useProfiles, useSchedules } from '../schedules/api';
import '../schedules/panes.css';
import { RampChart, shutterText } from './RampChart';
import { errorFor, FieldRow } from './SettingsForm';
import { getPath, setPath, settingsKey, unsetPath, type Settings } from './settings-draft';
import { WbCurveEditor, type Point } from './WbCurveEditor';
import './profiles.css';

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

const isPoints = (v: unknown): v is Point[] => Array.isArray(v);

/** A curve setting as points: a name looks its points up; null is no curve. */
function curvePoints(value: unknown, curves: ProfileEditorView['curves']): Point[] | null {
  if (isPoints(value)) return value;
  if (typeof value === 'string') return curves[value] ?? null;
  return null;
}

function RampSection({
  profileId,
  own,
  dirty,
  blocked,
  schedules,
}: {
  profileId: string;
  own: Settings;
  dirty: boolean;
  blocked: boolean;
  /** Schedules with limits of their own in this profile. */
  schedules: readonly string[];
}) {
  const { api } = useStation();
  const [date, setDate] = useState('');
  const [event, setEvent] = useState<'sunset' | 'sunrise'>('sunset');
  const [interval, setInterval] = useState(30);
  const [chosen, setSchedule] = useState('');
  const schedule = schedules.includes(chosen) ? chosen : '';
  const key = useDebounced(settingsKey(own), 400);
  const sim = useQuery({
    queryKey: ['orch', 'profileRamp', profileId, dirty ? key : 'saved', date, event, interval, schedule],
    queryFn: () =>
      api.simulateProfileRamp({
        profileId,
        ...(dirty ? { settings: JSON.parse(key) as Record<string, unknown> } : {}),
        ...(date ? { date } : {}),
        event,
        intervalSeconds: interval,
        ...(schedule ? { schedule } : {}),
      }),
    enabled: !blocked,
    placeholderData: keepPreviousData,
    retry: false,
  });
  const s: RampSimulationView | undefined = sim.data;
  const first = s?.frames[0];
  const last = s?.frames[s.frames.length - 1];
  const shutterRange = s ? s.frames.map((f) => f.shutterSeconds) : [];
  const isoRange = s ? s.frames.map((f) => f.iso) : [];
  return (
    <section className="profile-section" aria-label="Exposure ramp">
      <h3>Exposure ramp over a simulated {event}</h3>
      <div className="orch-form">
        <label>
          Day
          <input type="date" data-testid="ramp-date" value={date} onChange={(e) => setDate(e.target.value)} />
        </label>
        <label>
          Around
          <select
            data-testid="ramp-event"
            value={event}
            onChange={(e) => setEvent(e.target.value === 'sunrise' ? 'sunrise' : 'sunset')}
          >
            <option value="sunset">Sunset</option>
            <option value="sunrise">Sunrise</option>
          </select>
        </label>
        <label>
          A frame every
          <select data-testid="ramp-interval" value={interval} onChange={(e) => setInterval(Number(e.target.value))}>
            {[10, 15, 30, 60, 120].map((n) => (
              <option key={n} value={n}>
                {n} s
              </option>
            ))}
          </select>
        </label>
        {schedules.length > 0 && (
          <label>
            With the limits of
            <select data-testid="ramp-schedule" value={schedule} onChange={(e) => setSchedule(e.target.value)}>
              <option value="">the profile</option>
              {schedules.map((n) => (
                <option key={n} value={n}>
                  schedule {n}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {blocked && <p className="muted small">The chart follows your edits once every field is valid.</p>}
      {sim.isError && (
        <p className="error" data-testid="ramp-error">
          {errorText(sim.error)}
        </p>
      )}
      {s && first && last && (
        <>
          <p className="ramp-summary" data-testid="ramp-summary">
            {s.event === 'sunset' ? 'Sunset' : 'Sunrise'} {clockIn(Date.parse(s.eventTime), s.timezone)} ({s.timezone}
            {s.locationSource === 'default' ? ", seed 002's site: set the station's location on Schedules" : ''}) ·
            shutter {shutterText(Math.min(...shutterRange))} → {shutterText(Math.max(...shutterRange))} · ISO{' '}
            {Math.min(...isoRange)} → {Math.max(...isoRange)} · largest step{' '}
            <span data-testid="ramp-largest-step">{s.largestStepEv.toFixed(2)}</span> of {s.maxStepEv.toFixed(2)} stop
            {dirty ? ' · unsaved edits' : ''}
          </p>
          <div className="ramp-legend muted small">
            <span className="legend-item">
              <span className="legend-swatch accent" /> camera set to
            </span>
            <span className="legend-item">
              <span className="legend-swatch dashed" /> metered light
            </span>
            <span className="legend-item">
              <span className="legend-swatch dotted" /> white balance (K) / ISO
            </span>
          </div>
          <RampChart sim={s} />
          <p className="muted small">
            Frames follow the agents&apos; own ramp: the shutter lengthens first, ISO rises only at the longest shutter,
            and no frame changes by more than the largest step. Exposure compensation is applied by the camera on top.
          </p>
        </>
      )}
    </section>
  );
}

function HistorySection({ profileId, latest }: { profileId: string; latest: string }) {
  const { api } = useStation();
  const detail = useProfile(profileId);
  const rollback = useOrchMutation((p: ParamsOf<'rollbackProfile'>) => api.rollbackProfile(p));
  const history = detail.data?.history ?? [];
  /** The operator's choice of versions to compare, for the latest version it was made at. */
  const [choice, setChoice] = useState<{ from: string; to: string; at: string } | null>(null);
  const setPair = (p: { from: string; to: string }) => setChoice({ ...p, at: latest });
  const pair = choice !== null && choice.at === latest ? choice : null;
  const index = history.findIndex((h) => h.version === latest);
  const shown = pair ?? (index > 0 ? { from: history[index - 1]!.version, to: latest } : null);
  const diff = useQuery({
    queryKey: ['orch', 'profileDiffText', profileId, shown?.from, shown?.to],
    queryFn: () => api.describeProfileDiff({ profileId, from: shown!.from, to: shown!.to }),
    enabled: shown !== null,
  });
  return (
    <section className="profile-section" aria-label="Version history">
      <h3>History</h3>
      <table className="orch-table">
        <thead>
          <tr>
            <th>Version</th>
            <th>Saved</th>
            <th>Note</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {[...history].reverse().map((h) => {
            const i = history.indexOf(h);
            const prev = i > 0 ? history[i - 1]!.version : null;
            return (
              <tr
                key={h.version}
                data-testid="history-row"
                data-version={h.version}
                className={shown?.to === h.version ? 'selected' : ''}
              >
                <td>
                  {h.version}
                  {h.version === latest && <span className="muted small"> latest</span>}
                </td>
                <td>{formatTime(h.created_at)}</td>
                <td className="small">{h.note ?? ''}</td>
                <td className="history-actions">
                  <button
                    type="button"
                    disabled={prev === null}
                    onClick={() => prev && setPair({ from: prev, to: h.version })}
                  >
                    What changed
                  </button>
                  <button
                    type="button"
                    disabled={h.version === latest}
                    onClick={() => setPair({ from: h.version, to: latest })}
                  >
                    Compare with latest
                  </button>
                  <button
                    type="button"
                    data-testid="rollback"
                    disabled={h.version === latest || rollback.isPending}
                    onClick={() => rollback.mutate({ profileId, toVersion: h.version })}
                  >
                    Roll back to this
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {rollback.error && <p className="error">{errorText(rollback.error)}</p>}
      {shown && (
        <div className="profile-diff" data-testid="profile-diff" data-from={shown.from} data-to={shown.to}>
          <p className="muted small" data-testid="diff-title">
            {shown.from} → {shown.to}:{' '}
            {diff.data ? (diff.data.length === 0 ? 'no differences' : `${diff.data.length} change(s)`) : '…'}
          </p>
          {diff.isError && <p className="error">{errorText(diff.error)}</p>}
          <ul>
            {diff.data?.map((d) => (
              <li key={d.field} data-testid="diff-line" data-field={d.field}>
                <span className="diff-label">{d.label}</span> <span className="diff-from">{d.from}</span> →{' '}
                <span className="diff-to">{d.to}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

function DeploySection({ profileId, history }: { profileId: string; history: string[] }) {
  const { api } = useStation();
  const agents = useAgents();
  const deployments = useQuery({ queryKey: ['orch', 'deployments'], queryFn: () => api.listDeployments() });
  const deploy = useOrchMutation((p: ParamsOf<'deployProfile'>) => api.deployProfile(p));
  const [cameras, setCameras] = useState<string[]>([]);
  const [version, setVersion] = useState('');
  const mine = (deployments.data ?? []).filter((d) => d.profileId === profileId);
  const name = (id: string) => agents.data?.find((a) => a.id === id)?.name ?? id;
  return (
    <section className="profile-section" aria-label="Deploy">
      <h3>Deploy to cameras</h3>
      {mine.length > 0 && (
        <p className="small" data-testid="profile-deployments">
          Running:{' '}
          {mine
            .map((d) => `${name(d.agentId)} ${d.version}${d.status === 'failed' ? ' (last attempt failed)' : ''}`)
            .join(', ')}
        </p>
      )}
      <form
        className="orch-form"
        aria-label="Deploy this profile"
        onSubmit={(e) => {
          e.preventDefault();
          deploy.mutate({ agentIds: cameras, profileId, ...(version ? { version } : {}) });
        }}
      >
        <fieldset>
          <legend>Cameras</legend>
          {(agents.data ?? []).length === 0 && <span className="muted small">No cameras yet.</span>}
          {agents.data?.map((a) => (
            <label key={a.id} className="check">
              <input
                type="checkbox"
                data-testid="profile-deploy-camera"
                checked={cameras.includes(a.id)}
                onChange={(e) => setCameras(e.target.checked ? [...cameras, a.id] : cameras.filter((x) => x !== a.id))}
              />
              {a.name}
            </label>
          ))}
        </fieldset>
        <label>
          Version
          <select data-testid="profile-deploy-version" value={version} onChange={(e) => setVersion(e.target.value)}>
            <option value="">Latest ({history[history.length - 1]})</option>
            {[...history].reverse().map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
        </label>
        <button
          type="submit"
          className="primary"
          data-testid="profile-deploy"
          disabled={cameras.length === 0 || deploy.isPending}
        >
          {deploy.isPending ? 'Deploying…' : 'Deploy'}
        </button>
      </form>
      {deploy.error && <p className="error">{errorText(deploy.error)}</p>}
      {deploy.data && (
        <ul className="orch-results" aria-label="Deploy results">
          {deploy.data.map((r) => (
            <li key={r.agentId} data-testid="profile-deploy-result" data-ok={r.ok ? 'true' : 'false'}>
              {r.agentName}:{' '}
              {r.ok
                ? `${r.profileId} ${r.version ?? ''} deployed, ${r.windows} capture windows${r.horizon ? ` until ${formatTime(r.horizon)}` : ''}`
                : `failed: ${r.error?.message ?? 'unknown error'}`}
              {r.warning && <span className="warning"> {r.warning}</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ScheduleOverrides({
  own,
  inherited,
  errors,
  version,
  onSet,
  onClear,
}: {
  own: Settings;
  inherited: Settings;
  errors: readonly ProfileFieldError[];
  version: string;
  onSet: (path: string, value: unknown) => void;
  onClear: (path: string) => void;
}) {
  const schedules = useSchedules();
  const [added, setAdded] = useState<string[]>([]);
  const [pick, setPick] = useState('');
  const names = [
    ...new Set([
      ...Object.keys((inherited['schedule_overrides'] as Settings | undefined) ?? {}),
      ...Object.keys((own['schedule_overrides'] as Settings | undefined) ?? {}),
      ...added,
    ]),
  ];
  const free = (schedules.data ?? []).map((s) => s.name).filter((n) => !names.includes(n));
  return (
    <fieldset className="field-group" data-testid="group-overrides">
      <legend>Per schedule</legend>
      <p className="muted small">A schedule (a night window, say) can use other limits than the rest of the day.</p>
      {names.map((n) => (
        <div key={n} className="override-block" data-testid="override-block" data-schedule={n}>
          <h4>{n}</h4>
          {OVERRIDE_FIELDS.map((f) => {
            const spec = fieldSpec(`schedule_overrides.${n}.${f}`);
            if (!spec) return null;
            return (
              <FieldRow
                key={f}
                spec={{ ...spec, help: '' }}
                own={own}
                inherited={setPath(inherited, spec.path, getPath(inherited, spec.path) ?? own[f] ?? inherited[f])}
                error={errorFor(errors, spec.path)}
                version={version}
                onSet={onSet}
                onClear={onClear}
              />
            );
          })}
        </div>
      ))}
      {free.length > 0 && (
        <div className="orch-form">
          <label>
            Add limits for
            <select
              data-testid="override-add-schedule"
              value={pick || free[0]}
              onChange={(e) => setPick(e.target.value)}
            >
              {free.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <button type="button" data-testid="override-add" onClick={() => setAdded([...added, pick || free[0]!])}>
            Add
          </button>
        </div>
      )}
    </fieldset>
  );
}

function ProfileEditor({ profileId }: { profileId: string }) {
  const { api } = useStation();
  const editor = useQuery({
    queryKey: ['orch', 'profileEditor', profileId],
    queryFn: () => api.profileEditor({ profileId }),
  });
  const detail = useProfile(profileId);
  /** The edits, with the version they started from: a new version (saved, rolled back) starts afresh. */
  const [edit, setEdit] = useState<{ base: string; settings: Settings } | null>(null);
  const [note, setNote] = useState('');
  const e = editor.data;
  /** Discarding starts the inputs afresh (they keep what was typed otherwise). */
  const [discards, setDiscards] = useState(0);
  const inputsKey = `${e?.version ?? ''}-${discards}`;
  const draft = edit !== null && edit.base === e?.version ? edit.settings : null;
  const setDraft = (settings: Settings | null) =>
    setEdit(settings === null || !e ? null : { base: e.version, settings });
  const own = draft ?? e?.own ?? {};
  const dirty = e !== undefined && settingsKey(own) !== settingsKey(e.own);
  const ownKey = useDebounced(settingsKey(own), 250);
  const check = useQuery({
    queryKey: ['profileCheck', profileId, ownKey],
    queryFn: () => api.checkProfileSettings({ profileId, settings: JSON.parse(ownKey) as Record<string, unknown> }),
    enabled: dirty,
  });
  const save = useOrchMutation((p: ParamsOf<'saveProfileSettings'>) => api.saveProfileSettings(p));
  const settled = ownKey === settingsKey(own);
  const errors = dirty && settled ? (check.data?.errors ?? []) : [];
  const checking = dirty && (!settled || check.isFetching);
  const inherited = (e?.inherited ?? {}) as Settings;
  const onSet = (path: string, value: unknown) => setDraft(setPath(own, path, value));
  const onClear = (path: string) => setDraft(unsetPath(own, path));
  const effectiveCurve = getPath(own, 'adaptive_wb_curve') ?? (e ? getPath(inherited, 'adaptive_wb_curve') : null);
  const curveOwn = Object.prototype.hasOwnProperty.call(own, 'adaptive_wb_curve');
  const points = e ? curvePoints(curveOwn ? own['adaptive_wb_curve'] : inherited['adaptive_wb_curve'], e.curves) : null;
  const inheritedPoints = e ? curvePoints(inherited['adaptive_wb_curve'], e.curves) : null;
  const groups = useMemo(
    () => FIELD_GROUPS.map((g) => ({ ...g, fields: PROFILE_FIELDS.filter((f) => f.group === g.id) })),
    [],
  );
  if (editor.isPending) return <p className="muted">Loading…</p>;
  if (editor.isError || !e) return <p className="error">{errorText(editor.error)}</p>;
  const unplaced = errors.filter(
    (x) => !PROFILE_FIELDS.some((f) => errorFor([x], f.path)) && !x.field.startsWith('schedule_overrides'),
  );
  const history = detail.data?.history.map((h) => h.version) ?? [e.version];

  const renderField = (spec: (typeof PROFILE_FIELDS)[number]) => (
    <FieldRow
      key={spec.path}
      spec={spec}
      own={own}
      inherited={inherited}
      error={errorFor(errors, spec.path)}
      version={inputsKey}
      onSet={onSet}
      onClear={onClear}
    />
  );

  return (
    <div className="profile-editor" data-testid="profile-detail">
      <h3 className="profile-title" data-testid="profile-title">
        {e.name} <span className="muted">{e.version}</span>
      </h3>
      <p className="muted small" data-testid="profile-inherits">
        {e.description ? `${e.description} ` : ''}Fields it does not set come from {e.inheritedFrom}.
      </p>
      <form
        className="profile-form"
        aria-label="Profile settings"
        onSubmit={(ev) => {
          ev.preventDefault();
          if (!dirty || errors.length > 0 || checking) return;
          save.mutate(
            { profileId, settings: own, baseVersion: e.version, ...(note.trim() ? { note: note.trim() } : {}) },
            { onSuccess: () => setNote('') },
          );
        }}
      >
        <div className="field-groups">
          {groups.map((g) => (
            <fieldset key={g.id} className="field-group" data-testid={`group-${g.id}`}>
              <legend>{g.label}</legend>
              {g.fields.map(renderField)}
              {g.id === 'white_balance' && (
                <div className="wb-section" data-testid="wb-section">
                  {points ? (
                    <WbCurveEditor
                      points={points}
                      inherited={curveOwn ? inheritedPoints : null}
                      onChange={(p) => onSet('adaptive_wb_curve', p)}
                    />
                  ) : (
                    <p className="muted small">
                      No curve: the white balance mode decides. Choose a curve above to see and edit it.
                    </p>
                  )}
                  {isPoints(effectiveCurve) && <p className="muted small">This profile uses its own curve.</p>}
                </div>
              )}
            </fieldset>
          ))}
          <ScheduleOverrides
            own={own}
            inherited={inherited}
            errors={errors}
            version={inputsKey}
            onSet={onSet}
            onClear={onClear}
          />
        </div>
        <div className="profile-save-bar" data-testid="profile-save-bar">
          <label className="grow">
            Note for this version
            <input
              data-testid="profile-note"
              value={note}
              onChange={(ev) => setNote(ev.target.value)}
              placeholder="What and why, e.g. longer shutter for winter nights"
              maxLength={500}
            />
          </label>
          <button
            type="submit"
            className="primary"
            data-testid="profile-save"
            disabled={!dirty || errors.length > 0 || checking || save.isPending}
          >
            Save as new version
          </button>
          <button
            type="button"
            data-testid="profile-discard"
            disabled={!dirty}
            onClick={() => {
              setDraft(null);
              setDiscards((n) => n + 1);
            }}
          >
            Discard changes
          </button>
          <span className="small" data-testid="profile-save-state">
            {!dirty
              ? 'No unsaved changes.'
              : checking
                ? 'Checking…'
                : errors.length > 0
                  ? `Fix ${errors.length} field${errors.length === 1 ? '' : 's'} before saving.`
                  : 'Unsaved changes.'}
          </span>
        </div>
        {unplaced.map((x) => (
          <p key={x.field} className="error">
            {x.message}
          </p>
        ))}
        {save.error && (
          <p className="error" data-testid="profile-save-error">
            {errorText(save.error)}
          </p>
        )}
      </form>
      <RampSection
        profileId={profileId}
        own={own}
        dirty={dirty}
        blocked={errors.length > 0 || checking}
        schedules={Object.keys({
          ...(inherited['schedule_overrides'] as Settings | undefined),
          ...(own['schedule_overrides'] as Settings | undefined),
        })}
      />
      <HistorySection profileId={profileId} latest={e.version} />
      <DeploySection profileId={profileId} history={history} />
    </div>
  );
}

function NewProfileForm({ onCreated }: { onCreated: (id: string) => void }) {
  const { api } = useStation();
  const profiles = useProfiles();
  const extend = useOrchMutation((p: ParamsOf<'extendProfile'>) => api.extendProfile(p));
  const [id, setId] = useState('');
  const [parent, setParent] = useState('');
  const parentId = parent || profiles.data?.[0]?.profileId || '';
  return (
    <form
      className="orch-form"
      aria-label="New profile"
      onSubmit={(ev) => {
        ev.preventDefault();
        extend.mutate(
          { draft: { profile_id: id, settings: {} }, parent: { profile_id: parentId } },
          {
            onSuccess: (v) => {
              setId('');
              onCreated(v.profile_id);
            },
          },
        );
      }}
    >
      <label>
        New profile id
        <input
          data-testid="extend-id"
          value={id}
          onChange={(ev) => setId(ev.target.value)}
          placeholder="ridge_winter"
        />
      </label>
      <label>
        Starting from
        <select data-testid="extend-parent" value={parentId} onChange={(ev) => setParent(ev.target.value)}>
          {profiles.data?.map((p) => (
            <option key={p.profileId} value={p.profileId}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" data-testid="extend-create" disabled={!id || extend.isPending}>
        Create
      </button>
      {extend.error && <p className="error">{errorText(extend.error)}</p>}
    </form>
  );
}

export function ProfilesPane() {
  const profiles = useProfiles();
  const [selected, setSelected] = useState<string | null>(null);
  return (
    <div className="orch-pane profiles-pane" data-testid="profiles-pane">
      <h2>Profiles</h2>
      <div className="profiles-layout">
        <aside className="profiles-list">
          {profiles.isError && <p className="error">{errorText(profiles.error)}</p>}
          <table className="orch-table" aria-label="Profiles">
            <thead>
              <tr>
                <th>Id</th>
                <th>Name</th>
                <th>Latest</th>
              </tr>
            </thead>
            <tbody>
              {profiles.data?.map((p) => (
                <tr
                  key={p.profileId}
                  data-testid="profile-row"
                  data-profile={p.profileId}
                  className={selected === p.profileId ? 'selected' : ''}
                  onClick={() => setSelected(p.profileId)}
                  title={p.extends ? `Extends ${p.extends}` : (p.description ?? '')}
                >
                  <td>
                    <button type="button" className="link" onClick={() => setSelected(p.profileId)}>
                      {p.profileId}
                    </button>
                  </td>
                  <td>{p.name}</td>
                  <td>
                    {p.latest}
                    {p.versions > 1 && <span className="muted small"> ({p.versions})</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <NewProfileForm onCreated={setSelected} />
        </aside>
        <div className="profiles-detail">
          {selected ? (
            <ProfileEditor key={selected} profileId={selected} />
          ) : (
            <p className="muted">Choose a profile to see and edit its settings, curve, ramp and history.</p>
          )}
        </div>
      </div>
    </div>
  );
}
