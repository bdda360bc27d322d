import { afterEach, describe, expect, it } from 'vitest';
import { agentView, NOON, orchestrationBed, type OrchestrationBed } from '../../tests/helpers/orchestration.js';
import type { AgentClient } from '../agents/agent-client.js';
import { CapturesRepo } from '../db/captures-repo.js';
import { AbTestService } from './abtest-service.js';

let bed: OrchestrationBed;
afterEach(() => bed.close());

/** The deployed-profile capture an override test sends. */
type OverrideCapture = { use_deployed_profile?: boolean; test_id?: string; variant?: string };

/** A camera that journals each override capture in the gallery, as a sync would, with a brightness per variant. */
function camera(captures: CapturesRepo, agentId: string): { client: AgentClient; sent: OverrideCapture[] } {
  const sent: OverrideCapture[] = [];
  const client = {
    capture: (r: OverrideCapture) => {
      sent.push(r);
      const n = sent.length;
      captures.insert({
        agentId,
        captureId: `c${n}`,
        seq: n,
        capturedAt: new Date(NOON.getTime() + n * 1000).toISOString(),
        schedule: null,
        profile: null,
        profileVersion: null,
        testId: r.test_id ?? null,
        variant: r.variant ?? null,
        iso: r.variant === 'bright' ? 800 : 100,
        shutterSpeed: '1/100',
        settingsJson: '{}',
        lux: null,
        temperatureC: null,
        width: 1,
        height: 1,
        sizeBytes: 1,
        sha256: 'x',
        imagePath: `originals/${agentId}/c${n}.jpg`,
        thumbPath: `thumbs/${agentId}/c${n}.jpg`,
        importedAt: NOON.toISOString(),
        meanBrightness: r.variant === 'bright' ? 0.6 : 0.2,
      });
      return Promise.resolve({ capture_id: `c${n}` });
    },
  } as unknown as AgentClient;
  return { client, sent };
}

describe('AbTestService', () => {
  it('takes every variant each round on every camera, then compares them by variant', async () => {
    bed = orchestrationBed();
    const synced: string[] = [];
    const svc = new AbTestService({ ...bed, syncAgent: (id) => (synced.push(id), Promise.resolve(0)) });
    const cam = camera(new CapturesRepo(bed.db), 'a1');
    bed.views.push(agentView('a1'));
    bed.clients.set('a1', cam.client);
    const test = await svc.handlers.runTest({
      agentIds: ['a1'],
      variants: [
        { name: 'dark', override: { iso: 100 } },
        { name: 'bright', override: { iso: 800 } },
      ],
      rounds: 2,
      wait: true,
    });
    expect(test).toMatchObject({ status: 'done', rounds: 2, failures: [] });
    expect(test.id).toMatch(/^ab-20250621t180000z-[0-9a-f]{6}$/);
    expect(cam.sent.map((r) => r.variant)).toEqual(['dark', 'bright', 'dark', 'bright']);
    expect(cam.sent.every((r) => r.use_deployed_profile === true && r.test_id === test.id)).toBe(true);
    expect(synced).toEqual(['a1']);
    const { variants } = await svc.handlers.testResults({ testId: test.id });
    expect(variants.map((v) => [v.variant, v.captures, v.meanBrightness, v.isoValues])).toEqual([
      ['dark', 2, 0.2, [100]],
      ['bright', 2, 0.6, [800]],
    ]);
    expect((await svc.handlers.listTests({})).map((t) => t.id)).toEqual([test.id]);
  });

  it('marks a test whose every step failed as failed and alerts; refuses unknown cameras and tests', async () => {
    bed = orchestrationBed();
    const svc = new AbTestService({ ...bed, syncAgent: () => Promise.resolve(0) });
    bed.views.push(agentView('a1'));
    const test = await svc.handlers.runTest({
      agentIds: ['a1'],
      variants: [{ name: 'x', override: { iso: 200 } }],
      rounds: 1,
      wait: true,
    });
    expect(test.status).toBe('failed');
    expect(test.failures).toEqual([expect.objectContaining({ agentId: 'a1', variant: 'x', code: 'agent_unknown' })]);
    expect(bed.alerts.list(10)).toEqual([expect.objectContaining({ code: 'test_captures_failed' })]);
    await expect(
      svc.handlers.runTest({ agentIds: ['zz'], variants: [{ name: 'x', override: {} }], rounds: 1, wait: true }),
    ).rejects.toMatchObject({ code: 'agent_unknown' });
    expect(() => svc.handlers.testResults({ testId: 'ab-none' })).toThrow(
      expect.objectContaining({ code: 'TEST_NOT_FOUND' }) as Error,
    );
    await svc.stop();
  });
});
