import { chmod, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAgentLogger, LOG_FILES, printPairingBanner, pruneOldLogs, readLastLogEntries } from './logging.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-logs-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('agent logs', () => {
  it('child loggers carry the capture id on every line; errors also go to error.log', async () => {
    const { logger, close } = createAgentLogger({ level: 'info', dir });
    const capture = logger.child({ capture_id: 'cap_1' });
    capture.info({ event: 'capture.start' }, 'capture started');
    capture.error({ event: 'capture.failed' }, 'capture failed');
    logger.debug('not written at info');
    await close();
    const all = await readLastLogEntries(dir, 10);
    expect(all.map((e) => e.msg)).toEqual(['capture started', 'capture failed']);
    expect(all.every((e) => e['capture_id'] === 'cap_1')).toBe(true);
    expect((await readLastLogEntries(dir, 10, { file: 'error' })).map((e) => e.msg)).toEqual(['capture failed']);
    expect((await readLastLogEntries(dir, 10, { minLevel: 'error' })).map((e) => e.msg)).toEqual(['capture failed']);
    expect(existsSync(join(dir, LOG_FILES.debug))).toBe(false);
  });

  it('reads only the last N entries of a big file, skipping a line cut by a crash', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) =>
      JSON.stringify({ level: 30, time: '2025-01-01T00:00:00Z', msg: `line ${i}`, pad: 'x'.repeat(40) }),
    );
    await writeFile(join(dir, LOG_FILES.main), `${lines.join('\n')}\n{"level":30,"msg":"cut`);
    const last = await readLastLogEntries(dir, 3);
    expect(last.map((e) => e.msg)).toEqual(['line 4997', 'line 4998', 'line 4999']);
    expect(await readLastLogEntries(join(dir, 'nowhere'), 3)).toEqual([]);
  });

  it('prunes rotated logs older than the retention age, never the live files', async () => {
    const old = join(dir, '20250101-0000-01-agent.log.gz');
    const fresh = join(dir, '20250107-0000-01-agent.log.gz');
    for (const f of [old, fresh, join(dir, LOG_FILES.main)]) await writeFile(f, 'x');
    const now = Date.now();
    await utimes(old, new Date(now - 8 * 86400_000), new Date(now - 8 * 86400_000));
    await utimes(join(dir, LOG_FILES.main), new Date(now - 30 * 86400_000), new Date(now - 30 * 86400_000));
    expect(await pruneOldLogs(dir, 7, now)).toEqual([old]);
    expect(existsSync(fresh)).toBe(true);
    expect(existsSync(join(dir, LOG_FILES.main))).toBe(true);
  });

  it('keeps secrets out: files 0600 in a 0700 folder (older 0644 files tightened), token fields redacted', async () => {
    const logs = join(dir, 'logs');
    await createAgentLogger({ level: 'info', dir: logs }).close();
    await chmod(join(logs, LOG_FILES.main), 0o644);
    await chmod(logs, 0o755);
    const { logger, close } = createAgentLogger({ level: 'info', dir: logs });
    logger.info(
      { token: 'tok-secret-1', headers: { authorization: 'Bearer tok-secret-2' }, station: { token: 'tok-secret-3' } },
      'a line with secrets in it',
    );
    logger.error({ body: { code: '123456' } }, 'a failed pairing body');
    await close();
    expect((await stat(logs)).mode & 0o777).toBe(0o700);
    for (const name of [LOG_FILES.main, LOG_FILES.error]) {
      expect((await stat(join(logs, name))).mode & 0o777).toBe(0o600);
      const text = await readFile(join(logs, name), 'utf8');
      expect(text).not.toMatch(/tok-secret|123456/);
    }
    expect(await readFile(join(logs, LOG_FILES.main), 'utf8')).toContain('[redacted]');
  });

  it('prints the pairing banner as one JSON line on the stream it is given', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString('utf8')));
    printPairingBanner('042917', Date.now() + 10 * 60_000, out);
    const line = JSON.parse(text) as { event: string; code: string; msg: string };
    expect(line).toMatchObject({ event: 'pairing_code', code: '042917' });
    expect(line.msg).toMatch(/within 10 minutes/);
  });
});
