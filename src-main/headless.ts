/**
 * The brain without Electron: `node out/main/headless.js [--data-dir DIR (default
 * $SKYSTATION_DATA_DIR, else ~/.skystation)]
 * [--host 127.0.0.1] [--port 8082] [--no-embedded-agent]`. Serves the UI and
 * its API, and prints the URL.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { findAppRoot } from './agents/embedded-agent.js';
import { isLoopbackHost, prepareLogin } from './auth/index.js';
import { startStation, type Station } from './brain/index.js';
import { startHttpServer, type StationServer } from './server/http-server.js';
import { weatherFromEnv } from './weather/from-env.js';
import { defaultDataDir } from './util/data-dir.js';
import { errorMessage } from './util/errors.js';

const Options = z.strictObject({
  'data-dir': z.string().min(1).default(defaultDataDir()),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(8082),
  'embedded-agent': z.enum(['auto', 'always', 'never']).default('auto'),
  'sim-time': z.string().optional(),
  'require-login': z.boolean().optional(),
  /** Further host names the station answers to (DNS rebinding guard); also SKYSTATION_ALLOWED_HOSTS=a,b. */
  'allowed-host': z.array(z.string().min(1).max(253)).default([]),
  help: z.boolean().optional(),
});

const usage = `Usage: skystation-headless [--data-dir DIR] [--host 127.0.0.1] [--port 8082] [--embedded-agent auto|always|never] [--require-login] [--allowed-host NAME ...]`;

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function rendererDir(): string {
  const beside = resolve(import.meta.dirname, '../renderer');
  if (existsSync(join(beside, 'index.html'))) return beside;
  return join(findAppRoot(import.meta.dirname), 'out', 'renderer');
}

async function main(): Promise<void> {
  let raw: Record<string, unknown>;
  try {
    raw = parseArgs({
      options: {
        'data-dir': { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string', default: process.env['SKYSTATION_PORT'] },
        'embedded-agent': { type: 'string' },
        'sim-time': { type: 'string' },
        'require-login': { type: 'boolean' },
        'allowed-host': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    fail(`${errorMessage(err)}. ${usage}`, 2);
  }
  for (const k of Object.keys(raw)) if (raw[k] === undefined) delete raw[k];
  const parsed = Options.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(`--${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}. ${usage}`, 2);
  }
  const o = parsed.data;
  if (o.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  // Off loopback the station needs the operator's login; --require-login forces it on loopback too.
  const needsLogin = o['require-login'] === true || !isLoopbackHost(o.host);

  let station: Station | null = null;
  let server: StationServer | null = null;
  const shutdown = async (code: number): Promise<void> => {
    await server?.close();
    await station?.close();
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));

  try {
    const auth = needsLogin ? await prepareLogin(resolve(o['data-dir'])) : undefined;
    station = await startStation({
      dataDir: resolve(o['data-dir']),
      embeddedAgent: o['embedded-agent'] === 'always' ? true : o['embedded-agent'] === 'never' ? false : 'auto',
      ...(o['sim-time'] ? { embeddedAgentArgs: ['--sim-time', o['sim-time']] } : {}),
      orchestration: { weather: weatherFromEnv() },
    });
    server = await startHttpServer(station, {
      host: o.host,
      port: o.port,
      rendererDir: rendererDir(),
      auth,
      allowedHosts: [
        ...o['allowed-host'],
        ...(process.env['SKYSTATION_ALLOWED_HOSTS'] ?? '').split(',').filter((h) => h.trim() !== ''),
      ],
    });
  } catch (err) {
    await station?.close().catch(() => undefined);
    fail(errorMessage(err), 1);
  }
  process.stdout.write(`Skystation is running at ${server.url}\n`);
}

void main();
