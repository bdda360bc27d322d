import type { AgentClient } from '../agents/agent-client.js';
import type { SensorsRepo } from '../db/sensors-repo.js';

/**
 * Copies an agent's sensor readings newer than the station's cursor (the
 * highest reading id it holds), page by page. Idempotent: a reading arriving
 * twice is stored once. Readings the agent took while the station was away
 * come across at the next sync, so the charts have no gap.
 */
export async function syncSensorReadings(agentId: string, client: AgentClient, repo: SensorsRepo): Promise<number> {
  let after = repo.cursor(agentId);
  let added = 0;
  for (;;) {
    const page = await client.sensorReadings(after, 1000);
    added += repo.insertMany(agentId, page.items);
    if (page.next_after === null) return added;
    after = page.next_after;
  }
}
