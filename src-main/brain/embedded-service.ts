/**
 * The embedded simulated agent: a new user sees a working camera with no
 * hardware. Its program starts before the fleet (so the fleet's first poll
 * finds it) and stops after the fleet has let go of it; it is added to the
 * fleet once everything else runs (`addTo`).
 */
import { findAppRoot, startEmbeddedAgent, type EmbeddedAgent } from '../agents/embedded-agent.js';
import type { Fleet } from '../agents/fleet.js';
import type { Logger } from '../util/log.js';
import type { StationService } from './service.js';

export interface EmbeddedServiceDeps {
  /** Where the agent keeps its data (<dataDir>/embedded-agent). */
  dataDir: string;
  /** Whether to run it (decided from the options and the agents configured). */
  wanted: boolean;
  /** Extra flags for the agent (tests use --sim-time, for instance). */
  extraArgs?: string[] | undefined;
  log: Logger;
  start?: typeof startEmbeddedAgent;
}

export class EmbeddedAgentService implements StationService {
  readonly name = 'embedded-agent';
  private agent: EmbeddedAgent | null = null;

  constructor(private readonly deps: EmbeddedServiceDeps) {}

  async start(): Promise<void> {
    if (!this.deps.wanted) return;
    this.agent = await (this.deps.start ?? startEmbeddedAgent)({
      dataDir: this.deps.dataDir,
      appRoot: findAppRoot(import.meta.dirname),
      log: this.deps.log,
      ...(this.deps.extraArgs ? { extraArgs: this.deps.extraArgs } : {}),
    });
  }

  /** Adds the running agent to the fleet with its admin token (nothing when it does not run). */
  async addTo(fleet: Pick<Fleet, 'add'>): Promise<void> {
    if (!this.agent) return;
    await fleet.add(this.agent.host, this.agent.port, { embedded: true, token: this.agent.token });
  }

  async stop(): Promise<void> {
    await this.agent?.stop();
    this.agent = null;
  }
}
