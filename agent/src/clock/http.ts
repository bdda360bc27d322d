/**
 * GET /clock and POST /clock: the station compares its time with the agent's
 * and corrects the agent. By default the correction is a persisted offset on
 * the agent's own clock (capture timestamps, plan timing); the system clock is
 * only set when the agent runs with --allow-set-system-clock.
 */
import { runChecked } from '../util/run.js';
import {
  CLOCK_WARN_MS,
  ClockSetRequest,
  type ClockSetResponse,
  type ClockStatusResponse,
} from '../protocol/autonomy.js';
import type { AgentEvent } from '../protocol/index.js';
import { sendJson, validate, type Router } from '../http/router.js';
import { AgentError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { AgentClock } from './agent-clock.js';

export interface ClockRouteDeps {
  clock: AgentClock;
  log: Logger;
  emit: (event: AgentEvent) => void;
  /** Set the real system clock instead of an offset (only with --allow-set-system-clock). */
  allowSystemClock: boolean;
  /** Sets the system clock; the default runs `date -u -s @<seconds>` (needs CAP_SYS_TIME). */
  setSystemClock?: (time: Date) => Promise<void>;
}

async function setSystemClockWithDate(time: Date): Promise<void> {
  try {
    await runChecked('date', ['-u', '-s', `@${(time.getTime() / 1000).toFixed(3)}`], { timeoutMs: 5000 });
  } catch (err) {
    throw new AgentError(
      'system_clock_denied',
      'The agent could not set the system clock; run it with the CAP_SYS_TIME capability or without --allow-set-system-clock.',
      { status: 500, cause: err },
    );
  }
}

export function clockRoutes(d: ClockRouteDeps): (router: Router) => void {
  return (router) => {
    router
      .on('GET', '/clock', ({ res }) => {
        const body: ClockStatusResponse = {
          time: d.clock.now().toISOString(),
          offset_ms: d.clock.offsetMs(),
          offset_set_at: d.clock.offsetSetAt(),
          system_clock_settable: d.allowSystemClock,
        };
        sendJson(res, 200, body);
      })
      .on('POST', '/clock', async (ctx) => {
        const req = validate(ClockSetRequest, await ctx.json(), 'clock request');
        const station = new Date(req.time);
        const deltaMs = station.getTime() - d.clock.now().getTime();
        if (Math.abs(deltaMs) > CLOCK_WARN_MS) {
          const message = `The station's clock differs from this agent's by ${(deltaMs / 1000).toFixed(1)} s.`;
          d.log.warn({ event: 'clock.offset', delta_ms: deltaMs }, message);
          d.emit({ type: 'warning', code: 'clock_offset', message, time: d.clock.now().toISOString() });
        }
        let applied: ClockSetResponse['applied'] = 'none';
        if (req.apply !== false) {
          if (d.allowSystemClock) {
            await (d.setSystemClock ?? setSystemClockWithDate)(station);
            await d.clock.setOffset(0, 'system_clock');
            applied = 'system_clock';
          } else {
            await d.clock.setTo(station, 'station');
            applied = 'offset';
          }
          d.log.info(
            { event: 'clock.set', applied, delta_ms: deltaMs, offset_ms: d.clock.offsetMs() },
            'agent clock corrected',
          );
        }
        const body: ClockSetResponse = {
          status: 'ok',
          time: d.clock.now().toISOString(),
          delta_ms: deltaMs,
          offset_ms: d.clock.offsetMs(),
          applied,
        };
        sendJson(ctx.res, 200, body);
      });
  };
}
