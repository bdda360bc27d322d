/**
 * The command line against a station that requires a login: POST /api/login
 * with SKYSTATION_PASSWORD and return the session cookie for the WebSocket.
 */
import { StationError } from '../util/errors.js';

/** Cookie header value ("skystation_session=…") for the station behind `wsUrl`. */
export async function cliLogin(wsUrl: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const password = env['SKYSTATION_PASSWORD'];
  if (password === undefined || password === '') {
    throw new StationError(
      'login_required',
      'This station requires a login; set SKYSTATION_PASSWORD to the operator password and run the command again.',
    );
  }
  const url = new URL('/api/login', wsUrl.replace(/^ws/, 'http'));
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (cause) {
    throw new StationError('station_unreachable', `No station answers at ${url.origin}.`, { cause });
  }
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  if (!res.ok || !cookie) {
    throw new StationError('login_failed', 'The station refused the password in SKYSTATION_PASSWORD.');
  }
  return cookie;
}
