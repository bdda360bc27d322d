/**
 * `skystation pair`: pair the running station with a camera using the 6-digit
 * code the camera shows (`skystation-agent pair` on the camera prints it).
 *
 *   skystation pair HOST:PORT CODE     by address (also http(s)://HOST:PORT)
 *   skystation pair --id ID CODE       a camera the station sees on the network (id, id prefix or name)
 *
 * Exit codes: 0 paired, 1 the camera or station refused, 2 bad usage, 3 station unreachable.
 */
import type { AgentView } from '../api/contract.js';
import { agentByRef, connectOrSay, parseCommandArgs, reportFailure, stationFlags } from './client.js';

export const PAIR_USAGE = `Usage: skystation pair HOST:PORT CODE | skystation pair --id AGENT CODE [--json] [--url URL]
  HOST:PORT      the camera's address (port 8080 when left out; http(s)://HOST:PORT also works)
  --id AGENT     a camera listed by "skystation agents": id, id prefix or name
  CODE           the 6 digits the camera shows ("skystation-agent pair" on the camera)
Exit codes: 0 paired, 1 refused, 2 bad usage, 3 station unreachable.`;

function describe(a: AgentView): string {
  const tls = a.tlsFingerprint ? `; TLS certificate pinned (${a.tlsFingerprint.slice(0, 23)}…)` : '';
  return `Paired with ${a.name} (${a.id}) at ${a.host}:${a.port}: ${a.state}${tls}`;
}

export async function runPairCommand(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
): Promise<number> {
  const parsed = parseCommandArgs(argv, { id: { type: 'string' }, ...stationFlags() }, PAIR_USAGE);
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  if (values.help) {
    out(PAIR_USAGE);
    return 0;
  }
  const byId = values.id !== undefined;
  const expected = byId ? 1 : 2;
  if (positionals.length !== expected) {
    process.stderr.write(
      `${byId ? '"pair --id AGENT" needs the CODE' : '"pair" needs HOST:PORT and CODE'}.\n${PAIR_USAGE}\n`,
    );
    return 2;
  }
  const code = positionals[expected - 1]!;
  if (!/^\d{6}$/.test(code)) {
    process.stderr.write(`The pairing code is the 6 digits the camera shows, not "${code}".\n`);
    return 2;
  }

  const client = await connectOrSay(values.url);
  if (!client) return 3;
  try {
    let params: { agentId: string; code: string } | { url: string; code: string };
    if (byId) {
      const agent = agentByRef(await client.call('listAgents'), values.id!, (a) => `${a.name} (${a.state})`);
      params = { agentId: agent.id, code };
    } else {
      params = { url: positionals[0]!, code };
    }
    const agent = await client.call('pairAgent', params);
    out(json(values.json, agent) ?? describe(agent));
    return 0;
  } catch (err) {
    return reportFailure(err, values.json, out);
  } finally {
    client.close();
  }
}

function json(enabled: boolean, value: unknown): string | null {
  return enabled ? JSON.stringify(value, null, 2) : null;
}
