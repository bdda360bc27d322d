import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { AgentOptions } from './agent.js';
import { CAMERA_DRIVERS, parseCameraName } from './camera/factory.js';
import { MDNS_MODES, mdnsEnabled, mdnsModeFrom } from './mdns.js';
import { DEFAULT_LOCATION } from './sky/model.js';
import { UsageError } from './util/errors.js';
import { LOG_LEVELS } from './util/log.js';
import { parseSensorSpecs, SENSOR_SPEC_FORMS } from './sensors/spec.js';

export const USAGE = `Usage: skystation-agent [options]

  --camera NAME          camera driver: ${CAMERA_DRIVERS.join(' | ')} (default simulated)
  --indi-server HOST:PORT  INDI server for --camera indi (auto picks indi when this is set)
  --indi-device NAME     INDI camera device (default: the first camera the server offers)
  --gphoto2-port PORT    gphoto2 camera port such as usb:001,005 (default: the first detected)
  --v4l2-device PATH     USB camera device for --camera v4l2 (default /dev/video0)
  --data-dir DIR         where captures, the journal and the deployed profile live (default ~/.skystation-agent)
  --host ADDR            address to listen on (default 0.0.0.0)
  --port N               HTTP + WebSocket port (default 8080; 0 picks a free one)
  --name NAME            the name the station shows (default this machine's hostname)
  --no-mdns              do not advertise on the network (also SKYSTATION_MDNS=off)
  --mdns MODE            mDNS advertiser: bonjour (built in, default) | avahi (the system's avahi-daemon)
  --latitude DEG         site latitude for the simulated sky (default ${DEFAULT_LOCATION.latitude})
  --longitude DEG        site longitude (default ${DEFAULT_LOCATION.longitude})
  --sim-time ISO         start the simulated clock at this instant (default now)
  --sim-resolution WxH   simulated image size (default 1920x1080)
  --log-level LEVEL      ${LOG_LEVELS.join(' | ')} (default info, or logging.level in the config file)
  --config FILE          YAML config (default DATA_DIR/agent.yaml when present; SKYSTATION_AGENT_* override it)
  --sensor SPEC          a sensor, repeatable: ${SENSOR_SPEC_FORMS.join(' | ')} (replaces the config file's list)
  --allow-set-system-clock  POST /clock sets the system clock (needs CAP_SYS_TIME), not the agent's own offset
  --tls                  serve HTTPS/WSS with a self-signed certificate (made once in DATA_DIR/auth)
  --help                 show this help

Access (every endpoint but /health, /metrics and POST /pair needs a token):
  skystation-agent pair [--data-dir DIR] [--new]      print the pairing code for a station
  skystation-agent token [--data-dir DIR]             print the local admin token
  skystation-agent tokens list|revoke ID [--data-dir DIR]
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
  'indi-server': z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/, '--indi-server must look like HOST:PORT')
    .optional(),
  'indi-device': z.string().min(1).max(128, '--indi-device is at most 128 characters').optional(),
  'gphoto2-port': z
    .string()
    .regex(/^(usb|serial|ptpip|ip):[\w.,:/-]*$/, '--gphoto2-port must look like usb:001,005')
    .optional(),
  'v4l2-device': z
    .string()
    .regex(/^\/dev\/[\w./-]+$/, '--v4l2-device must be a device path such as /dev/video0')
    .optional(),
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
  mdns: z.enum(MDNS_MODES, { message: `--mdns must be one of ${MDNS_MODES.join(', ')}` }).optional(),
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
  'log-level': z.enum(LOG_LEVELS, { message: `--log-level must be one of ${LOG_LEVELS.join(', ')}` }).optional(),
  config: z.string().min(1, '--config must not be empty').optional(),
  sensor: z.array(z.string()).default([]),
  help: z.boolean().default(false),
  'allow-set-system-clock': z.boolean().default(false),
  tls: z.boolean().default(false),
});

export type ParsedCli = { help: true } | { help: false; options: AgentOptions };

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p;
}

/** Parses argv strictly, then validates with zod; every problem is a UsageError with one sentence. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedCli {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        camera: { type: 'string' },
        'indi-server': { type: 'string' },
        'indi-device': { type: 'string' },
        'gphoto2-port': { type: 'string' },
        'v4l2-device': { type: 'string' },
        'data-dir': { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        name: { type: 'string' },
        'no-mdns': { type: 'boolean' },
        mdns: { type: 'string' },
        latitude: { type: 'string' },
        longitude: { type: 'string' },
        'sim-time': { type: 'string' },
        'sim-resolution': { type: 'string' },
        'log-level': { type: 'string' },
        config: { type: 'string' },
        sensor: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
        'allow-set-system-clock': { type: 'boolean' },
        tls: { type: 'boolean' },
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
    mdnsMode: mdnsModeFrom(f.mdns, env),
    latitude: f.latitude ?? DEFAULT_LOCATION.latitude,
    longitude: f.longitude ?? DEFAULT_LOCATION.longitude,
    simWidth: w ?? 1920,
    simHeight: h ?? 1080,
    ...(f['log-level'] === undefined ? {} : { logLevel: f['log-level'] }),
  };
  if (f['sim-time']) options.simTime = new Date(f['sim-time']);
  if (f.config) options.configPath = resolve(expandHome(f.config));
  if (f.sensor.length > 0) {
    parseSensorSpecs(f.sensor); // an unknown kind is a usage error now, not at start
    options.sensors = f.sensor;
  }
  if (f['allow-set-system-clock']) options.allowSetSystemClock = true;
  if (f.tls) options.tls = true;
  if (camera === 'indi' && !f['indi-server']) {
    throw new UsageError('--camera indi needs --indi-server HOST:PORT (for example 127.0.0.1:7624).');
  }
  if (f['indi-server']) options.indiServer = f['indi-server'];
  if (f['indi-device']) options.indiDevice = f['indi-device'];
  if (f['gphoto2-port']) options.gphoto2Port = f['gphoto2-port'];
  if (f['v4l2-device']) options.v4l2Device = f['v4l2-device'];
  return { help: false, options };
}
