import { CLOCK_WARN_MS } from './protocol.js';
import type { AgentClient } from './agent-client.js';
import { clockOffsetAgainst } from '../api/clock-words.js';

export interface ClockComparison {
  /** Agent time minus station time, in ms (positive: the agent is ahead). */
  offsetMs: number;
  /** Round trip of the request the comparison was made from. */
  roundTripMs: number;
  checkedAt: string;
  /** Beyond CLOCK_WARN_MS: captures from this agent carry a wrong time. */
  drifted: boolean;
}

/**
 * Compares an agent's clock with the station's (NTP style: the agent's time
 * against the midpoint of the request), then tells the agent the station's
 * time without changing anything, so that an offset raises a warning on both
 * sides. A Pi without a real-time clock or internet boots with a wrong date.
 */
export async function compareClocks(client: AgentClient, now: () => number = Date.now): Promise<ClockComparison> {
  const sent = now();
  const clock = await client.clock();
  const received = now();
  const offsetMs = Date.parse(clock.time) - (sent + received) / 2;
  const drifted = Math.abs(offsetMs) > CLOCK_WARN_MS;
  if (drifted) await client.setClock(new Date(now()), false);
  return { offsetMs, roundTripMs: received - sent, checkedAt: new Date(received).toISOString(), drifted };
}

export function describeOffset(name: string, offsetMs: number): string {
  return `${name}'s clock is ${clockOffsetAgainst(offsetMs, "the station's")}; its captures carry that time. Set it from the station (skystation clock ${name} --set).`;
}
