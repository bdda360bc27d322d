/**
 * A camera still running an agent from before exposure ramps: it refuses a
 * bundle that carries `settings.ramp`. The station deploys the profile and
 * plan without the ramp, says so in the result and in a warning alert, and
 * once the agent is updated the next deployment carries the ramp again and
 * resolves the alert. The agent is a real process behind a relay that answers
 * deployments as the older agent did (tests/helpers/older-agent.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStation, type Station } from '../../src-main/brain/index.js';
import { olderAgent, type OlderAgent } from '../helpers/older-agent.js';
import { startAgentProcess, type RunningProcess } from '../helpers/processes.js';

type Agent = RunningProcess & { port: number; token?: string };

describe('deploying to an agent from before exposure ramps', () => {
  let dir: string;
  let agent: Agent;
  let relay: OlderAgent;
  let station: Station;
  let agentId: string;

  /** The profile the agent has deployed, as it keeps it on disk. */
  const deployedOnAgent = (): { profile_id: string; settings: Record<string, unknown>; plan?: unknown } =>
    JSON.parse(readFileSync(join(dir, 'agent', 'deployment.json'), 'utf8')) as never;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-older-agent-'));
    agent = await startAgentProcess(join(dir, 'agent'), ['--name', 'old-cam']);
    relay = await olderAgent(agent);
    station = await startStation({ dataDir: join(dir, 'station'), embeddedAgent: false, discovery: false });
    const view = await station.call('addAgent', { host: '127.0.0.1', port: relay.port, token: agent.token });
    agentId = view.id;
    await station.call('setLocation', { latitude: 47.5, longitude: 8.7, timezone: 'Europe/Zurich' });
    await station.call('createSchedule', {
      name: 'nights',
      schedule: { type: 'night', interval_seconds: 60 },
    });
    await station.call('assignSchedules', { agentId, schedules: ['nights'] });
  }, 90_000);

  afterAll(async () => {
    await station?.close();
    await relay?.close();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('deploys the profile and plan without the ramp, and warns that the agent needs updating', async () => {
    const [r] = await station.call('deployProfile', { agentIds: [agentId], profileId: 'a', days: 3 });
    // Negotiated from /health's feature list: the old agent is never sent a ramp it would refuse.
    expect(relay.refused()).toBe(0);
    expect(r?.ok, JSON.stringify(r)).toBe(true);
    expect(r?.windows).toBeGreaterThan(0);
    expect(r?.warning).toMatch(/old-cam runs an agent too old for exposure ramps/);
    expect(r?.warning).toMatch(/update the agent/);

    const onAgent = deployedOnAgent();
    expect(onAgent.profile_id).toBe('a');
    expect(onAgent.settings).not.toHaveProperty('ramp');
    expect(onAgent.settings).toHaveProperty('base');
    expect(onAgent.plan).toBeTruthy();

    const alerts = await station.call('listAlerts', {});
    const outdated = alerts.filter((a) => a.code === 'agent_outdated' && a.resolvedAt === null);
    expect(outdated).toHaveLength(1);
    expect(outdated[0]).toMatchObject({ level: 'warning', agentId });

    const deployments = await station.call('listDeployments', {});
    expect(deployments.find((d) => d.agentId === agentId)).toMatchObject({ status: 'deployed', error: null });
  });

  it('carries the ramp again once the agent is updated, and resolves the alert', async () => {
    relay.upgrade();
    const [r] = await station.call('deployProfile', { agentIds: [agentId], profileId: 'a', days: 3 });
    expect(r).toMatchObject({ ok: true, warning: null });
    expect(relay.refused()).toBe(0);
    expect(deployedOnAgent().settings).toHaveProperty('ramp', { max_step_ev: expect.any(Number) as number });
    const alerts = await station.call('listAlerts', {});
    expect(alerts.filter((a) => a.code === 'agent_outdated' && a.resolvedAt === null)).toEqual([]);
  });

  it('does not retry other failures: an agent that cannot be reached fails the deployment', async () => {
    await relay.close();
    const [r] = await station.call('deployProfile', { agentIds: [agentId], profileId: 'a', days: 3 });
    expect(r).toMatchObject({ ok: false, warning: null, error: { code: 'agent_unreachable' } });
    expect(relay.refused()).toBe(0);
  });
});
