/**
 * Optional TLS (agent --tls) and certificate pinning in the station's
 * AgentClient: the right certificate is accepted, a different one refused.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { tlsFingerprint } from '../../agent/src/auth/tls.js';
import { PairResponse } from '../../agent/src/protocol/index.js';
import { AgentClient } from '../../src-main/agents/agent-client.js';
import { StationError } from '../../src-main/util/errors.js';
import { ROOT, runToExit, startAgentProcess, waitForLine } from '../helpers/processes.js';

type Agent = Awaited<ReturnType<typeof startAgentProcess>>;

describe('agent TLS with a pinned self-signed certificate', () => {
  let dir: string;
  let first: Agent;
  let second: Agent;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-tls-'));
    [first, second] = await Promise.all([
      startAgentProcess(join(dir, 'one'), ['--tls', '--name', 'one']),
      startAgentProcess(join(dir, 'two'), ['--tls', '--name', 'two']),
    ]);
  }, 90_000);

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS with a certificate made once, whose fingerprint /pair and tlsFingerprint() report', async () => {
    const line = JSON.parse(await waitForLine(first, /"event":"listening"/)) as { url: string };
    expect(line.url).toMatch(/^https:\/\//);
    const pem = readFileSync(join(dir, 'one', 'auth', 'cert.pem'), 'utf8');
    const fingerprint = new X509Certificate(pem).fingerprint256;
    expect(tlsFingerprint(join(dir, 'one'))).toBe(fingerprint);
    expect(tlsFingerprint(join(dir, 'no-such-agent'))).toBeNull();

    // Without the pin, an ordinary client refuses the self-signed certificate.
    await expect(fetch(`https://127.0.0.1:${first.port}/health`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${first.port}/health`)).rejects.toThrow();

    const code = (
      await runToExit(process.execPath, [
        '--import',
        'tsx',
        join(ROOT, 'agent/src/cli.ts'),
        'pair',
        '--data-dir',
        join(dir, 'one'),
      ])
    ).stdout.trim();
    const client = new AgentClient({ host: '127.0.0.1', port: first.port }, { fingerprint, token: first.token });
    expect((await client.health()).name).toBe('one');
    // /pair over the pinned connection returns the same fingerprint (for the station to store).
    const res = await (client as unknown as { fetch(path: string, init: RequestInit): Promise<Response> }).fetch(
      '/pair',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code, station_id: 'tls-station', station_name: 'TLS' }),
      },
    );
    const paired = PairResponse.parse(await res.json());
    expect(paired.tls_fingerprint).toBe(fingerprint);
  });

  it('accepts the pinned certificate (HTTP and WSS) and refuses a different one', async () => {
    const fingerprint = tlsFingerprint(join(dir, 'one'))!;
    const otherFingerprint = tlsFingerprint(join(dir, 'two'))!;
    expect(otherFingerprint).not.toBe(fingerprint);

    const good = new AgentClient({ host: '127.0.0.1', port: first.port }, { fingerprint, token: first.token });
    expect((await good.status()).name).toBe('one');
    // Lower-case hex without colons is the same pin.
    const plain = fingerprint.replace(/:/g, '').toLowerCase();
    const same = new AgentClient({ host: '127.0.0.1', port: first.port }, { fingerprint: plain, token: first.token });
    expect((await same.status()).name).toBe('one');

    const ws = new WebSocket(good.eventsUrl(), good.wsOptions());
    const hello = await new Promise<string>((resolve, reject) => {
      ws.once('message', (d: Buffer) => resolve(d.toString('utf8')));
      ws.once('error', reject);
    });
    expect(good.eventsUrl()).toMatch(/^wss:\/\//);
    expect(JSON.parse(hello)).toMatchObject({ type: 'hello' });
    ws.close();

    // The same pin against the other agent (another certificate): refused before any token is sent.
    const impostor = new AgentClient({ host: '127.0.0.1', port: second.port }, { fingerprint, token: first.token });
    const err = await impostor.status().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StationError);
    expect((err as StationError).code).toBe('agent_tls_mismatch');

    const wrong = new AgentClient(
      { host: '127.0.0.1', port: first.port },
      { fingerprint: otherFingerprint, token: first.token },
    );
    await expect(wrong.health()).rejects.toMatchObject({ code: 'agent_tls_mismatch' });
  });

  it('keeps its certificate across restarts', async () => {
    const before = tlsFingerprint(join(dir, 'one'));
    await first.stop();
    first = await startAgentProcess(join(dir, 'one'), ['--tls', '--name', 'one']);
    expect(tlsFingerprint(join(dir, 'one'))).toBe(before);
    const client = new AgentClient(
      { host: '127.0.0.1', port: first.port },
      { fingerprint: before!, token: first.token },
    );
    expect((await client.status()).name).toBe('one');
  });
});
