/**
 * Schedules pane (issue #5): the station's location, schedules of every kind,
 * which camera runs which schedules, the 30-day plan per camera, deploying a
 * profile to cameras, and seed 002 config.json import/export.
 */
import { useState, type FormEvent } from 'react';
import type { AgentView, ParamsOf } from '../../../src-main/api/contract';
import type { DeployResult } from '../../../src-main/api/orchestration';
import { useAgents, useStation } from '../api/hooks';
import { errorText, formatTime } from '../format';
import { useAssignments, useLocation, useOrchMutation, usePlan, useProfiles, useSchedules } from './api';

const TYPES = ['sunrise', 'sunset', 'daytime', 'night', 'golden_hour', 'blue_hour', 'custom', 'moon'] as const;
type Kind = (typeof TYPES)[number];
type ScheduleInput = ParamsOf<'createSchedule'>['schedule'];

function ErrorLine({ error }: { error: unknown }) {
  return error ? (
    <p className="error" role="alert">
      {errorText(error)}
    </p>
  ) : null;
}

function LocationForm() {
  const { api } = useStation();
  const location = useLocation();
  const save = useOrchMutation((p: ParamsOf<'setLocation'>) => api.setLocation(p));
  const [lat, setLat] = useState('');
  const [lon, setLon] = useState('');
  const [tz, setTz] = useState('');
  const current = location.data;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({
      latitude: Number(lat || current?.latitude),
      longitude: Number(lon || current?.longitude),
      timezone: tz || current?.timezone || 'UTC',
    });
  };
  return (
    <form className="orch-form" onSubmit={submit} aria-label="Location">
      <label>
        Latitude
        <input
          data-testid="location-lat"
          inputMode="decimal"
          placeholder={current ? String(current.latitude) : '39.61'}
          value={lat}
          onChange={(e) => setLat(e.target.value)}
        />
      </label>
      <label>
        Longitude
        <input
          data-testid="location-lon"
          inputMode="decimal"
          placeholder={current ? String(current.longitude) : '-105.31'}
          value={lon}
          onChange={(e) => setLon(e.target.value)}
        />
      </label>
      <label>
        Time zone
        <input
          data-testid="location-tz"
          placeholder={current?.timezone ?? 'America/Denver'}
          value={tz}
          onChange={(e) => setTz(e.target.value)}
        />
      </label>
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

function buildSchedule(kind: Kind, f: Record<string, string>): ScheduleInput {
  const interval_seconds = Number(f['interval'] || 30);
  switch (kind) {
    case 'sunrise':
    case 'sunset':
      return {
        type: kind,
        offset_minutes: Number(f['offset'] || -30),
        duration_minutes: Number(f['duration'] || 60),
        interval_seconds,
      };
    case 'daytime':
      return {
        type: 'daytime',
        start_time: f['start'] || '07:30',
        end_time: f['end'] || '17:45',
        interval_seconds,
      };
    case 'custom':
      return { type: 'custom', start_time: f['start'] || '22:00', end_time: f['end'] || '02:00', interval_seconds };
    case 'night':
      return {
        type: 'night',
        twilight: (f['twilight'] || 'astronomical') as 'civil' | 'nautical' | 'astronomical',
        interval_seconds,
      };
    case 'golden_hour':
    case 'blue_hour':
      return { type: kind, period: (f['period'] || 'both') as 'morning' | 'evening' | 'both', interval_seconds };
    case 'moon':
      return { type: 'moon', min_illumination: Number(f['illumination'] || 0), interval_seconds };
  }
}

function ScheduleForm() {
  const { api } = useStation();
  const create = useOrchMutation((p: ParamsOf<'createSchedule'>) => api.createSchedule(p));
  const [name, setName] = useState('');
  const [kind, setKind] = useState<Kind>('sunset');
  const [fields, setFields] = useState<Record<string, string>>({});
  const field = (key: string, label: string, placeholder: string) => (
    <label key={key}>
      {label}
      <input
        data-testid={`schedule-${key}`}
        placeholder={placeholder}
        value={fields[key] ?? ''}
        onChange={(e) => setFields({ ...fields, [key]: e.target.value })}
      />
    </label>
  );
  return (
    <form
      className="orch-form"
      aria-label="New schedule"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate(
          { name: name || kind, schedule: buildSchedule(kind, fields) },
          {
            onSuccess: () => {
              setName('');
              setFields({});
            },
          },
        );
      }}
    >
      <label>
        Name
        <input data-testid="schedule-name" placeholder={kind} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        Kind
        <select data-testid="schedule-kind" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
          {TYPES.map((t) => (
            <option key={t} value={t}>
              {t.replace('_', ' ')}
            </option>
          ))}
        </select>
      </label>
      {(kind === 'sunrise' || kind === 'sunset') && [
        field('offset', 'Offset (min)', '-30'),
        field('duration', 'Duration (min)', '60'),
      ]}
      {(kind === 'daytime' || kind === 'custom') && [
        field('start', 'Start', kind === 'daytime' ? '07:30' : '22:00'),
        field('end', 'End', kind === 'daytime' ? '17:45' : '02:00'),
      ]}
      {kind === 'night' && field('twilight', 'Twilight', 'astronomical')}
      {(kind === 'golden_hour' || kind === 'blue_hour') && field('period', 'Period', 'both')}
      {kind === 'moon' && field('illumination', 'Min. illumination', '0')}
      {field('interval', 'Every (s)', '30')}
      <button type="submit" className="primary" data-testid="schedule-create" disabled={create.isPending}>
        Add schedule
      </button>
      <ErrorLine error={create.error} />
    </form>
  );
}

function ScheduleTable() {
  const { api } = useStation();
  const schedules = useSchedules();
  const remove = useOrchMutation((name: string) => api.deleteSchedule({ name, force: true }));
  if (schedules.isPending) return <p className="muted">Loading schedules…</p>;
  if (schedules.isError) return <ErrorLine error={schedules.error} />;
  if (schedules.data.length === 0) return <p className="empty">No schedules yet.</p>;
  return (
    <table className="orch-table" aria-label="Schedules">
      <thead>
        <tr>
          <th>Name</th>
          <th>Kind</th>
          <th>Every</th>
          <th>Details</th>
          <th>Cameras</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {schedules.data.map((s) => {
          const { type, interval_seconds, enabled: _enabled, ...rest } = s.schedule;
          return (
            <tr key={s.name} data-testid="schedule-row" data-name={s.name}>
              <td>{s.name}</td>
              <td>{type.replace('_', ' ')}</td>
              <td>{interval_seconds} s</td>
              <td className="small">{JSON.stringify(rest)}</td>
              <td>{s.usedBy.join(', ') || '—'}</td>
              <td>
                <button type="button" onClick={() => remove.mutate(s.name)} aria-label={`Delete schedule ${s.name}`}>
                  Delete
                </button>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function CameraRow({ agent, scheduleNames }: { agent: AgentView; scheduleNames: string[] }) {
  const { api } = useStation();
  const assignments = useAssignments();
  const current = assignments.data?.find((a) => a.agentId === agent.id);
  const [picked, setPicked] = useState<string[] | null>(null);
  const chosen = picked ?? current?.schedules ?? [];
  const assign = useOrchMutation((p: ParamsOf<'assignSchedules'>) => api.assignSchedules(p));
  const d = agent.deployment;
  return (
    <tr data-testid="camera-assignment" data-agent-id={agent.id}>
      <td>
        {agent.name} <span className={`badge badge-${agent.state}`}>{agent.state}</span>
      </td>
      <td>
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
        <button
          type="button"
          data-testid="assign-save"
          disabled={assign.isPending || picked === null}
          onClick={() => assign.mutate({ agentId: agent.id, schedules: chosen }, { onSuccess: () => setPicked(null) })}
        >
          Save
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
          <th>Schedules</th>
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

function PlanPreviewBox() {
  const agents = useAgents();
  const [agentId, setAgentId] = useState<string | null>(null);
  const id = agentId ?? agents.data?.[0]?.id ?? null;
  const plan = usePlan(id);
  return (
    <div className="orch-plan">
      <label>
        Camera{' '}
        <select value={id ?? ''} onChange={(e) => setAgentId(e.target.value)} data-testid="plan-camera">
          {agents.data?.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      </label>
      {plan.isError && <ErrorLine error={plan.error} />}
      {plan.data && (
        <>
          <p className="muted small" data-testid="plan-summary">
            {plan.data.windows.length} windows, about {plan.data.captures} captures until{' '}
            {formatTime(plan.data.horizon)}
          </p>
          <table className="orch-table" aria-label="Plan">
            <thead>
              <tr>
                <th>Start</th>
                <th>End</th>
                <th>Every</th>
                <th>Schedule</th>
              </tr>
            </thead>
            <tbody>
              {plan.data.windows.slice(0, 40).map((w) => (
                <tr key={w.start}>
                  <td>{formatTime(w.start)}</td>
                  <td>{formatTime(w.end)}</td>
                  <td>{w.interval_seconds} s</td>
                  <td>{w.schedule}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
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
  return (
    <div className="orch-pane" data-testid="schedules-pane">
      <h2>Location</h2>
      <LocationForm />
      <h2>Schedules</h2>
      <ScheduleTable />
      <ScheduleForm />
      <h2>Cameras</h2>
      <Cameras />
      <h2>Deploy</h2>
      <DeployForm />
      <h2>Plan (next 30 days)</h2>
      <PlanPreviewBox />
      <h2>config.json</h2>
      <ConfigBox />
    </div>
  );
}
