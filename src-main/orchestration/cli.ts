/**
 * `skystation` commands for issue #5 (hooked into src-main/cli/main.ts):
 *
 *   location [set LAT LON ZONE [ELEVATION_M]]
 *   schedules [list | import FILE | export [FILE] | create NAME JSON | update NAME JSON | delete NAME [--force]
 *              | assign CAMERA [SCHEDULE...] [--profile ID]]
 *   profiles [list | get ID [VERSION] | create JSON | extend PARENT[@VERSION] JSON | version ID JSON [--bump patch]
 *             | diff ID FROM TO | rollback ID VERSION]
 *   plan [CAMERA...] [--days N]
 *   deploy PROFILE --cameras A,B|all [--version V] [--days N]
 *   capture-fleet --cameras A,B|all [--schedule NAME]
 *   test run --cameras A,B --variant name:JSON --variant name:JSON [--rounds N] | test results ID | tests
 *   alerts
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { AgentView } from '../api/contract.js';
import type { TestResults } from '../api/orchestration.js';
import type { StationClient } from '../cli/client.js';
import { agentByRef, connectOrSay, parseCommandArgs, reportFailure, stationFlags } from '../cli/client.js';
import { writeFileAtomic } from '../util/atomic.js';
import { errorMessage } from '../util/errors.js';
import { formatTable } from '../cli/table.js';

export const ORCHESTRATION_COMMANDS = [
  'location',
  'schedules',
  'profiles',
  'plan',
  'deploy',
  'capture-fleet',
  'test',
  'tests',
  'alerts',
] as const;

const OPTIONS = {
  ...stationFlags(),
  cameras: { type: 'string' },
  variant: { type: 'string', multiple: true },
  rounds: { type: 'string' },
  days: { type: 'string' },
  version: { type: 'string' },
  profile: { type: 'string' },
  schedule: { type: 'string' },
  bump: { type: 'string' },
  force: { type: 'boolean' },
} as const;

export const ORCHESTRATION_USAGE = `  location [set LAT LON ZONE]      the station's place (sun and moon)
  schedules [list|import FILE|export [FILE]|create NAME JSON|update NAME JSON|delete NAME|assign CAMERA NAME...]
  profiles [list|get ID [V]|create JSON|extend PARENT JSON|version ID JSON|diff ID FROM TO|rollback ID V]
  plan [CAMERA...] [--days 30]     the concrete capture windows per camera
  deploy PROFILE --cameras A,B|all deploy a profile and its plan
  capture-fleet --cameras A,B|all  meter and capture on many cameras at once
  test run --cameras A,B --variant name:JSON ... [--rounds N]   override (A/B) test
  test results ID | tests          compare variants / list tests
  alerts                           recent alerts`;

export function isOrchestrationCommand(command: string | undefined): boolean {
  return command !== undefined && (ORCHESTRATION_COMMANDS as readonly string[]).includes(command);
}

/** Entry from cli/main.ts: parse flags, connect, run. Exit codes as in main.ts (3: station unreachable). */
export async function runOrchestrationCli(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parseCommandArgs(argv, OPTIONS, ORCHESTRATION_USAGE);
  if (!parsed) return 2;
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help || command === undefined) {
    out(`Usage: skystation <command> [args] [--json] [--url ws://127.0.0.1:8082/api/ws]\n${ORCHESTRATION_USAGE}`);
    return 0;
  }
  const client = await connectOrSay(parsed.values.url);
  if (!client) return 3;
  try {
    return await runOrchestrationCommand(client, command, rest, parsed.values, out);
  } finally {
    client.close();
  }
}

export interface OrchestrationFlags {
  json: boolean;
  cameras?: string | undefined;
  variant?: string[] | undefined;
  rounds?: string | undefined;
  days?: string | undefined;
  version?: string | undefined;
  profile?: string | undefined;
  schedule?: string | undefined;
  bump?: string | undefined;
  force?: boolean | undefined;
}

class UsageError extends Error {}

function parseJson(text: string | undefined, what: string): unknown {
  if (text === undefined) throw new UsageError(`${what} is missing.`);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(`${what} is not valid JSON: ${errorMessage(err)}`);
  }
}

function intFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number above 0, not "${value}".`);
  return n;
}

async function resolveCameras(client: StationClient, spec: string | undefined): Promise<AgentView[]> {
  if (!spec) throw new UsageError('Say which cameras with --cameras A,B (ids, id prefixes or names) or --cameras all.');
  const agents = await client.call('listAgents');
  if (spec === 'all') return agents;
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((ref) => agentByRef(agents, ref));
}

/** "name:{json}" → a variant. */
export function parseVariant(text: string): { name: string; override: Record<string, unknown> } {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new UsageError(`--variant must look like name:{"exposure_compensation":0.7}, not "${text}".`);
  const override = parseJson(text.slice(colon + 1), `The override of variant "${text.slice(0, colon)}"`);
  if (typeof override !== 'object' || override === null || Array.isArray(override)) {
    throw new UsageError(`The override of variant "${text.slice(0, colon)}" must be a JSON object.`);
  }
  return { name: text.slice(0, colon), override: override as Record<string, unknown> };
}

const fmt = (n: number | null, digits = 3): string => (n === null ? '-' : n.toFixed(digits));

export function resultsTable(r: TestResults): string {
  const head = `Test ${r.test.id}: ${r.test.status}, ${r.test.rounds} round(s) on ${r.test.agentIds.length} camera(s)`;
  const rows = formatTable([
    ['VARIANT', 'CAPTURES', 'BRIGHTNESS', 'CLIP HI', 'CLIP LO', 'FOCUS', 'ISO', 'SHUTTER', 'OVERRIDE'],
    ...r.variants.map((v) => [
      v.variant,
      String(v.captures),
      fmt(v.meanBrightness),
      fmt(v.clippedHighlights, 4),
      fmt(v.clippedShadows, 4),
      fmt(v.focusScore, 2),
      v.isoValues.join(',') || '-',
      v.shutterSpeeds.join(',') || '-',
      v.override ? JSON.stringify(v.override) : '-',
    ]),
  ]);
  const failures = r.test.failures.map((f) => `  ${f.agentId} ${f.variant} round ${f.round}: ${f.message}`);
  return [head, rows, ...(failures.length ? ['Failures:', ...failures] : [])].join('\n');
}

/** What a command group gets: the client, the words after its name, the flags and the output. */
interface CommandContext {
  client: StationClient;
  sub: string | undefined;
  rest: string[];
  flags: OrchestrationFlags;
  out: (s: string) => void;
  /** JSON with --json, else the human text. */
  emit: (value: unknown, human: () => string) => void;
}

/** skystation schedules list | import | export | create | update | delete | assign. */
async function schedulesCommand(c: CommandContext): Promise<number> {
  const { client, sub, rest, flags, out, emit } = c;
  switch (sub ?? 'list') {
    case 'list': {
      const list = await client.call('listSchedules');
      emit(
        list,
        () =>
          formatTable([
            ['NAME', 'TYPE', 'INTERVAL', 'ENABLED', 'CAMERAS'],
            ...list.map((s) => [
              s.name,
              s.schedule.type,
              `${s.schedule.interval_seconds}s`,
              s.schedule.enabled === false ? 'no' : 'yes',
              s.usedBy.join(',') || '-',
            ]),
          ]) || 'No schedules yet.',
      );
      return 0;
    }
    case 'import': {
      if (!rest[0]) throw new UsageError('Usage: skystation schedules import FILE');
      const text = await readFile(resolve(rest[0]), 'utf8');
      const r = await client.call('importConfig', { config: text });
      emit(
        r,
        () =>
          `Imported ${r.schedules} schedule(s) and ${r.cameras} camera(s)` +
          (r.unmatched.length ? `; not connected yet: ${r.unmatched.join(', ')}` : ''),
      );
      return 0;
    }
    case 'export': {
      const { config } = await client.call('exportConfig');
      const text = `${JSON.stringify(config, null, 2)}\n`;
      if (rest[0]) {
        await writeFileAtomic(resolve(rest[0]), text);
        emit({ written: resolve(rest[0]) }, () => `Wrote ${resolve(rest[0]!)}`);
      } else out(text.trimEnd());
      return 0;
    }
    case 'create':
    case 'update': {
      if (!rest[0]) throw new UsageError(`Usage: skystation schedules ${sub} NAME JSON`);
      const schedule = parseJson(rest[1], 'The schedule JSON') as never;
      const s = await client.call(sub === 'create' ? 'createSchedule' : 'updateSchedule', {
        name: rest[0],
        schedule,
      });
      emit(s, () => `Saved schedule ${s.name} (${s.schedule.type})`);
      return 0;
    }
    case 'delete': {
      if (!rest[0]) throw new UsageError('Usage: skystation schedules delete NAME [--force]');
      const r = await client.call('deleteSchedule', { name: rest[0], force: flags.force ?? false });
      emit(r, () => (r.deleted ? `Deleted ${rest[0]!}` : `No schedule ${rest[0]!}`));
      return 0;
    }
    case 'assign': {
      const [camera, ...names] = rest;
      if (!camera) throw new UsageError('Usage: skystation schedules assign CAMERA [SCHEDULE...] [--profile ID]');
      const [agent] = await resolveCameras(client, camera);
      const a = await client.call('assignSchedules', {
        agentId: agent!.id,
        schedules: names,
        ...(flags.profile ? { profileId: flags.profile } : {}),
      });
      emit(a, () => `${a.cameraId}: ${a.schedules.join(', ') || 'no schedules'} (profile ${a.profileId ?? '-'})`);
      return 0;
    }
    default:
      throw new UsageError(`Unknown "schedules ${sub}".`);
  }
}

/** skystation profiles list | show | create | … (the versioned profile library). */
async function profilesCommand(c: CommandContext): Promise<number> {
  const { client, sub, rest, flags, emit } = c;
  switch (sub ?? 'list') {
    case 'list': {
      const list = await client.call('listProfiles');
      emit(list, () =>
        formatTable([
          ['ID', 'LATEST', 'VERSIONS', 'EXTENDS', 'NAME'],
          ...list.map((p) => [p.profileId, p.latest, String(p.versions), p.extends ?? '-', p.name]),
        ]),
      );
      return 0;
    }
    case 'get': {
      if (!rest[0]) throw new UsageError('Usage: skystation profiles get ID [VERSION]');
      const d = await client.call('getProfile', { profileId: rest[0], ...(rest[1] ? { version: rest[1] } : {}) });
      emit(d, () => JSON.stringify(d, null, 2));
      return 0;
    }
    case 'create': {
      const draft = parseJson(rest[0], 'The profile JSON') as never;
      const v = await client.call('createProfile', { draft });
      emit(v, () => `Created ${v.profile_id} ${v.version}`);
      return 0;
    }
    case 'extend': {
      if (!rest[0]) throw new UsageError('Usage: skystation profiles extend PARENT[@VERSION] JSON');
      const [profile_id, version] = rest[0].split('@');
      const draft = parseJson(rest[1], 'The profile JSON') as never;
      const v = await client.call('extendProfile', {
        draft,
        parent: { profile_id: profile_id!, ...(version ? { version } : {}) },
      });
      emit(v, () => `Created ${v.profile_id} ${v.version} extending ${rest[0]!}`);
      return 0;
    }
    case 'version': {
      if (!rest[0]) throw new UsageError('Usage: skystation profiles version ID SETTINGS_JSON [--bump minor]');
      const settings = parseJson(rest[1], 'The settings JSON') as Record<string, unknown>;
      const bump = flags.bump as 'major' | 'minor' | 'patch' | undefined;
      const v = await client.call('saveProfileVersion', {
        profileId: rest[0],
        settings,
        ...(bump ? { bump } : {}),
        ...(flags.version ? { version: flags.version } : {}),
      });
      emit(v, () => `Saved ${v.profile_id} ${v.version}`);
      return 0;
    }
    case 'diff': {
      const [id, from, to] = rest;
      if (!id || !from || !to) throw new UsageError('Usage: skystation profiles diff ID FROM TO');
      const d = await client.call('diffProfile', { profileId: id, from, to });
      emit(d, () =>
        d.length === 0
          ? 'No differences.'
          : formatTable([
              ['FIELD', 'FROM', 'TO'],
              ...d.map((c) => [c.field, JSON.stringify(c.from) ?? '-', JSON.stringify(c.to) ?? '-']),
            ]),
      );
      return 0;
    }
    case 'rollback': {
      const [id, to] = rest;
      if (!id || !to) throw new UsageError('Usage: skystation profiles rollback ID VERSION');
      const v = await client.call('rollbackProfile', { profileId: id, toVersion: to });
      emit(v, () => `Rolled ${id} back to ${to} as ${v.version}`);
      return 0;
    }
    default:
      throw new UsageError(`Unknown "profiles ${sub}".`);
  }
}

/** skystation test run … | test results ID (override tests). */
async function testCommand(c: CommandContext): Promise<number> {
  const { client, sub, rest, flags, emit } = c;
  if (sub === 'run') {
    const cams = await resolveCameras(client, flags.cameras);
    const variants = (flags.variant ?? []).map(parseVariant);
    if (variants.length === 0) throw new UsageError('Name at least one --variant name:JSON.');
    const rounds = intFlag(flags.rounds, 'rounds');
    const t = await client.call('runTest', {
      agentIds: cams.map((c) => c.id),
      variants,
      ...(rounds ? { rounds } : {}),
      ...(flags.schedule ? { schedule: flags.schedule } : {}),
    });
    const r = await client.call('testResults', { testId: t.id });
    emit(r, () => resultsTable(r));
    return t.status === 'failed' ? 1 : 0;
  }
  if (sub === 'results') {
    if (!rest[0]) throw new UsageError('Usage: skystation test results ID');
    const r = await client.call('testResults', { testId: rest[0] });
    emit(r, () => resultsTable(r));
    return 0;
  }
  throw new UsageError('Usage: skystation test run ... | test results ID');
}

/** skystation tests: the override tests, newest first. */
async function testsCommand(c: CommandContext): Promise<number> {
  const { client, emit } = c;
  const list = await client.call('listTests');
  emit(
    list,
    () =>
      formatTable([
        ['ID', 'STATUS', 'CREATED', 'VARIANTS', 'CAMERAS'],
        ...list.map((t) => [
          t.id,
          t.status,
          t.createdAt,
          t.variants.map((v) => v.name).join(','),
          String(t.agentIds.length),
        ]),
      ]) || 'No tests yet.',
  );
  return 0;
}

/** Runs one command; returns the exit code (0 ok, 1 refused, 2 usage). */
export async function runOrchestrationCommand(
  client: StationClient,
  command: string,
  args: string[],
  flags: OrchestrationFlags,
  out: (s: string) => void,
): Promise<number> {
  const emit = (value: unknown, human: () => string): void =>
    out(flags.json ? JSON.stringify(value, null, 2) : human());
  const [sub, ...rest] = args;
  const ctx: CommandContext = { client, sub, rest, flags, out, emit };
  try {
    switch (command) {
      case 'location': {
        if (sub === 'set') {
          const [lat, lon, timezone, elev] = rest;
          if (lat === undefined || lon === undefined || timezone === undefined) {
            throw new UsageError('Usage: skystation location set LAT LON ZONE [ELEVATION_M]');
          }
          const loc = await client.call('setLocation', {
            latitude: Number(lat),
            longitude: Number(lon),
            timezone,
            ...(elev === undefined ? {} : { elevation_m: Number(elev) }),
          });
          emit(loc, () => `Location set: ${loc.latitude}, ${loc.longitude} (${loc.timezone})`);
        } else {
          const loc = await client.call('getLocation');
          emit(loc, () =>
            loc ? `${loc.latitude}, ${loc.longitude} (${loc.timezone})` : 'No location set; use "location set".',
          );
        }
        return 0;
      }
      case 'schedules':
        return await schedulesCommand(ctx);
      case 'profiles':
        return await profilesCommand(ctx);
      case 'plan': {
        const ids = args.length ? (await resolveCameras(client, args.join(','))).map((a) => a.id) : undefined;
        const days = intFlag(flags.days, 'days');
        const plans = await client.call('planPreview', {
          ...(ids ? { agentIds: ids } : {}),
          ...(days ? { days } : {}),
        });
        emit(
          plans,
          () =>
            plans
              .map(
                (p) =>
                  `${p.cameraId}: ${p.windows.length} windows, ~${p.captures} captures until ${p.horizon}\n` +
                  formatTable([
                    ['START', 'END', 'EVERY', 'SCHEDULE'],
                    ...p.windows.slice(0, 20).map((w) => [w.start, w.end, `${w.interval_seconds}s`, w.schedule]),
                  ]),
              )
              .join('\n\n') || 'No camera has schedules assigned.',
        );
        return 0;
      }
      case 'deploy': {
        if (!sub) throw new UsageError('Usage: skystation deploy PROFILE --cameras A,B|all [--version V] [--days N]');
        const cams = await resolveCameras(client, flags.cameras);
        const days = intFlag(flags.days, 'days');
        const results = await client.call('deployProfile', {
          agentIds: cams.map((c) => c.id),
          profileId: sub,
          ...(flags.version ? { version: flags.version } : {}),
          ...(days ? { days } : {}),
        });
        emit(results, () =>
          formatTable([
            ['CAMERA', 'RESULT', 'VERSION', 'WINDOWS', 'HORIZON', 'NOTE'],
            ...results.map((r) => [
              r.agentName,
              r.ok ? 'deployed' : 'failed',
              r.version ?? '-',
              String(r.windows),
              r.horizon ?? '-',
              r.error?.message ?? r.warning ?? '',
            ]),
          ]),
        );
        return results.every((r) => r.ok) ? 0 : 1;
      }
      case 'capture-fleet': {
        const cams = await resolveCameras(client, flags.cameras);
        const results = await client.call('captureFleet', {
          agentIds: cams.map((c) => c.id),
          ...(flags.schedule ? { schedule: flags.schedule } : {}),
        });
        emit(results, () =>
          formatTable([
            ['CAMERA', 'RESULT', 'ISO', 'SHUTTER', 'CAPTURE', 'ERROR'],
            ...results.map((r) => [
              r.agentName,
              r.ok ? 'ok' : 'failed',
              r.settings ? String(r.settings.iso) : '-',
              r.settings?.shutter_speed ?? '-',
              r.galleryId ?? '-',
              r.error?.message ?? '',
            ]),
          ]),
        );
        return results.every((r) => r.ok) ? 0 : 1;
      }
      case 'test':
        return await testCommand(ctx);
      case 'tests':
        return await testsCommand(ctx);
      case 'alerts': {
        const list = await client.call('listAlerts', { limit: 50 });
        emit(
          list,
          () =>
            formatTable([
              ['TIME', 'LEVEL', 'CODE', 'OPEN', 'MESSAGE'],
              ...list.map((a) => [a.time, a.level, a.code, a.resolvedAt ? 'no' : 'yes', a.message]),
            ]) || 'No alerts.',
        );
        return 0;
      }
      default:
        throw new UsageError(`Unknown command "${command}".`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    return reportFailure(err, flags.json, out);
  }
}
