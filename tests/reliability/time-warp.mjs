/**
 * Test-only preload (`NODE_OPTIONS=--import <this file>`): this process's clocks and timers run
 * SKYSTATION_TIME_WARP times faster than real time, so a soak covers a simulated week in minutes.
 * From the moment it loads, Date (new Date(), Date.now()) and performance.now() advance k ms per real
 * ms, and setTimeout/setInterval delays are divided by k (Node waits at least 1 real ms). The rest of
 * the machine (the station, SQLite, the kernel, node's own HTTP timeouts) keeps real time. Unset or 1:
 * nothing changes. Plain JavaScript: it loads before tsx.
 */
import { syncBuiltinESMExports } from 'node:module';
import { performance } from 'node:perf_hooks';
import timers from 'node:timers';

const k = Number(process.env['SKYSTATION_TIME_WARP'] ?? '1');
if (!Number.isFinite(k) || k <= 0) throw new Error(`SKYSTATION_TIME_WARP must be a positive number, not ${k}`);

if (k !== 1) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  const realPerf = performance.now.bind(performance);
  const wall0 = realNow();
  const perf0 = realPerf();
  const now = () => Math.floor(wall0 + (realNow() - wall0) * k);
  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args, newTarget) => Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget),
    apply: (target) => new target(now()).toString(),
    get: (target, prop, receiver) => (prop === 'now' ? now : Reflect.get(target, prop, receiver)),
  });
  performance.now = () => perf0 + (realPerf() - perf0) * k;

  const scale = (ms) => (typeof ms === 'number' && ms > 0 ? ms / k : ms);
  const realSetTimeout = timers.setTimeout;
  const realSetInterval = timers.setInterval;
  const setTimeoutWarped = (fn, ms, ...args) => realSetTimeout(fn, scale(ms), ...args);
  const setIntervalWarped = (fn, ms, ...args) => realSetInterval(fn, scale(ms), ...args);
  globalThis.setTimeout = timers.setTimeout = setTimeoutWarped;
  globalThis.setInterval = timers.setInterval = setIntervalWarped;
  syncBuiltinESMExports();
}
