/**
 * Station login (issue #5): loopback needs none; any other bind address (or
 * --require-login) needs the operator's password, set on first start with
 * `skystation password set` or SKYSTATION_PASSWORD for non-interactive starts.
 */
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultDataDir } from '../util/data-dir.js';
import { StationError, errorMessage } from '../util/errors.js';
import { AuthGate } from './gate.js';
import { PasswordStore } from './password.js';

export { AuthGate, SESSION_COOKIE, loginPage } from './gate.js';
export { PasswordStore, MIN_PASSWORD_LENGTH } from './password.js';

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The gate for a station that needs a login; sets the password from SKYSTATION_PASSWORD on first start. */
export async function prepareLogin(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<AuthGate> {
  const passwords = new PasswordStore(dataDir);
  if (!(await passwords.isSet())) {
    const fromEnv = env['SKYSTATION_PASSWORD'];
    if (fromEnv === undefined || fromEnv === '') {
      throw new StationError(
        'password_not_set',
        `Serving the station beyond this computer needs an operator password: run "skystation password set --data-dir ${dataDir}" or start with SKYSTATION_PASSWORD set.`,
      );
    }
    await passwords.set(fromEnv);
  }
  return new AuthGate({ passwords });
}

async function readLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
  }
}

/** `skystation password set [--data-dir DIR]`: the password comes from SKYSTATION_PASSWORD or the first line of stdin. */
export async function runPasswordCommand(argv: string[], out: (s: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { 'data-dir': { type: 'string', default: defaultDataDir() } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\nUsage: skystation password set [--data-dir DIR]\n`);
    return 2;
  }
  if (parsed.positionals[0] !== 'set') {
    process.stderr.write(
      'Usage: skystation password set [--data-dir DIR] (password from SKYSTATION_PASSWORD or stdin)\n',
    );
    return 2;
  }
  const dataDir = resolve(parsed.values['data-dir']);
  let password = process.env['SKYSTATION_PASSWORD'] ?? '';
  if (password === '') {
    if (process.stdin.isTTY) process.stderr.write('New station password: ');
    password = (await readLine()).replace(/\r$/, '');
  }
  try {
    await new PasswordStore(dataDir).set(password);
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n`);
    return 1;
  }
  out(`Station password set for ${dataDir}. It takes effect at once, also for a running station.`);
  return 0;
}
