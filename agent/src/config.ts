import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { AgentOptions } from './agent.js';
import { CAMERA_DRIVERS, parseCameraName } from './camera/factory.js';
import { mdnsEnabled } from './mdns.js';
import { DEFAULT_LOCATION } from './sky/model.js';
import { UsageError } from './util/errors.js';
import { LOG_LEVELS } from './util/log.js';

export const USAGE = `Usage: skystation-agent [options]

  --camera NAME          camera driver: ${CAMERA_DRIVERS.join(' | ')} (default simulated)
  --data-dir DIR         where captures, the journal and the deployed profile live (default ~/.skystation-agent)
  --host ADDR            address to listen on (default 0.0.0.0)
  --port N               HTTP + WebSocket port (default 8080; 0 picks a free one)
  --name NAME            the name the station shows (default this machine's hostname)
  --no-mdns              do not advertise on the network (also SKYSTATION_MDNS=off)
  --latitude DEG         site latitude for the simulated sky (default ${DEFAULT_LOCATION.latitude})
  --longitude DEG        site longitude (default ${DEFAULT_LOCATION.longitude})
  --sim-time ISO         start the simulated clock at this instant (default now)
  --sim-resolution WxH   simulated image size (default 1920x1080)
  --log-level LEVEL      ${LOG_LEVELS.join(' | ')} (default info)
  --help                 show this help
`;

const numberFrom = (flag: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .refine((s) => s !== '' && Number.isFinite(Number(s)), { message: `${flag} must be a number` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `${flag} must be between ${min} and ${max}` });

const CliFlags = z.object({
  camera: z.string().default('simulated'),
  'data-dir': z.string().min(1, '--data-dir must not be empty').optional(),
  host: z.string().min(1, '--host must not be empty').default('0.0.0.0'),
  port: numberFrom('--port', 0, 65535)
    .refine((n) => Number.isInteger(n), { message: '--port must be a whole number' })
    .optional(),
  name: z
    .string()
    .regex(/^[\w .-]{1,64}$/, '--name uses up to 64 letters, digits, spaces, _ . and -')
    .optional(),
  'no-mdns': z.boolean().default(false),
  latitude: numberFrom('--latitude', -90, 90).optional(),
  longitude: numberFrom('--longitude', -180, 180).optional(),
  'sim-time': z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), {
      message: '--sim-time must be an ISO date-time such as 2025-06-21T04:00:00Z',
    })
    .optional(),
  'sim-resolution': z
    .string()
    .regex(/^\d{2,5}x\d{2,5}$/, '--sim-resolution must look like 1920x1080')
    .refine(
      (s) => s.split('x').every((n) => Number(n) >= 16 && Number(n) <= 8192),
      '--sim-resolution sides must be between 16 and 8192 pixels',
    )
    .optional(),
  'log-level': z.enum(LOG_LEVELS, { message: `--log-level must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  help: z.boolean().default(false),
});

export type ParsedCli = { help: true } | { help: false; options: AgentOptions };

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p;
}

/** Parses argv strictly, then validates with zod; every problem is a UsageError with one sentence. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedCli {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        camera: { type: 'string' },
        'data-dir': { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        name: { type: 'string' },
        'no-mdns': { type: 'boolean' },
        latitude: { type: 'string' },
        longitude: { type: 'string' },
        'sim-time': { type: 'string' },
        'sim-resolution': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0]!.replace(/\.$/, '') : 'bad arguments';
    throw new UsageError(`${message}; run skystation-agent --help to see the options.`);
  }
  const parsed = CliFlags.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`${issue?.message ?? 'Invalid options'}; run skystation-agent --help to see the options.`);
  }
  const f = parsed.data;
  if (f.help) return { help: true };
  const camera = parseCameraName(f.camera);
  const [w, h] = f['sim-resolution'] ? f['sim-resolution'].split('x').map(Number) : [1920, 1080];
  const options: AgentOptions = {
    camera,
    dataDir: resolve(expandHome(f['data-dir'] ?? '~/.skystation-agent')),
    host: f.host,
    port: f.port ?? 8080,
    name: f.name ?? hostname(),
    mdns: mdnsEnabled(!f['no-mdns'], env),
    latitude: f.latitude ?? DEFAULT_LOCATION.latitude,
    longitude: f.longitude ?? DEFAULT_LOCATION.longitude,
    simWidth: w ?? 1920,
    simHeight: h ?? 1080,
    logLevel: f['log-level'],
  };
  if (f['sim-time']) options.simTime = new Date(f['sim-time']);
  return { help: false, options };
}
