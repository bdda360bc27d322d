import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeploymentBundle } from '../protocol/index.js';
import { DeploymentStore } from './deployment-store.js';

const log = pino({ level: 'silent' });

const bundle: DeploymentBundle = {
  profile_id: 'holy_grail',
  version: '1.2.0',
  settings: { base: { iso_max: 3200 }, ramp: { max_step_ev: 0.25 } },
};

describe('DeploymentStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skys-deploy-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the ramp setting across a restart (deployment.json)', async () => {
    await new DeploymentStore(dir, log).deploy(bundle);
    const reloaded = await new DeploymentStore(dir, log).load();
    expect(reloaded?.settings.ramp).toEqual({ max_step_ev: 0.25 });
    expect(reloaded).toEqual(bundle);
  });

  it('ignores a deployment.json whose ramp step is out of range, waiting for a fresh deploy', async () => {
    const bad = { ...bundle, settings: { ...bundle.settings, ramp: { max_step_ev: 5 } } };
    writeFileSync(join(dir, 'deployment.json'), JSON.stringify(bad));
    const store = new DeploymentStore(dir, log);
    expect(await store.load()).toBeNull();
    expect(store.get()).toBeNull();
  });
});
