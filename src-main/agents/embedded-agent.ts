import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { stopProgram } from '../../agent/src/util/run.js';
import { StationError } from '../util/errors.js';
import type { Logger } from '../util/log.js';

export interface EmbeddedAgent {
  host: string;
  port: number;
  /** The agent's admin token, read from <dataDir>/auth/admin.token once it listens (issue 4). */
  token: string;
  stop(): Promise<void>;
}

/** Walks up from `start` to the folder whose package.json is the Skystation app. */
export function findAppRoot(start: string): string {
  let dir = resolve(start);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name;
        if (name === 'skystation') return dir;
      } catch {
        // keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new StationError('app_root_missing', 'Cannot find the Skystation installation folder.');
    dir = parent;
  }
}

/** The command that runs the agent: the built one when present, else the TypeScript source through tsx. */
export function agentCommand(appRoot: string): { command: string; args: string[] } {
  // Inside Electron, run the agent with the system's Node: the agent's native
  // modules (better-sqlite3, serialport) are built for Node, not for Electron.
  const node = process.versions['electron'] === undefined ? process.execPath : 'node';
  const built = join(appRoot, 'agent', 'dist', 'cli.js');
  if (existsSync(built)) return { command: node, args: [built] };
  const source = join(appRoot, 'agent', 'src', 'cli.ts');
  if (existsSync(source)) return { command: node, args: ['--import', 'tsx', source] };
  throw new StationError('agent_missing', 'The simulated camera agent is not installed; run "npm run build" first.');
}

/**
 * Starts a simulated agent as a child process on 127.0.0.1 with a free port,
 * so a new user sees a working camera with no hardware. Resolves once the
 * agent logs that it is listening.
 */
export async function startEmbeddedAgent(opts: {
  dataDir: string;
  appRoot: string;
  log: Logger;
  extraArgs?: string[];
  /** The program and its first arguments (tests point it elsewhere); default agentCommand(appRoot). */
  command?: { command: string; args: string[] };
}): Promise<EmbeddedAgent> {
  const { command, args } = opts.command ?? agentCommand(opts.appRoot);
  const child: ChildProcess = spawn(
    command,
    [
      ...args,
      '--camera',
      'simulated',
      '--data-dir',
      opts.dataDir,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--name',
      'simulated-sky',
      '--no-mdns',
      // A simulated temperature/humidity/light sensor beside the simulated camera, so the demo has charts.
      '--sensor',
      'simulated',
      ...(opts.extraArgs ?? []),
    ],
    {
      cwd: opts.appRoot,
      env: { ...process.env, SKYSTATION_MDNS: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const stderr: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr.push(d);
    if (stderr.length > 50) stderr.shift();
  });

  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => {
      reject(
        new StationError('agent_start_timeout', `The simulated agent did not start in time. ${stderr.join('').trim()}`),
      );
      stopProgram(child, 'SIGKILL');
    }, 30_000);
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      let entry: { event?: unknown; port?: unknown };
      try {
        entry = JSON.parse(line) as { event?: unknown; port?: unknown };
      } catch {
        return;
      }
      if (entry.event === 'listening' && typeof entry.port === 'number') {
        clearTimeout(timer);
        resolvePort(entry.port);
      }
    });
    // Not started at all (no `node` on the PATH inside the desktop app): say so now, not after 30 s.
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new StationError('agent_start_failed', `Could not run the simulated agent with "${command}": ${err.message}`, {
          cause: err,
        }),
      );
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new StationError(
          'agent_start_failed',
          `The simulated agent exited (code ${code ?? 'signal'}): ${stderr.join('').trim()}`,
        ),
      );
    });
  });
  // Keep draining stdout so the child never blocks on a full pipe.
  child.stdout?.resume();
  child.on('exit', (code, signal) => {
    opts.log.warn({ code, signal }, 'embedded simulated agent exited');
  });
  opts.log.info({ port }, 'embedded simulated agent started');
  let token: string;
  try {
    token = readFileSync(join(resolve(opts.appRoot, opts.dataDir), 'auth', 'admin.token'), 'utf8').trim();
  } catch (cause) {
    stopProgram(child, 'SIGKILL');
    throw new StationError('agent_start_failed', 'The simulated agent started but wrote no admin token.', { cause });
  }

  return {
    host: '127.0.0.1',
    port,
    token,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        if (child.pid === undefined) return done();
        const kill = setTimeout(() => stopProgram(child, 'SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(kill);
          done();
        });
        stopProgram(child, 'SIGTERM');
      }),
  };
}
