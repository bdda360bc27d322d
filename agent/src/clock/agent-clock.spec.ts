import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Router, type RequestContext } from '../http/router.js';
import type { AgentEvent } from '../protocol/index.js';
import { AgentClock } from './agent-clock.js';
import { clockRoutes } from './http.js';

const log = pino({ level: 'silent' });

/** Calls a route of the router with a JSON body and returns what it sent. */
async function call(
  router: Router,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const match = router.match(method, path);
  if (match === null || match === 'method_not_allowed') throw new Error(`no route ${method} ${path}`);
  let status = 0;
  let text = '';
  const res = {
    writeHead: (s: number) => {
      status = s;
      return res;
    },
    end: (t: string) => {
      text = t;
    },
  } as unknown as ServerResponse;
  const ctx = { res, params: match.params, json: () => Promise.resolve(body ?? {}) } as unknown as RequestContext;
  await match.handler(ctx);
  return { status, body: JSON.parse(text) as unknown };
}

describe('AgentClock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skys-clock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('applies a persisted offset on top of the system clock and tells listeners', async () => {
    const clock = AgentClock.forDataDir(dir);
    let changes = 0;
    clock.onChange(() => changes++);
    const target = new Date(Date.now() + 3_600_000);
    await clock.setTo(target, 'station');
    expect(Math.abs(clock.now().getTime() - target.getTime())).toBeLessThan(50);
    expect(Math.abs(clock.preciseMs() - target.getTime())).toBeLessThan(50);
    expect(changes).toBe(1);
    const saved = JSON.parse(readFileSync(join(dir, 'clock.json'), 'utf8')) as { offset_ms: number; source: string };
    expect(saved.source).toBe('station');

    const again = AgentClock.forDataDir(dir);
    await again.load(log);
    expect(again.offsetMs()).toBe(clock.offsetMs());
  });

  it('keeps the --sim-time shift separate from the station offset', async () => {
    const sim = new Date('2025-06-21T04:00:00Z');
    const clock = AgentClock.forDataDir(dir, sim);
    expect(Math.abs(clock.now().getTime() - sim.getTime())).toBeLessThan(50);
    await clock.setTo(new Date(sim.getTime() + 10_000), 'station');
    expect(Math.abs(clock.offsetMs() - 10_000)).toBeLessThan(50);
  });

  it('ignores an unreadable clock.json instead of refusing to start', async () => {
    writeFileSync(join(dir, 'clock.json'), '{"offset_ms": "soon"}');
    const clock = AgentClock.forDataDir(dir);
    await clock.load(log);
    expect(clock.offsetMs()).toBe(0);
  });
});

describe('POST /clock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skys-clock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function setup(allowSystemClock: boolean) {
    const clock = AgentClock.forDataDir(dir);
    const events: AgentEvent[] = [];
    const systemCalls: Date[] = [];
    const router = new Router();
    clockRoutes({
      clock,
      log,
      emit: (e) => events.push(e),
      allowSystemClock,
      setSystemClock: (t) => {
        systemCalls.push(t);
        return Promise.resolve();
      },
    })(router);
    return { clock, events, systemCalls, router };
  }

  it('by default sets the agent offset, never the system clock, and warns about a large difference', async () => {
    const { clock, events, systemCalls, router } = setup(false);
    const r = await call(router, 'POST', '/clock', { time: new Date(Date.now() + 120_000).toISOString() });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', applied: 'offset' });
    expect(Math.abs(clock.offsetMs() - 120_000)).toBeLessThan(100);
    expect(systemCalls).toHaveLength(0);
    expect(events).toEqual([expect.objectContaining({ type: 'warning', code: 'clock_offset' })]);
  });

  it('only compares with apply: false, and stays quiet about a small difference', async () => {
    const { clock, events, router } = setup(false);
    const r = await call(router, 'POST', '/clock', { time: new Date().toISOString(), apply: false });
    expect(r.body).toMatchObject({ applied: 'none' });
    expect(clock.offsetMs()).toBe(0);
    expect(events).toHaveLength(0);
  });

  it('sets the system clock only when allowed, and then clears the offset', async () => {
    const { clock, systemCalls, router } = setup(true);
    await clock.setOffset(5000, 'test');
    const time = new Date(Date.now() + 60_000);
    const r = await call(router, 'POST', '/clock', { time: time.toISOString() });
    expect(r.body).toMatchObject({ applied: 'system_clock', offset_ms: 0 });
    expect(systemCalls.map((d) => d.getTime())).toEqual([time.getTime()]);
  });

  it('rejects a malformed time and unknown fields', async () => {
    const { router } = setup(false);
    await expect(call(router, 'POST', '/clock', { time: 'noon' })).rejects.toMatchObject({ status: 400 });
    await expect(call(router, 'POST', '/clock', { time: new Date().toISOString(), tz: 'UTC' })).rejects.toMatchObject({
      status: 400,
      field: 'tz',
    });
  });
});
