/**
 * The shape every part of the brain has (after zigbee2mqtt's extensions): a
 * name, an optional start and stop, and the API handlers it answers, kept
 * beside the code that does the work. `startStation` only wires: it builds
 * the services, starts them in order and stops them in reverse.
 */
import type { methods, MethodName, ResultOf } from '../api/contract.js';
import { StationError } from '../util/errors.js';
import type { Logger } from '../util/log.js';

/** One API method's handler: the params its zod schema produced, the contract's result. */
export type Handler<M extends MethodName> = (
  params: ReturnType<(typeof methods)[M]['params']['parse']>,
) => Promise<ResultOf<M>>;

/** Handlers for the methods `M` (a service answers a few; the station's table is all of them). */
export type HandlersFor<M extends MethodName> = { [K in M]: Handler<K> };

export type Handlers = HandlersFor<MethodName>;

export interface StationService {
  readonly name: string;
  start?(): Promise<void> | void;
  stop?(): Promise<void> | void;
}

export interface RunningServices {
  /** Stops every started service in reverse order; one that fails is logged and the rest still stop. */
  stop(): Promise<void>;
}

/**
 * Starts services one after the other. When one fails to start, those already
 * running are stopped (in reverse) and the error goes to the caller, which
 * tells the operator what to do.
 */
export async function startServices(services: readonly StationService[], log: Logger): Promise<RunningServices> {
  const started: StationService[] = [];
  const stop = async (): Promise<void> => {
    while (started.length > 0) {
      const s = started.pop()!;
      try {
        await s.stop?.();
      } catch (err) {
        log.error({ err, service: s.name }, 'a station service failed to stop');
      }
    }
  };
  for (const s of services) {
    try {
      await s.start?.();
    } catch (err) {
      log.error({ err, service: s.name }, 'a station service failed to start');
      await stop();
      throw err;
    }
    started.push(s);
  }
  return { stop };
}

/** What a lookup by agent id found, or agent_unknown naming the id (every service asks this way). */
export function knownAgent<T>(found: T | undefined, agentId: string): T {
  if (found === undefined) throw new StationError('agent_unknown', `No agent with id ${agentId} is configured.`);
  return found;
}
