/** Profiles pane: presets A–F and the operator's profiles, versions, diff, rollback, extend. */
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import type { ParamsOf } from '@contract';
import { useStation } from '../api/hooks';
import { errorText, formatTime } from '../format';
import { useOrchMutation, useProfile, useProfiles } from '../schedules/api';

function parseObject(text: string): Record<string, unknown> {
  const v = JSON.parse(text || '{}') as unknown;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('Settings must be a JSON object.');
  return v as Record<string, unknown>;
}

/** Common largest exposure steps between consecutive frames, in stops. */
const RAMP_STEPS: ReadonlyArray<{ value: number; label: string }> = [
  { value: 0.1, label: '1/10 stop (slowest, smoothest)' },
  { value: 1 / 6, label: '1/6 stop' },
  { value: 0.25, label: '1/4 stop' },
  { value: 1 / 3, label: '1/3 stop (default)' },
  { value: 0.5, label: '1/2 stop' },
  { value: 1, label: '1 stop' },
  { value: 2, label: '2 stops (follows the meter closely)' },
];

/**
 * The "holy grail" setting: how far exposure may move between consecutive
 * frames across sunset and sunrise. Saving makes a new profile version.
 */
function RampControl({ profileId, current }: { profileId: string; current: number }) {
  const { api } = useStation();
  const save = useOrchMutation((p: ParamsOf<'saveProfileVersion'>) => api.saveProfileVersion(p));
  const known = RAMP_STEPS.find((s) => Math.abs(s.value - current) < 1e-6);
  const [choice, setChoice] = useState<number>(known?.value ?? current);
  return (
    <form
      className="orch-form"
      aria-label="Exposure ramp"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate({ profileId, settings: { max_step_ev: choice }, note: `exposure ramp ${choice.toFixed(3)} stop` });
      }}
    >
      <label>
        Largest exposure change between frames{' '}
        <select data-testid="ramp-step" value={String(choice)} onChange={(e) => setChoice(Number(e.target.value))}>
          {!known && <option value={String(current)}>{current.toFixed(3)} stop</option>}
          {RAMP_STEPS.map((s) => (
            <option key={s.label} value={String(s.value)}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" data-testid="ramp-save" disabled={save.isPending || Math.abs(choice - current) < 1e-6}>
        Save as new version
      </button>
      {save.error && <p className="error">{errorText(save.error)}</p>}
    </form>
  );
}

function ProfileDetail({ profileId }: { profileId: string }) {
  const { api } = useStation();
  const detail = useProfile(profileId);
  const rollback = useOrchMutation((p: ParamsOf<'rollbackProfile'>) => api.rollbackProfile(p));
  const version = useOrchMutation((p: ParamsOf<'saveProfileVersion'>) => api.saveProfileVersion(p));
  const [from, setFrom] = useState<string | null>(null);
  const latest = detail.data?.version.version ?? null;
  // Keyed by the latest version (and under 'orch', so a save or rollback refetches it): never stale.
  const diffQuery = useQuery({
    queryKey: ['orch', 'profileDiff', profileId, from, latest],
    queryFn: () => api.diffProfile({ profileId, from: from ?? '', to: latest ?? '' }),
    enabled: from !== null && latest !== null,
  });
  const diff = diffQuery.data ?? null;
  const diffError = diffQuery.isError ? errorText(diffQuery.error) : null;
  const [settings, setSettings] = useState('');
  const [parseError, setParseError] = useState<string | null>(null);
  if (detail.isPending) return <p className="muted">Loading…</p>;
  if (detail.isError) return <p className="error">{errorText(detail.error)}</p>;
  const d = detail.data;
  return (
    <div className="orch-detail" data-testid="profile-detail">
      <h3>
        {d.resolved.name} <span className="muted">{d.version.version}</span>
      </h3>
      {d.resolved.lineage.length > 0 && <p className="muted small">Extends {d.resolved.lineage.join(' → ')}</p>}
      <pre className="orch-json">{JSON.stringify(d.resolved.settings, null, 2)}</pre>
      <h3>Exposure ramp</h3>
      <p className="muted small">
        Across sunset and sunrise the exposure moves by at most this much from one frame to the next, shutter first, on
        the cameras and in live capture.
      </p>
      <RampControl
        key={d.version.version}
        profileId={profileId}
        current={(d.resolved.settings as { max_step_ev?: number }).max_step_ev ?? 1 / 3}
      />
      <h3>History</h3>
      <table className="orch-table">
        <tbody>
          {d.history.map((h) => (
            <tr key={h.version} data-testid="history-row" data-version={h.version}>
              <td>{h.version}</td>
              <td>{formatTime(h.created_at)}</td>
              <td className="small">{h.note ?? ''}</td>
              <td>
                <button
                  type="button"
                  disabled={h.version === d.version.version}
                  onClick={() => rollback.mutate({ profileId, toVersion: h.version })}
                >
                  Roll back to this
                </button>{' '}
                <button type="button" onClick={() => setFrom(h.version)}>
                  Diff with latest
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {rollback.error && <p className="error">{errorText(rollback.error)}</p>}
      {diffError && <p className="error">{diffError}</p>}
      {diff && (
        <div data-testid="profile-diff">
          <p className="muted small">
            {from} → {d.version.version}: {diff.length === 0 ? 'no differences' : `${diff.length} change(s)`}
          </p>
          <table className="orch-table">
            <tbody>
              {diff.map((c) => (
                <tr key={c.field}>
                  <td>{c.field}</td>
                  <td>{JSON.stringify(c.from) ?? '—'}</td>
                  <td>{JSON.stringify(c.to) ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>New version</h3>
      <p className="muted small">
        Only the fields you write change; every other setting of {d.version.version} is kept.
      </p>
      <form
        className="orch-form column"
        onSubmit={(e) => {
          e.preventDefault();
          try {
            setParseError(null);
            version.mutate({ profileId, settings: parseObject(settings) }, { onSuccess: () => setSettings('') });
          } catch (err) {
            setParseError(errorText(err));
          }
        }}
      >
        <textarea
          rows={4}
          aria-label="Settings of the new version"
          data-testid="version-settings"
          placeholder='{"ev_compensation": 0.7, "iso_max": 800}'
          value={settings}
          onChange={(e) => setSettings(e.target.value)}
        />
        <button type="submit" data-testid="version-save" disabled={version.isPending}>
          Save version
        </button>
        {(parseError ?? version.error) && <p className="error">{parseError ?? errorText(version.error)}</p>}
      </form>
    </div>
  );
}

function ExtendForm() {
  const { api } = useStation();
  const profiles = useProfiles();
  const extend = useOrchMutation((p: ParamsOf<'extendProfile'>) => api.extendProfile(p));
  const [id, setId] = useState('');
  const [parent, setParent] = useState('');
  const [settings, setSettings] = useState('');
  const [parseError, setParseError] = useState<string | null>(null);
  const parentId = parent || profiles.data?.[0]?.profileId || '';
  return (
    <form
      className="orch-form"
      aria-label="Extend a profile"
      onSubmit={(e) => {
        e.preventDefault();
        try {
          setParseError(null);
          extend.mutate({
            draft: { profile_id: id, settings: parseObject(settings) },
            parent: { profile_id: parentId },
          });
        } catch (err) {
          setParseError(errorText(err));
        }
      }}
    >
      <label>
        New id
        <input data-testid="extend-id" value={id} onChange={(e) => setId(e.target.value)} placeholder="ridge_winter" />
      </label>
      <label>
        Extends
        <select data-testid="extend-parent" value={parentId} onChange={(e) => setParent(e.target.value)}>
          {profiles.data?.map((p) => (
            <option key={p.profileId} value={p.profileId}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Settings (JSON)
        <input
          data-testid="extend-settings"
          value={settings}
          onChange={(e) => setSettings(e.target.value)}
          placeholder='{"ev_compensation":1}'
        />
      </label>
      <button type="submit" data-testid="extend-create" disabled={!id || extend.isPending}>
        Create
      </button>
      {(parseError ?? extend.error) && <p className="error">{parseError ?? errorText(extend.error)}</p>}
    </form>
  );
}

export function ProfilesPane() {
  const profiles = useProfiles();
  const [selected, setSelected] = useState<string | null>(null);
  return (
    <div className="orch-pane" data-testid="profiles-pane">
      <h2>Profiles</h2>
      {profiles.isError && <p className="error">{errorText(profiles.error)}</p>}
      <table className="orch-table" aria-label="Profiles">
        <thead>
          <tr>
            <th>Id</th>
            <th>Name</th>
            <th>Latest</th>
            <th>Versions</th>
            <th>Extends</th>
          </tr>
        </thead>
        <tbody>
          {profiles.data?.map((p) => (
            <tr
              key={p.profileId}
              data-testid="profile-row"
              className={selected === p.profileId ? 'selected' : ''}
              onClick={() => setSelected(p.profileId)}
            >
              <td>
                <button type="button" className="link" onClick={() => setSelected(p.profileId)}>
                  {p.profileId}
                </button>
              </td>
              <td>{p.name}</td>
              <td>{p.latest}</td>
              <td>{p.versions}</td>
              <td>{p.extends ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <ExtendForm />
      {selected && <ProfileDetail profileId={selected} />}
    </div>
  );
}
