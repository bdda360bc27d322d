/**
 * `skystation`: the command line beside the UI (seed 000). It talks to the
 * running station over its WebSocket API.
 *
 *   skystation status | agents | add HOST PORT | capture AGENT | sync AGENT | captures [AGENT]
 *   options: --url ws://127.0.0.1:8082/api/ws  --json
 *
 * Exit codes: 0 ok, 1 the station refused or failed, 2 bad usage, 3 station unreachable.
 */
import type { AgentView, CaptureView } from '../api/contract.js';
import {
  agentByRef,
  connectOrSay,
  parseCommandArgs,
  reportFailure,
  stationFlags,
  type StationClient,
} from './client.js';
import { runPasswordCommand } from '../auth/index.js';
import { isOrchestrationCommand, ORCHESTRATION_USAGE, runOrchestrationCli } from '../orchestration/cli.js';
import { runExportCommand } from './export-cmd.js';
import { runPairCommand } from './pair-cmd.js';
import { runSettingsCommand } from './settings-cmd.js';
import { formatTable } from './table.js';

const USAGE = `Usage: skystation <command> [args] [--json] [--url ws://127.0.0.1:8082/api/ws]
Commands:
  status                 station health and agents
  agents                 list agents
  add HOST PORT          add an agent by address
  pair HOST:PORT CODE    pair with a camera by address using its 6-digit code (or: pair --id AGENT CODE)
  capture AGENT          take a picture now (AGENT: id, id prefix or name)
          [--bracket -2,0,2]  a bracketed set for HDR: offsets in stops from the metered exposure
          [--dark]            a dark frame: cap the lens first (kept for dark-frame subtraction)
  sync AGENT             copy new captures from an agent
  captures [AGENT] [--darks]   newest captures (--darks: only dark frames)
  mark-dark ID...        mark captures as dark frames (lens capped; ID as in captures --json, AGENT/CAPTURE)
  unmark-dark ID...      make marked captures lights again
  session start|stop|status AGENT [--interval 10]   a timelapse session on one camera
  clock AGENT [--set]    compare an agent's clock with the station's; --set corrects it
  export --camera ID --from ISO --to ISO [--preset 1080p-h264] [--fps 25] ...
                         make a timelapse (skystation export --help)
  settings [get|set KEY VALUE|test weather|archive]   weather provider and S3 archive (skystation settings --help)
${ORCHESTRATION_USAGE}
  password set [--data-dir DIR]    the operator password for serving off this computer`;

function agentsTable(agents: readonly AgentView[]): string {
  return formatTable([
    ['ID', 'NAME', 'ADDRESS', 'STATE', 'CAMERA', 'DISK', 'TEMP', 'UNSYNCED', 'PROFILE', 'PLAN UNTIL'],
    ...agents.map((a) => [
      a.id.slice(0, 8),
      a.name,
      `${a.host}:${a.port}`,
      a.state,
      a.cameraModel ?? '-',
      a.diskUsedPercent === null ? '-' : `${a.diskUsedPercent.toFixed(0)}%`,
      a.temperatureC === null || a.temperatureC === undefined ? '-' : `${a.temperatureC.toFixed(1)}°C`,
      a.unsynced === null ? '-' : String(a.unsynced),
      a.deployment
        ? `${a.deployment.profileId} ${a.deployment.version}${a.deployment.status === 'failed' ? ' (deploy failed)' : ''}`
        : '-',
      a.deployment?.horizon ? a.deployment.horizon.slice(0, 10) : '-',
    ]),
  ]);
}

function capturesTable(items: readonly CaptureView[]): string {
  return formatTable([
    ['TIME', 'AGENT', 'ISO', 'SHUTTER', 'LUX', 'SCHEDULE', 'KIND', 'FILE', 'ID'],
    ...items.map((c) => [
      c.capturedAt,
      c.agentName,
      c.iso === null ? 'unknown' : String(c.iso),
      c.shutterSpeed ?? 'unknown',
      c.lux === null ? '-' : c.lux.toFixed(c.lux < 10 ? 3 : 0),
      c.schedule ?? '-',
      c.frameKind === 'dark'
        ? 'dark'
        : c.bracket
          ? `bracket ${c.bracket.index + 1}/${c.bracket.count} ${c.bracket.ev >= 0 ? '+' : ''}${c.bracket.ev}EV`
          : 'light',
      c.imagePath,
      c.id,
    ]),
  ]);
}

async function resolveAgent(client: StationClient, ref: string): Promise<AgentView> {
  return agentByRef(await client.call('listAgents'), ref);
}

/** `--bracket -2,0,2`: a value that starts with a dash would read as an option, so it is joined as `--bracket=-2,0,2`. */
function joinBracketValue(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--bracket' && argv[i + 1] !== undefined && /^-?[\d.]/.test(argv[i + 1]!)) {
      out.push(`--bracket=${argv[i + 1]!}`);
      i++;
    } else out.push(argv[i]!);
  }
  return out;
}

// eslint-disable-next-line max-lines-per-function -- the CLI's command switch, one short case per command, so every command is found in one place.
export async function runCli(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
): Promise<number> {
  if (argv[0] === 'export') return runExportCommand(argv.slice(1), out);
  if (argv[0] === 'pair') return runPairCommand(argv.slice(1), out);
  if (argv[0] === 'settings') return runSettingsCommand(argv.slice(1), out);
  if (isOrchestrationCommand(argv[0])) return runOrchestrationCli(argv, out);
  if (argv[0] === 'password') return runPasswordCommand(argv.slice(1), out);
  const parsed = parseCommandArgs(
    joinBracketValue(argv),
    {
      bracket: { type: 'string' },
      dark: { type: 'boolean', default: false },
      set: { type: 'boolean', default: false },
      darks: { type: 'boolean', default: false },
      interval: { type: 'string' },
      ...stationFlags(),
    },
    USAGE,
  );
  if (!parsed) return 2;
  const [command, ...rest] = parsed.positionals;
  const json = parsed.values.json;
  if (parsed.values.help || command === undefined) {
    out(USAGE);
    return command === undefined && !parsed.values.help ? 2 : 0;
  }
  const emit = (value: unknown, human: () => string): void => out(json ? JSON.stringify(value, null, 2) : human());
  const needArgs = (n: number): boolean => {
    if (rest.length >= n) return true;
    process.stderr.write(`"${command}" needs ${n} argument(s).\n${USAGE}\n`);
    return false;
  };
  const known = [
    'status',
    'agents',
    'add',
    'capture',
    'sync',
    'captures',
    'clock',
    'session',
    'mark-dark',
    'unmark-dark',
  ];
  if (!known.includes(command)) {
    process.stderr.write(`Unknown command "${command}".\n${USAGE}\n`);
    return 2;
  }
  const action = command === 'session' ? rest[0] : undefined;
  if (command === 'session' && action !== undefined && !['start', 'stop', 'status'].includes(action)) {
    process.stderr.write(`session takes start, stop or status, not "${action}".\n${USAGE}\n`);
    return 2;
  }
  const interval = parsed.values.interval === undefined ? 10 : Number(parsed.values.interval);
  if (command === 'session' && (!Number.isInteger(interval) || interval < 1 || interval > 3600)) {
    process.stderr.write(`--interval is a whole number of seconds from 1 to 3600, not "${parsed.values.interval}".\n`);
    return 2;
  }
  if (
    (command === 'add' && !needArgs(2)) ||
    ((command === 'capture' || command === 'sync' || command === 'clock') && !needArgs(1)) ||
    (command === 'session' && !needArgs(2)) ||
    ((command === 'mark-dark' || command === 'unmark-dark') && !needArgs(1))
  )
    return 2;

  const client = await connectOrSay(parsed.values.url);
  if (!client) return 3;
  try {
    switch (command) {
      case 'status': {
        const [health, agents] = await Promise.all([client.call('health'), client.call('listAgents')]);
        emit(
          { health, agents },
          () =>
            `Station ${health.version}: ${health.agentsOnline}/${health.agents} agents online, ${health.captures} captures\n\n${agentsTable(agents)}`,
        );
        break;
      }
      case 'agents': {
        const agents = await client.call('listAgents');
        emit(agents, () => agentsTable(agents));
        break;
      }
      case 'add': {
        const port = Number(rest[1]);
        if (!Number.isInteger(port) || port < 1 || port > 65535) {
          process.stderr.write(`PORT must be a number from 1 to 65535, not "${rest[1]}".\n`);
          return 2;
        }
        const agent = await client.call('addAgent', { host: rest[0]!, port });
        emit(agent, () => `Added ${agent.name} (${agent.id}) at ${agent.host}:${agent.port}: ${agent.state}`);
        break;
      }
      case 'capture': {
        const agent = await resolveAgent(client, rest[0]!);
        const frameKind = parsed.values.dark ? ('dark' as const) : undefined;
        if (parsed.values.bracket !== undefined) {
          const evs = parsed.values.bracket.split(',').map((v) => (v.trim() === '' ? NaN : Number(v)));
          if (evs.length < 2 || evs.some((ev) => !Number.isFinite(ev))) {
            process.stderr.write(
              `--bracket takes 2 to 9 offsets in stops, like -2,0,2, not "${parsed.values.bracket}".\n`,
            );
            return 2;
          }
          const set = await client.call('captureBracket', {
            agentId: agent.id,
            evs,
            ...(frameKind ? { frameKind } : {}),
          });
          emit(set, () =>
            [
              `Captured a bracketed set of ${set.length} on ${agent.name}${frameKind ? ' (dark frames)' : ''}:`,
              ...set.map((c) => `  ${c.bracket?.ev ?? 0} EV  ${c.imagePath} (ISO ${c.iso}, ${c.shutterSpeed} s)`),
            ].join('\n'),
          );
          break;
        }
        const c = await client.call('captureNow', { agentId: agent.id, ...(frameKind ? { frameKind } : {}) });
        emit(
          c,
          () =>
            `Captured ${frameKind ? 'a dark frame ' : ''}${c.imagePath} (ISO ${c.iso}, ${c.shutterSpeed} s) on ${agent.name}`,
        );
        break;
      }
      case 'sync': {
        const agent = await resolveAgent(client, rest[0]!);
        const r = await client.call('syncAgent', { agentId: agent.id });
        emit(r, () => `Imported ${r.imported} new capture(s) from ${agent.name}`);
        break;
      }
      case 'clock': {
        const agent = await resolveAgent(client, rest[0]!);
        if (parsed.values.set) {
          const r = await client.call('setAgentClock', { agentId: agent.id });
          emit(
            r,
            () =>
              `${agent.name}: clock was ${(r.offsetBeforeMs / 1000).toFixed(3)} s off, now ${(r.offsetAfterMs / 1000).toFixed(3)} s (${r.applied === 'system_clock' ? 'system clock set' : 'offset applied on the agent'})`,
          );
        } else {
          const views = await client.call('listAgents');
          const offset = views.find((v) => v.id === agent.id)?.clockOffsetMs ?? null;
          emit({ agentId: agent.id, clockOffsetMs: offset }, () =>
            offset === null
              ? `${agent.name}: not compared yet (it has not been online since the station started)`
              : `${agent.name}: clock ${(offset / 1000).toFixed(3)} s ${offset >= 0 ? 'ahead of' : 'behind'} the station (--set corrects it)`,
          );
        }
        break;
      }
      case 'session': {
        const agent = await resolveAgent(client, rest[1]!);
        const view =
          action === 'start'
            ? await client.call('startSession', { agentId: agent.id, intervalSeconds: interval })
            : action === 'stop'
              ? await client.call('stopSession', { agentId: agent.id })
              : await client.call('sessionStatus', { agentId: agent.id });
        emit(view, () =>
          view.active
            ? `${agent.name}: timelapse session every ${view.intervalSeconds} s since ${view.startedAt}, ${view.captures} captures (${view.failed} failed), next at ${view.nextCaptureAt ?? '-'}`
            : view.startedAt
              ? `${agent.name}: no session running; the last one took ${view.captures} captures and stopped at ${view.stoppedAt ?? '-'} (${view.stopReason ?? 'stopped'})`
              : `${agent.name}: no session yet`,
        );
        break;
      }
      case 'captures': {
        const agentId = rest[0] ? (await resolveAgent(client, rest[0])).id : undefined;
        const page = await client.call('listCaptures', {
          limit: 20,
          ...(agentId ? { agentId } : {}),
          ...(parsed.values.darks ? { frameKind: 'dark' as const } : {}),
        });
        emit(page, () => capturesTable(page.items) || (parsed.values.darks ? 'No dark frames.' : 'No captures yet.'));
        break;
      }
      case 'mark-dark':
      case 'unmark-dark': {
        const kind = command === 'mark-dark' ? 'dark' : 'light';
        const r = await client.call('setFrameKind', { ids: rest, kind });
        emit(r, () =>
          [
            `${r.updated.length} capture(s) marked as ${kind === 'dark' ? 'dark frames' : 'lights'}.`,
            ...r.missing.map((id) => `Not in the gallery: ${id}`),
          ].join('\n'),
        );
        return r.missing.length > 0 ? 1 : 0;
      }
    }
    return 0;
  } catch (err) {
    return reportFailure(err, json, out);
  } finally {
    client.close();
  }
}
