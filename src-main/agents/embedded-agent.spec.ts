import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedAgent } from './embedded-agent.js';
import type { Logger } from '../util/log.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

describe('startEmbeddedAgent', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('fails at once, naming the program, when it cannot be run (and signals nothing: no pid)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skys-embedded-'));
    dirs.push(dataDir);
    const err = await startEmbeddedAgent({
      dataDir,
      appRoot: dataDir,
      log: quiet as unknown as Logger,
      command: { command: join(dataDir, 'no-such-node'), args: [] },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'agent_start_failed' });
    // The spawn error itself, not the 30 s start timeout ("did not start in time").
    expect((err as Error).message).toMatch(/^Could not run the simulated agent with ".*no-such-node": .*ENOENT/);
  });
});
