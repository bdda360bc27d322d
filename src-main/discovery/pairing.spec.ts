import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startAgentProcess, type RunningProcess } from '../../tests/helpers/processes.js';
import {
  loadOrCreateStationIdentity,
  pairWithAgent,
  parseAgentAddress,
  probeHealth,
  type StationIdentity,
} from './pairing.js';

const dirs: string[] = [];
const procs: RunningProcess[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'skys-pair-'));
  dirs.push(d);
  return d;
}
function pairingCode(p: RunningProcess): string {
  const line = p.stdout.find((l) => l.includes('"event":"pairing_code"'));
  if (!line) throw new Error(`the agent printed no pairing code:\n${p.stdout.join('\n')}`);
  return (JSON.parse(line) as { code: string }).code;
}
const wrongCode = (code: string): string => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('parseAgentAddress', () => {
  it('reads HOST:PORT, a bare host, [v6]:PORT and http(s) URLs', () => {
    expect(parseAgentAddress('10.0.0.5:8123')).toEqual({ host: '10.0.0.5', port: 8123 });
    expect(parseAgentAddress('roof-pi.local')).toEqual({ host: 'roof-pi.local', port: 8080 });
    expect(parseAgentAddress('[fe80::1]:9000')).toEqual({ host: 'fe80::1', port: 9000 });
    expect(parseAgentAddress('https://10.0.0.5:8443')).toEqual({ host: '10.0.0.5', port: 8443, tls: true });
    expect(parseAgentAddress('http://cam')).toEqual({ host: 'cam', port: 8080, tls: false });
  });
  it('refuses what is not an address, with a stable code', () => {
    for (const bad of ['', 'a b', 'host:99999', 'host:port', 'ftp://x']) {
      expect(() => parseAgentAddress(bad)).toThrow(expect.objectContaining({ code: 'bad_address' }) as Error);
    }
  });
});

describe('station identity', () => {
  it('is made once and then kept', async () => {
    const dir = await tempDir();
    const a = await loadOrCreateStationIdentity(dir);
    const b = await loadOrCreateStationIdentity(dir);
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.id).toBe(a.id);
    expect(a.name).toMatch(/^Skystation on /);
  });
});

describe('pairing with a real agent', () => {
  const station: StationIdentity = { id: 'b7f3c2a0-0000-4000-8000-00000000000a', name: 'Spec station' };

  it('refuses a wrong code and pairs with the right one; the token then opens the API', async () => {
    const agent = await startAgentProcess(await tempDir());
    procs.push(agent);
    const code = pairingCode(agent);
    const target = { host: '127.0.0.1', port: agent.port };
    await expect(pairWithAgent(target, { code: wrongCode(code), station })).rejects.toMatchObject({
      code: 'pairing_code_invalid',
    });
    const r = await pairWithAgent(target, { code, station });
    expect(r.tls).toBe(false);
    expect(r.tlsFingerprint).toBeNull();
    const health = await probeHealth(target, null);
    expect(r.agentId).toBe(health.id);
    const status = await fetch(`http://127.0.0.1:${agent.port}/status`, {
      headers: { authorization: `Bearer ${r.token}` },
    });
    expect(status.status).toBe(200);
    const refused = await fetch(`http://127.0.0.1:${agent.port}/status`);
    expect(refused.status).toBe(401);
  });

  it('pairs with a TLS agent on first use and pins its certificate; a wrong pin sends no code', async () => {
    const dataDir = await tempDir();
    const agent = await startAgentProcess(dataDir, ['--tls']);
    procs.push(agent);
    const code = pairingCode(agent);
    const cert = new X509Certificate(await readFile(join(dataDir, 'auth', 'cert.pem')));
    const target = { host: '127.0.0.1', port: agent.port };

    const wrongPin = cert.fingerprint256.replace(/^../, cert.fingerprint256.startsWith('00') ? '11' : '00');
    await expect(pairWithAgent(target, { code, station, expectedFingerprint: wrongPin })).rejects.toMatchObject({
      code: 'agent_tls_mismatch',
    });
    expect(agent.stdout.some((l) => l.includes('"event":"pair.'))).toBe(false);

    // No scheme given: HTTPS is tried first (the code never travels in clear).
    const r = await pairWithAgent(target, { code, station });
    expect(r.tls).toBe(true);
    expect(r.tlsFingerprint).toBe(cert.fingerprint256);
    // A code serves one pairing: the next one takes the new code.
    const next = (JSON.parse(await readFile(join(dataDir, 'auth', 'pairing.json'), 'utf8')) as { code: string }).code;
    const pinned = await pairWithAgent(target, { code: next, station, expectedFingerprint: cert.fingerprint256 });
    expect(pinned.agentId).toBe(r.agentId);
    expect((await probeHealth(target, cert.fingerprint256)).tls).toBe(true);
  });

  it('says a camera is unreachable with a stable code', async () => {
    await expect(pairWithAgent({ host: '127.0.0.1', port: 9 }, { code: '123456', station })).rejects.toMatchObject({
      code: 'agent_unreachable',
    });
  });
});
