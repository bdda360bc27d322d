/**
 * `skystation export`: queue a timelapse on the running station and follow it.
 *
 *   skystation export --camera ID --from ISO --to ISO [--preset 1080p-h264] [--fps 25]
 *                     [--deflicker smooth|ffmpeg] [--out FILE] [--json] ...
 *
 * A progress bar with ETA on a terminal (stderr), JSON lines with --json
 * (stdout), nothing but the result line otherwise. Ctrl-C cancels the job on
 * the station (the station writes under a hidden temporary name and renames
 * only on success, so no half-written file is left under the final name).
 *
 * Exit codes: 0 done; 1 the station refused or the export failed; 2 bad usage;
 * 3 station unreachable or the connection was lost; 130 cancelled (Ctrl-C).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ENCODER_PRESETS,
  EXPORT_PRESETS,
  StationApiError,
  type ExportJobView,
  type ExportOptions,
  type ExportPresetName,
  type ExportProgressView,
  type StationEvent,
} from '../api/contract.js';
import { StationError, errorMessage } from '../util/errors.js';
import { connectOrSay } from './client.js';

export const EXPORT_USAGE = `Usage: skystation export --camera ID --from ISO --to ISO [options]
  --camera ID            camera id, id prefix or name (repeat for several cameras)
  --from ISO, --to ISO   capture time range, e.g. 2025-01-10T18:00:00Z
  --schedule NAME        only this schedule (repeatable); --profile NAME; --test-id ID; --variant V
  --preset NAME          1080p-h264 (default), 4k-h265, 720p-web, images
  --fps N                24, 25 (default), 30 or 60
  --width W --height H   output size (even numbers); --crf N quality (0–51, lower is better)
  --encoder-preset P     x264/x265 speed preset (ultrafast … veryslow; default medium)
  --deflicker MODE       smooth or ffmpeg
  --stabilise            vid.stab, when this ffmpeg has it
  --overlay              burn in date, time and temperature
  --pacing MODE          sequence (default) or realtime
  --hdr MODE             bracketed sets: fuse (default: one frame per set) or middle (the metered image only)
  --darks MODE           auto (default: subtract matching dark frames) or off
  --out FILE             where to write, inside the station's exports folder; default: a name there
  --overwrite            replace an existing --out file
  --json                 JSON lines on stdout instead of a progress bar
  --url URL              the station (default ws://127.0.0.1:8082/api/ws or $SKYSTATION_URL)
Exit codes: 0 done, 1 refused or failed, 2 bad usage, 3 station unreachable, 130 cancelled.`;

const PRESET_ALIASES: Record<string, ExportPresetName> = {
  '1080p-h264': 'h264-1080p',
  '1080p': 'h264-1080p',
  '4k-h265': 'h265-4k',
  '4k': 'h265-4k',
  '720p-web': 'h264-720p-web',
  '720p': 'h264-720p-web',
  images: 'image-sequence',
};

export type Out = (line: string) => void;

class UsageError extends Error {}

function presetOf(name: string): ExportPresetName {
  const p = PRESET_ALIASES[name] ?? (EXPORT_PRESETS as readonly string[]).find((x) => x === name);
  if (p === undefined) {
    throw new UsageError(`Unknown preset "${name}"; choose 1080p-h264, 4k-h265, 720p-web or images.`);
  }
  return p as ExportPresetName;
}

function intOf(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`--${flag} must be a whole number, not "${v}".`);
  return n;
}

function instantOf(flag: string, v: string | undefined): string {
  if (v === undefined) throw new UsageError(`--${flag} is required (an ISO time such as 2025-01-10T18:00:00Z).`);
  const t = Date.parse(v);
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}/.test(v)) {
    throw new UsageError(`--${flag} must be an ISO time such as 2025-01-10T18:00:00Z, not "${v}".`);
  }
  return new Date(t).toISOString();
}

function clock(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

export function progressBar(p: ExportProgressView, width = 30): string {
  const filled = Math.round((Math.min(100, Math.max(0, p.percent)) / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.percent.toFixed(1).padStart(5)}%  ${p.fps
    .toFixed(1)
    .padStart(5)} fps  ETA ${clock(p.etaSeconds)}  ${p.stage}`;
}

interface Parsed {
  url: string;
  json: boolean;
  params: {
    selection: {
      agentIds: string[];
      from: string;
      to: string;
      schedules?: string[];
      profile?: string;
      testId?: string;
      variant?: string;
    };
    options: ExportOptions;
  };
}

function parse(argv: string[]): Parsed | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      camera: { type: 'string', multiple: true },
      from: { type: 'string' },
      to: { type: 'string' },
      schedule: { type: 'string', multiple: true },
      profile: { type: 'string' },
      'test-id': { type: 'string' },
      variant: { type: 'string' },
      preset: { type: 'string', default: '1080p-h264' },
      fps: { type: 'string', default: '25' },
      width: { type: 'string' },
      height: { type: 'string' },
      crf: { type: 'string' },
      'encoder-preset': { type: 'string' },
      deflicker: { type: 'string' },
      stabilise: { type: 'boolean', default: false },
      overlay: { type: 'boolean', default: false },
      pacing: { type: 'string' },
      hdr: { type: 'string' },
      darks: { type: 'string' },
      out: { type: 'string' },
      overwrite: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      url: { type: 'string', default: process.env['SKYSTATION_URL'] ?? 'ws://127.0.0.1:8082/api/ws' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}".`);
  if (!values.camera?.length) throw new UsageError('--camera is required (a camera id, id prefix or name).');
  const fps = intOf('fps', values.fps);
  if (fps !== 24 && fps !== 25 && fps !== 30 && fps !== 60) throw new UsageError('--fps must be 24, 25, 30 or 60.');
  const deflicker = values.deflicker;
  if (deflicker !== undefined && deflicker !== 'smooth' && deflicker !== 'ffmpeg' && deflicker !== 'none') {
    throw new UsageError('--deflicker must be smooth or ffmpeg.');
  }
  const pacing = values.pacing;
  if (pacing !== undefined && pacing !== 'sequence' && pacing !== 'realtime') {
    throw new UsageError('--pacing must be sequence or realtime.');
  }
  const hdr = values.hdr;
  if (hdr !== undefined && hdr !== 'fuse' && hdr !== 'middle') throw new UsageError('--hdr must be fuse or middle.');
  const darks = values.darks;
  if (darks !== undefined && darks !== 'auto' && darks !== 'off') throw new UsageError('--darks must be auto or off.');
  const encoderPresets: readonly string[] = ENCODER_PRESETS;
  const ep = values['encoder-preset'];
  if (ep !== undefined && !encoderPresets.includes(ep)) {
    throw new UsageError(`--encoder-preset must be one of ${encoderPresets.join(', ')}.`);
  }
  const options: ExportOptions = { preset: presetOf(values.preset), fps };
  const width = intOf('width', values.width);
  const height = intOf('height', values.height);
  const crf = intOf('crf', values.crf);
  if (width !== undefined) options.width = width;
  if (height !== undefined) options.height = height;
  if (crf !== undefined) options.crf = crf;
  if (ep !== undefined) options.encoderPreset = ep as NonNullable<ExportOptions['encoderPreset']>;
  if (deflicker !== undefined) options.deflicker = deflicker;
  if (pacing !== undefined) options.pacing = pacing;
  if (hdr !== undefined) options.hdr = hdr;
  if (darks !== undefined) options.darks = darks;
  if (values.stabilise) options.stabilise = true;
  if (values.overlay) options.overlay = true;
  if (values.overwrite) options.overwrite = true;
  if (values.out !== undefined) options.outputPath = resolve(values.out);
  const selection: Parsed['params']['selection'] = {
    agentIds: values.camera,
    from: instantOf('from', values.from),
    to: instantOf('to', values.to),
  };
  if (Date.parse(selection.from) > Date.parse(selection.to)) throw new UsageError('--from must not be after --to.');
  if (values.schedule?.length) selection.schedules = values.schedule;
  if (values.profile !== undefined) selection.profile = values.profile;
  if (values['test-id'] !== undefined) selection.testId = values['test-id'];
  if (values.variant !== undefined) selection.variant = values.variant;
  return { url: values.url, json: values.json, params: { selection, options } };
}

/** Run `skystation export ...`; resolves with the exit code. */
export async function runExportCommand(
  argv: string[],
  out: Out = (s) => process.stdout.write(`${s}\n`),
  err: Out = (s) => process.stderr.write(`${s}\n`),
): Promise<number> {
  let parsed: Parsed | 'help';
  try {
    parsed = parse(argv);
  } catch (e) {
    err(`${errorMessage(e)}\n${EXPORT_USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    out(EXPORT_USAGE);
    return 0;
  }
  const { json } = parsed;
  const line = (value: Record<string, unknown>): void => out(JSON.stringify(value));
  const tty = !json && process.stderr.isTTY === true;

  const client = await connectOrSay(parsed.url, (message) =>
    json ? line({ event: 'error', error: { code: 'station_unreachable', message } }) : err(message),
  );
  if (!client) return 3;

  let jobId: string | null = null;
  const early: StationEvent[] = [];
  let settle: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => (settle = r));
  let cancelling = false;
  let finished = false;

  const report = (job: ExportJobView): void => {
    if (finished) return;
    if (job.status === 'done' && job.result) {
      finished = true;
      if (tty) process.stderr.write('\r\x1b[2K');
      if (json) line({ event: 'finished', job: job.id, ...job.result, warnings: job.warnings });
      else {
        out(
          `Wrote ${job.result.outputPath} (${job.result.frames} frames, ${job.result.durationSeconds.toFixed(1)} s, ${job.result.width}×${job.result.height})`,
        );
        for (const w of job.warnings) out(`Note: ${w}`);
      }
      settle(0);
    } else if (job.status === 'failed' || job.status === 'cancelled' || job.status === 'interrupted') {
      finished = true;
      if (tty) process.stderr.write('\r\x1b[2K');
      const error = job.error ?? { code: 'export_failed', message: 'The export failed.' };
      if (json) line({ event: job.status === 'cancelled' ? 'cancelled' : 'failed', job: job.id, error });
      else err(job.status === 'cancelled' ? 'Export cancelled; no file was written.' : error.message);
      settle(job.status === 'cancelled' && cancelling ? 130 : 1);
    }
  };

  const onEvent = (e: StationEvent): void => {
    if (e.event !== 'export.progress' && e.event !== 'export.finished' && e.event !== 'export.failed') return;
    if (jobId === null) {
      early.push(e);
      return;
    }
    if (e.data.job.id !== jobId) return;
    if (e.event === 'export.progress') {
      if (finished) return;
      const p = e.data.progress;
      if (json)
        line({
          event: 'progress',
          job: jobId,
          percent: p.percent,
          fps: p.fps,
          etaSeconds: p.etaSeconds,
          stage: p.stage,
        });
      else if (tty) process.stderr.write(`\r\x1b[2K${progressBar(p)}`);
    } else report(e.data.job);
  };
  const offEvents = client.onEvent(onEvent);

  const requestCancel = (id: string): void => {
    client.call('exports.cancel', { jobId: id }).catch((e: unknown) => {
      err(`Could not cancel: ${errorMessage(e)}`);
      settle(1);
    });
  };
  const onSigint = (): void => {
    if (cancelling) {
      settle(130);
      return;
    }
    cancelling = true;
    if (jobId === null) return; // cancelled as soon as the station answers

    if (tty) process.stderr.write('\r\x1b[2K');
    if (json) line({ event: 'cancelling', job: jobId });
    else err('Cancelling the export… (Ctrl-C again to leave it running on the station)');
    requestCancel(jobId);
  };
  process.on('SIGINT', onSigint);
  // The connection can drop without an event; a slow poll also covers missed events.
  let poll: NodeJS.Timeout | null = null;

  try {
    const job = await client.call('exports.create', parsed.params);
    jobId = job.id;
    if (json)
      line({ event: 'queued', job: job.id, label: job.label, frames: job.frames, preset: job.preset, fps: job.fps });
    else if (tty) err(`Export ${job.id.slice(0, 8)}: ${job.label}, ${job.frames} frames`);
    for (const e of early.splice(0)) onEvent(e);
    if (cancelling) requestCancel(job.id);
    poll = setInterval(() => {
      client.call('exports.get', { jobId: job.id }, 10_000).then(report, (e: unknown) => {
        if (e instanceof StationError && (e.code === 'station_disconnected' || e.code === 'station_timeout')) {
          if (finished) return;
          finished = true;
          err(`Lost the station (${e.message}); the export may still be running there.`);
          settle(3);
        }
      });
    }, 2_000);
    return await done;
  } catch (e) {
    const code = e instanceof StationApiError || e instanceof StationError ? e.code : 'error';
    if (json) line({ event: 'error', error: { code, message: errorMessage(e) } });
    else err(errorMessage(e));
    return code === 'station_disconnected' ? 3 : code === 'bad_request' ? 2 : 1;
  } finally {
    if (poll) clearInterval(poll);
    process.off('SIGINT', onSigint);
    offEvents();
    client.close();
  }
}
