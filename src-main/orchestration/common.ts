/**
 * What the orchestration services share: the fleet as they see it, their
 * collaborators' options, and the small helpers each handler uses.
 */
import type { z } from 'zod';
import type { AgentClient } from '../agents/agent-client.js';
import type { AgentView } from '../api/contract.js';
import type { OrchMethodName, OrchResult, orchestrationMethods } from '../api/orchestration.js';
import { StationError, errorMessage } from '../util/errors.js';

export { DAY_MS } from '../schedule/time.js';

export interface FleetAccess {
  views(): AgentView[];
  view(agentId: string): AgentView | undefined;
  client(agentId: string): AgentClient | undefined;
}

type Params<M extends OrchMethodName> = z.output<(typeof orchestrationMethods)[M]['params']>;

/** Handlers for the orchestration methods `M` (each service answers its own). */
export type OrchHandlers<M extends OrchMethodName> = { [K in M]: (p: Params<K>) => Promise<OrchResult<K>> };

export const toError = (err: unknown): { code: string; message: string } => ({
  code: err instanceof StationError ? err.code : 'internal',
  message: errorMessage(err),
});

/** Validate a JSON object the contract accepted loosely with its real schema (bad_request naming the field). */
export function checked<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = [where, ...(issue?.path ?? []).map(String)].join('.');
  throw new StationError('bad_request', `${field}: ${issue?.message ?? 'invalid value'}`);
}

/** The clock the services read (a fixed one in specs). */
export const clock = (now?: () => Date): (() => Date) => now ?? (() => new Date());
