/**
 * Camera clocks: compared at every connection (a Pi without a real-time clock
 * boots with a wrong date), a drifted one raises an alert here and a warning
 * on the agent, and the operator can set it from the station.
 */
import type { AgentClient } from '../agents/agent-client.js';
import { compareClocks, describeOffset, type ClockComparison } from '../agents/clock-check.js';
import { knownAgent, type HandlersFor, type StationService } from './service.js';

export interface ClockAlert {
  level: 'warning';
  code: 'clock_offset';
  message: string;
  agentId: string;
}

export interface ClockServiceDeps {
  client(agentId: string): AgentClient | undefined;
  agentName(agentId: string): string;
  raise(alert: ClockAlert): void;
  now?: () => number;
}

export class ClockService implements StationService {
  readonly name = 'clocks';
  private readonly checks = new Map<string, ClockComparison>();

  constructor(private readonly deps: ClockServiceDeps) {}

  /** The agent's offset from the last comparison (agent minus station, ms), or null before the first. */
  offsetMs(agentId: string): number | null {
    return this.checks.get(agentId)?.offsetMs ?? null;
  }

  /** Compares the agent's clock with the station's; null for an agent the station does not know. */
  async check(agentId: string): Promise<ClockComparison | null> {
    const client = this.deps.client(agentId);
    if (!client) return null;
    const c = await compareClocks(client, this.deps.now);
    this.checks.set(agentId, c);
    if (c.drifted) {
      this.deps.raise({
        level: 'warning',
        code: 'clock_offset',
        message: describeOffset(this.deps.agentName(agentId), c.offsetMs),
        agentId,
      });
    }
    return c;
  }

  readonly handlers: HandlersFor<'setAgentClock'> = {
    setAgentClock: async (p) => {
      const client = knownAgent(this.deps.client(p.agentId), p.agentId);
      const before = (await this.check(p.agentId))!;
      const r = await client.setClock(new Date(), true);
      const after = (await this.check(p.agentId))!;
      return { agentId: p.agentId, offsetBeforeMs: before.offsetMs, offsetAfterMs: after.offsetMs, applied: r.applied };
    },
  };
}
