/**
 * Exports view (issues #6, #15): make a timelapse from a camera and a time
 * range (quick ranges for last night, the last day, the last hour), follow the
 * queue (progress bar, fps, ETA), cancel, retry; play a finished video in the
 * app, see keograms and startrails, and where each file is; night products on
 * request; start and stop a timelapse session on a camera; the "night
 * products after sync" setting.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { ExportJobView, ExportOptions, ExportPresetName } from '@contract';
import { useAgents, useSession, useStation } from '../api/hooks';
import { errorText, formatTime } from '../format';
import { useUiStore } from '../state/ui-store';
import { etaText, folderOf, localInput, QUICK_RANGES, quickRange, resultKind, type QuickRange } from './export-format';
import './exports.css';
import { CameraOptions } from '../components/CameraOptions';
import { LoadFailed } from '../components/LoadFailed';

export const exportKeys = { jobs: ['exports', 'jobs'] as const, settings: ['exports', 'settings'] as const };

const PRESETS: { value: ExportPresetName; label: string }[] = [
  { value: 'h264-1080p', label: '1080p H.264' },
  { value: 'h265-4k', label: '4K H.265' },
  { value: 'h264-720p-web', label: '720p web' },
  { value: 'image-sequence', label: 'Image sequence' },
];

function upsertJob(client: QueryClient, job: ExportJobView): void {
  client.setQueryData<ExportJobView[]>(exportKeys.jobs, (jobs) => {
    if (jobs === undefined) return [job];
    const i = jobs.findIndex((j) => j.id === job.id);
    if (i < 0) return [job, ...jobs];
    const next = [...jobs];
    next[i] = job;
    return next;
  });
}

function useExportJobs() {
  const { api } = useStation();
  const client = useQueryClient();
  useEffect(
    () =>
      api.onEvent((e) => {
        if (e.event === 'export.progress') upsertJob(client, e.data.job);
        else if (e.event === 'export.finished' || e.event === 'export.failed') upsertJob(client, e.data.job);
      }),
    [api, client],
  );
  return useQuery({ queryKey: exportKeys.jobs, queryFn: () => api['exports.list']() });
}

export function ExportsPane() {
  return (
    <div className="exports-pane">
      <CreateExportForm />
      <JobList />
      <NightSettings />
      <SessionControl />
    </div>
  );
}

function CreateExportForm() {
  const { api } = useStation();
  const client = useQueryClient();
  const agents = useAgents();
  const selectedAgentId = useUiStore((s) => s.selectedAgentId);
  const [agentId, setAgentId] = useState<string>('');
  const [from, setFrom] = useState(() => localInput(new Date(Date.now() - 12 * 3_600_000)));
  const [to, setTo] = useState(() => localInput(new Date()));
  // Until the operator picks an end, "to" means the moment the export is created (newer captures included).
  const [toPicked, setToPicked] = useState(false);
  const [preset, setPreset] = useState<ExportPresetName>('h264-1080p');
  const [fps, setFps] = useState<24 | 25 | 30 | 60>(25);
  const [deflicker, setDeflicker] = useState<'none' | 'smooth' | 'ffmpeg'>('none');
  const [overlay, setOverlay] = useState(false);
  const [hdr, setHdr] = useState<'fuse' | 'middle'>('fuse');
  const [darks, setDarks] = useState<'auto' | 'off'>('auto');
  const [crf, setCrf] = useState('');
  const camera = agentId || selectedAgentId || agents.data?.[0]?.id || '';

  const applyRange = (kind: QuickRange): void => {
    const now = new Date();
    const r = quickRange(kind, now);
    setFrom(localInput(r.from));
    setTo(localInput(r.to));
    // A range ending now keeps ending "now" (the field shows minutes; captures later in this minute count too).
    setToPicked(r.to.getTime() !== now.getTime());
  };

  const create = useMutation({
    mutationFn: (product: 'timelapse' | 'keogram' | 'startrails') => {
      const options: ExportOptions = { preset, fps, deflicker, overlay, hdr, darks };
      if (crf !== '') options.crf = Number(crf);
      return api['exports.create']({
        selection: {
          agentIds: [camera],
          from: new Date(from).toISOString(),
          to: (toPicked ? new Date(to) : new Date()).toISOString(),
        },
        options,
        product,
      });
    },
    onSuccess: (job) => upsertJob(client, job),
  });

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    create.mutate('timelapse');
  };

  return (
    <form className="export-form" onSubmit={submit} aria-label="New export">
      <h3>New timelapse</h3>
      <div className="export-quick" role="group" aria-label="Quick time ranges">
        {QUICK_RANGES.map((r) => (
          <button
            key={r.value}
            type="button"
            data-testid={`export-range-${r.value}`}
            onClick={() => applyRange(r.value)}
          >
            {r.label}
          </button>
        ))}
      </div>
      <div className="export-fields">
        <label>
          Camera
          <select value={camera} onChange={(e) => setAgentId(e.target.value)} data-testid="export-camera">
            <CameraOptions agents={agents.data} />
          </select>
        </label>
        <label>
          From
          <input
            type="datetime-local"
            data-testid="export-from"
            value={from}
            onChange={(e) => setFrom(e.target.value)}
            required
          />
        </label>
        <label>
          To
          <input
            type="datetime-local"
            value={to}
            onChange={(e) => {
              setTo(e.target.value);
              setToPicked(true);
            }}
            required
          />
        </label>
        <label>
          Preset
          <select value={preset} onChange={(e) => setPreset(e.target.value as ExportPresetName)}>
            {PRESETS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Frame rate
          <select value={fps} onChange={(e) => setFps(Number(e.target.value) as 24 | 25 | 30 | 60)}>
            {[24, 25, 30, 60].map((f) => (
              <option key={f} value={f}>
                {f} fps
              </option>
            ))}
          </select>
        </label>
        <label>
          Deflicker
          <select value={deflicker} onChange={(e) => setDeflicker(e.target.value as 'none' | 'smooth' | 'ffmpeg')}>
            <option value="none">Off</option>
            <option value="smooth">Smooth (measured)</option>
            <option value="ffmpeg">ffmpeg deflicker</option>
          </select>
        </label>
        <label>
          Quality (CRF)
          <input
            type="number"
            min={0}
            max={51}
            placeholder="preset"
            value={crf}
            onChange={(e) => setCrf(e.target.value)}
          />
        </label>
        <label title="Cameras that bracket take several exposures of each moment.">
          Bracketed sets (HDR)
          <select value={hdr} onChange={(e) => setHdr(e.target.value as 'fuse' | 'middle')} data-testid="export-hdr">
            <option value="fuse">Merge each set (exposure fusion)</option>
            <option value="middle">Metered exposure only</option>
          </select>
        </label>
        <label title="Dark frames are taken with the lens capped; mark them in the gallery.">
          Dark frames
          <select value={darks} onChange={(e) => setDarks(e.target.value as 'auto' | 'off')} data-testid="export-darks">
            <option value="auto">Subtract matching darks</option>
            <option value="off">Off</option>
          </select>
        </label>
        <label className="inline">
          <input type="checkbox" checked={overlay} onChange={(e) => setOverlay(e.target.checked)} /> Date, time and
          temperature overlay
        </label>
      </div>
      <p className="small muted export-help" data-testid="export-processing-help">
        Bracketed sets become one frame each: exposure fusion keeps detail in both the bright sky and the dark land;
        “metered exposure only” is faster. Dark frames (lens capped, marked in the gallery) remove hot pixels and sensor
        glow from night frames of the same camera taken at a similar exposure, gain and temperature; frames with no
        close dark are exported as they are and the job says how many. Dark frames are never exported as pictures.
      </p>
      <div className="export-actions">
        <button type="submit" disabled={camera === '' || create.isPending} data-testid="export-create">
          Create export
        </button>
        <button type="button" disabled={camera === '' || create.isPending} onClick={() => create.mutate('keogram')}>
          Keogram
        </button>
        <button type="button" disabled={camera === '' || create.isPending} onClick={() => create.mutate('startrails')}>
          Startrails
        </button>
      </div>
      {create.isError && (
        <p className="error" role="alert">
          {errorText(create.error)}
        </p>
      )}
    </form>
  );
}

function JobList() {
  const jobs = useExportJobs();
  if (jobs.isPending) return <p className="muted">Loading exports…</p>;
  if (jobs.isError) {
    return <LoadFailed what="the exports" query={jobs} />;
  }
  if (jobs.data.length === 0) return <p className="empty">No exports yet.</p>;
  return (
    <ul className="export-jobs" aria-label="Exports">
      {jobs.data.map((j) => (
        <JobRow key={j.id} job={j} />
      ))}
    </ul>
  );
}

function JobRow({ job }: { job: ExportJobView }) {
  const { api } = useStation();
  const client = useQueryClient();
  const cancel = useMutation({ mutationFn: () => api['exports.cancel']({ jobId: job.id }) });
  const retry = useMutation({
    mutationFn: () => api['exports.retry']({ jobId: job.id }),
    onSuccess: (j) => upsertJob(client, j),
  });
  const active = job.status === 'queued' || job.status === 'running';
  const p = job.progress;
  return (
    <li className={`export-job export-${job.status}`} data-testid="export-job" data-status={job.status}>
      <div className="export-job-head">
        <strong>{job.label}</strong>
        <span className="badge">{job.status}</span>
      </div>
      <div className="small muted">
        {job.frames} frames · created {formatTime(job.createdAt)}
      </div>
      {job.status === 'running' && (
        <div className="export-progress">
          <progress max={100} value={p?.percent ?? 0} aria-label={`Progress of ${job.label}`} />
          <span>
            {(p?.percent ?? 0).toFixed(0)} % · {p?.stage ?? 'starting'} · {(p?.fps ?? 0).toFixed(1)} fps ·{' '}
            {etaText(p?.etaSeconds ?? null)}
          </span>
        </div>
      )}
      {job.status === 'done' && job.result && <JobResult job={job} />}
      {job.warnings.map((w) => (
        <p key={w} className="warning small" data-testid="export-warning">
          {w}
        </p>
      ))}
      {job.error && job.status !== 'done' && (
        <p className={job.status === 'cancelled' ? 'muted small' : 'error small'}>{job.error.message}</p>
      )}
      <div className="export-actions">
        {active && (
          <button type="button" onClick={() => cancel.mutate()} disabled={cancel.isPending}>
            Cancel
          </button>
        )}
        {job.retryable && (
          <button type="button" onClick={() => retry.mutate()} disabled={retry.isPending}>
            {job.status === 'interrupted' ? 'Resume' : 'Retry'}
          </button>
        )}
      </div>
      {(cancel.isError || retry.isError) && (
        <p className="error small" role="alert">
          {errorText(cancel.error ?? retry.error)}
        </p>
      )}
    </li>
  );
}

function NightSettings() {
  const { api } = useStation();
  const client = useQueryClient();
  const settings = useQuery({ queryKey: exportKeys.settings, queryFn: () => api['exports.getSettings']() });
  const save = useMutation({
    mutationFn: (autoNightProducts: boolean) => api['exports.setSettings']({ autoNightProducts }),
    onSuccess: (s) => client.setQueryData(exportKeys.settings, s),
  });
  if (!settings.data) return null;
  return (
    <label className="inline small">
      <input
        type="checkbox"
        checked={settings.data.autoNightProducts}
        disabled={save.isPending}
        onChange={(e) => save.mutate(e.target.checked)}
      />{' '}
      Make a keogram and startrails automatically after each night is synced
      {save.isError && <span className="error"> {errorText(save.error)}</span>}
    </label>
  );
}

/** A finished job: played or shown in the app when the station serves it, and where the file is. */
function JobResult({ job }: { job: ExportJobView }) {
  const { api } = useStation();
  const [play, setPlay] = useState(false);
  const [copied, setCopied] = useState(false);
  const r = job.result!;
  // In the desktop app the file manager can be opened on the export; a browser can only copy the path.
  const desktop = window.skystationDesktop;
  const kind = resultKind(job);
  const url = r.mediaPath !== null ? api.mediaUrl(r.mediaPath) : null;
  return (
    <div className="export-result" data-testid="export-result" data-kind={kind ?? ''}>
      <div className="small">
        {r.width}×{r.height}
        {r.durationSeconds > 0 ? ` · ${r.durationSeconds.toFixed(1)} s` : ''} · {r.frames} frames
      </div>
      {kind === 'video' && url !== null && (
        <>
          {play ? (
            <video className="export-video" data-testid="export-video" src={url} controls autoPlay loop />
          ) : (
            <button type="button" data-testid="export-play" onClick={() => setPlay(true)}>
              ▶ Play here
            </button>
          )}{' '}
          <a href={url} target="_blank" rel="noreferrer">
            Open in a new window
          </a>
        </>
      )}
      {kind === 'image' && url !== null && (
        <a href={url} target="_blank" rel="noreferrer" title="Open full size">
          <img className="export-night-image" data-testid="export-image" src={url} alt={job.label} />
        </a>
      )}
      <p className="small export-path">
        Saved as <code data-testid="export-path">{r.outputPath}</code> in the folder{' '}
        <code>{folderOf(r.outputPath)}</code>{' '}
        <button
          type="button"
          className="link-button"
          onClick={() => {
            void navigator.clipboard
              ?.writeText(r.outputPath)
              .then(() => setCopied(true))
              .catch(() => setCopied(false));
          }}
        >
          {copied ? 'Copied' : 'Copy path'}
        </button>
        {desktop !== undefined && r.mediaPath !== null && (
          <>
            {' '}
            <button
              type="button"
              className="link-button"
              data-testid="show-in-folder"
              onClick={() => void desktop.showInFolder(r.mediaPath!)}
            >
              Show in folder
            </button>
          </>
        )}
      </p>
    </div>
  );
}

/**
 * A timelapse session on one camera: a capture every N seconds until stopped,
 * run by the camera itself (it carries on if this computer sleeps).
 */
function SessionControl() {
  const { api } = useStation();
  const client = useQueryClient();
  const agents = useAgents();
  const [agentId, setAgentId] = useState('');
  const [interval, setInterval_] = useState('10');
  const camera = agentId || agents.data?.find((a) => a.state === 'online')?.id || agents.data?.[0]?.id || '';
  const session = useSession(camera, camera !== '');
  const seconds = Number(interval);
  const valid = Number.isInteger(seconds) && seconds >= 1 && seconds <= 3600;
  const start = useMutation({
    mutationFn: () => api.startSession({ agentId: camera, intervalSeconds: seconds }),
    onSuccess: (s) => client.setQueryData(['session', camera], s),
  });
  const stop = useMutation({
    mutationFn: () => api.stopSession({ agentId: camera }),
    onSuccess: (s) => client.setQueryData(['session', camera], s),
  });
  const s = session.data;
  return (
    <form
      className="export-form"
      aria-label="Timelapse session"
      onSubmit={(e) => {
        e.preventDefault();
        if (valid) start.mutate();
      }}
    >
      <h3>Timelapse session</h3>
      <p className="small muted">
        The camera takes a picture every few seconds until you stop it, even while this computer is closed; the pictures
        arrive in the gallery with the next sync.
      </p>
      <div className="export-fields">
        <label>
          Camera
          <select data-testid="session-camera" value={camera} onChange={(e) => setAgentId(e.target.value)}>
            <CameraOptions agents={agents.data} />
          </select>
        </label>
        <label>
          Every (seconds)
          <input
            data-testid="session-interval"
            type="number"
            min={1}
            max={3600}
            value={interval}
            onChange={(e) => setInterval_(e.target.value)}
          />
        </label>
      </div>
      {!valid && <p className="error small">The interval is a whole number of seconds from 1 to 3600.</p>}
      <div className="export-actions">
        <button
          type="submit"
          data-testid="session-start"
          disabled={camera === '' || !valid || start.isPending || s?.active === true}
        >
          Start session
        </button>
        <button
          type="button"
          data-testid="session-stop"
          disabled={s?.active !== true || stop.isPending}
          onClick={() => stop.mutate()}
        >
          Stop
        </button>
      </div>
      <p className="small" data-testid="session-status" role="status">
        {camera === ''
          ? 'Add a camera first (Cameras tab).'
          : s === undefined
            ? ''
            : s.active
              ? `Running: a picture every ${s.intervalSeconds ?? '?'} s, ${s.captures} taken${s.failed ? `, ${s.failed} failed` : ''}${s.nextCaptureAt ? `, next ${formatTime(s.nextCaptureAt)}` : ''}.`
              : s.stoppedAt
                ? `Stopped ${formatTime(s.stoppedAt)} after ${s.captures} pictures${s.stopReason ? ` (${s.stopReason})` : ''}.`
                : 'No session running on this camera.'}
      </p>
      {(start.isError || stop.isError || session.isError) && (
        <p className="error small" role="alert">
          {errorText(start.error ?? stop.error ?? session.error)}
        </p>
      )}
    </form>
  );
}
