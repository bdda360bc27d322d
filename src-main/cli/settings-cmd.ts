/**
 * `skystation settings`: read and change the station settings (weather
 * provider, S3 archive) of the running station.
 *
 *   skystation settings [get] [--json]
 *   skystation settings set KEY VALUE      e.g. weather.provider open-meteo
 *   skystation settings set KEY -          the value is read from stdin (secrets stay out of the shell history)
 *   skystation settings test weather|archive
 *
 * Exit codes: 0 ok, 1 refused or failed, 2 bad usage, 3 station unreachable.
 */
import type { SettingsPatch, SettingsView } from '../api/contract.js';
import { connectOrSay, parseCommandArgs, reportFailure, stationFlags } from './client.js';

type Kind = 'text' | 'nullable' | 'secret' | 'boolean';
/** Every key `settings set` accepts, and how its VALUE is read. */
export const SETTINGS_KEYS: Record<string, Kind> = {
  'weather.provider': 'text',
  'weather.apiKey': 'secret',
  'weather.baseUrl': 'nullable',
  'archive.endpoint': 'nullable',
  'archive.region': 'text',
  'archive.bucket': 'text',
  'archive.prefix': 'text',
  'archive.accessKeyId': 'text',
  'archive.secretAccessKey': 'secret',
  'archive.forcePathStyle': 'boolean',
  'archive.uploadExports': 'boolean',
  'archive.uploadOriginals': 'boolean',
};

export const SETTINGS_USAGE = `Usage: skystation settings [get] [--json]
       skystation settings set KEY VALUE     (VALUE "-" reads it from stdin; "none" clears a nullable key)
       skystation settings test weather|archive
       skystation settings remove archive
Keys: ${Object.keys(SETTINGS_KEYS).join(', ')}`;

class UsageError extends Error {}

/** Turns `KEY VALUE` into an updateSettings patch (throws UsageError for an unknown key or a bad boolean). */
export function patchFor(key: string, value: string): SettingsPatch {
  const kind = SETTINGS_KEYS[key];
  if (kind === undefined)
    throw new UsageError(`Unknown key "${key}"; the keys are: ${Object.keys(SETTINGS_KEYS).join(', ')}.`);
  let v: string | boolean | null = value;
  if (kind === 'boolean') {
    if (!['true', 'false', 'on', 'off', 'yes', 'no'].includes(value)) {
      throw new UsageError(`${key} is true or false, not "${value}".`);
    }
    v = ['true', 'on', 'yes'].includes(value);
  } else if ((kind === 'nullable' || (kind === 'secret' && key === 'weather.apiKey')) && ['none', ''].includes(value)) {
    v = null;
  }
  const [section, field] = key.split('.') as ['weather' | 'archive', string];
  return { [section]: { [field]: v } };
}

function yesNo(b: boolean): string {
  return b ? 'yes' : 'no';
}

export function formatSettings(s: SettingsView): string {
  const w = s.weather;
  const lines = [
    'Weather',
    `  provider         ${w.provider}${w.effective.source === 'environment' ? `  (overridden by the environment: ${w.effective.provider})` : ''}`,
    `  api key          ${w.apiKeySet ? 'set' : 'not set'}`,
    `  server           ${w.baseUrl ?? `default${w.effective.baseUrl ? ` (${w.effective.baseUrl})` : ''}`}`,
    ...(w.environment.length > 0 ? [`  environment      ${w.environment.join(', ')}`] : []),
    ...(w.lastError ? [`  last error       ${w.lastError}`] : []),
    'S3 archive',
  ];
  const a = s.archive;
  if (!a) lines.push('  not set');
  else {
    lines.push(
      `  endpoint         ${a.endpoint ?? 'AWS'}`,
      `  region           ${a.region}`,
      `  bucket           ${a.bucket}`,
      `  prefix           ${a.prefix || '(none)'}`,
      `  access key id    ${a.accessKeyId}`,
      `  secret           ${a.secretAccessKeySet ? 'set' : 'not set'}`,
      `  path style       ${yesNo(a.forcePathStyle)}`,
      `  upload exports   ${yesNo(a.uploadExports)}`,
      `  upload originals ${yesNo(a.uploadOriginals)}`,
    );
  }
  lines.push(`Secrets kept in   ${s.secrets === 'encrypted' ? 'the OS keychain' : 'a file only you can read'}`);
  if (s.file.problem) lines.push(`Problem: ${s.file.problem}`);
  return lines.join('\n');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export async function runSettingsCommand(
  argv: string[],
  out: (s: string) => void,
  readValue: () => Promise<string> = readStdin,
): Promise<number> {
  const parsed = parseCommandArgs(argv, stationFlags(), SETTINGS_USAGE);
  if (!parsed) return 2;
  if (parsed.values.help) {
    out(SETTINGS_USAGE);
    return 0;
  }
  const [action = 'get', ...rest] = parsed.positionals;
  const json = parsed.values.json;
  let patch: SettingsPatch | null = null;
  try {
    if (action === 'set') {
      if (rest.length !== 2) throw new UsageError('settings set needs KEY and VALUE.');
      const value = rest[1] === '-' ? (await readValue()).replace(/\r?\n$/, '') : rest[1]!;
      patch = patchFor(rest[0]!, value);
    } else if (action === 'remove') {
      if (rest[0] !== 'archive') throw new UsageError('Only the archive can be removed: settings remove archive.');
      patch = { archive: null };
    } else if (action === 'test') {
      if (rest[0] !== 'weather' && rest[0] !== 'archive')
        throw new UsageError('settings test takes weather or archive.');
    } else if (action !== 'get' || rest.length > 0) {
      throw new UsageError(`Unknown settings action "${[action, ...rest].join(' ')}".`);
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n${SETTINGS_USAGE}\n`);
    return 2;
  }

  const client = await connectOrSay(parsed.values.url);
  if (!client) return 3;
  try {
    if (action === 'test' && rest[0] === 'weather') {
      const r = await client.call('testWeather', {});
      const o = r.observation;
      out(
        json
          ? JSON.stringify(r, null, 2)
          : `${r.provider} answered: ${o.condition}, clouds ${o.cloud_cover_percent ?? '-'} %, wind ${o.wind_speed_m_s?.toFixed(1) ?? '-'} m/s, observed ${o.observed_at}`,
      );
    } else if (action === 'test') {
      const r = await client.call('testArchive', {});
      out(
        json
          ? JSON.stringify(r, null, 2)
          : `Bucket ${r.bucket} on ${r.endpoint ?? 'AWS'} is reachable: ${r.objects}${r.truncated ? '+' : ''} object(s) under "${r.prefix}".`,
      );
    } else {
      const view = patch ? await client.call('updateSettings', patch) : await client.call('getSettings');
      out(json ? JSON.stringify(view, null, 2) : `${patch ? 'Saved.\n' : ''}${formatSettings(view)}`);
    }
    return 0;
  } catch (err) {
    return reportFailure(err, json, out);
  } finally {
    client.close();
  }
}
