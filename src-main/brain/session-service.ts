/**
 * CinePi-style control of one camera from the station: its own timelapse
 * session (start, stop, status), its log, and who holds the master role.
 */
import type { AgentClient } from '../agents/agent-client.js';
import type { SessionResponse, TimelapseStatusResponse } from '../agents/protocol.js';
import type { AgentControlView, SessionView } from '../api/contract.js';
import type { z } from 'zod';
import { knownAgent, type HandlersFor, type StationService } from './service.js';

type TimelapseStatus = z.infer<typeof TimelapseStatusResponse>;

export function toControlView(agentId: string, r: SessionResponse): AgentControlView {
  return {
    agentId,
    masterSessionId: r.master_session_id,
    forced: r.forced,
    sessions: r.sessions,
    connections: r.connections,
    maxConnections: r.max_connections,
  };
}

export function toSessionView(agentId: string, r: TimelapseStatus): SessionView {
  const s = r.session;
  return {
    agentId,
    active: r.status === 'active',
    intervalSeconds: s?.interval ?? null,
    startedAt: s?.start_time ?? null,
    captures: s?.captures ?? 0,
    failed: s?.failed ?? 0,
    missed: s?.missed ?? 0,
    lastCaptureAt: s?.last_capture_at ?? null,
    nextCaptureAt: s?.next_capture_at ?? null,
    stoppedAt: s?.stopped_at ?? null,
    stopReason: s?.stop_reason ?? null,
  };
}

type SessionMethods = 'startSession' | 'stopSession' | 'sessionStatus' | 'agentLog' | 'agentControl' | 'forceMaster';

export class SessionService implements StationService {
  readonly name = 'sessions';

  constructor(private readonly deps: { client(agentId: string): AgentClient | undefined }) {}

  private requireClient(agentId: string): AgentClient {
    return knownAgent(this.deps.client(agentId), agentId);
  }

  readonly handlers: HandlersFor<SessionMethods> = {
    startSession: async (p) => {
      const client = this.requireClient(p.agentId);
      await client.startTimelapse(p.intervalSeconds);
      return toSessionView(p.agentId, await client.timelapseStatus());
    },
    stopSession: async (p) => {
      const client = this.requireClient(p.agentId);
      await client.stopTimelapse();
      return toSessionView(p.agentId, await client.timelapseStatus());
    },
    sessionStatus: async (p) => toSessionView(p.agentId, await this.requireClient(p.agentId).timelapseStatus()),
    agentLog: async (p) => {
      const r = await this.requireClient(p.agentId).logs(p.limit, p.level);
      return r.logs.map((l) => ({ time: l.timestamp, level: l.level, message: l.message, module: l.module }));
    },
    agentControl: async (p) => toControlView(p.agentId, await this.requireClient(p.agentId).control()),
    forceMaster: async (p) => toControlView(p.agentId, await this.requireClient(p.agentId).forceMaster(p.sessionId)),
  };
}
