import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startServices, type StationService } from './service.js';

const log = pino({ level: 'silent' });

function recorder(): {
  calls: string[];
  service(name: string, o?: { failStart?: boolean; failStop?: boolean }): StationService;
} {
  const calls: string[] = [];
  return {
    calls,
    service: (name, o = {}) => ({
      name,
      start: async () => {
        await Promise.resolve();
        if (o.failStart) throw new Error(`${name} cannot start`);
        calls.push(`start ${name}`);
      },
      stop: () => {
        calls.push(`stop ${name}`);
        if (o.failStop) throw new Error(`${name} cannot stop`);
      },
    }),
  };
}

describe('startServices', () => {
  it('starts services in order and stops them in reverse', async () => {
    const r = recorder();
    const running = await startServices(
      [r.service('a'), r.service('b'), { name: 'no-lifecycle' }, r.service('c')],
      log,
    );
    expect(r.calls).toEqual(['start a', 'start b', 'start c']);
    await running.stop();
    expect(r.calls).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
    await running.stop();
    expect(r.calls).toHaveLength(6);
  });

  it('stops the ones already running when one fails to start, and passes its error on', async () => {
    const r = recorder();
    await expect(
      startServices([r.service('a'), r.service('b'), r.service('c', { failStart: true }), r.service('d')], log),
    ).rejects.toThrow('c cannot start');
    expect(r.calls).toEqual(['start a', 'start b', 'stop b', 'stop a']);
  });

  it('keeps stopping the rest when one fails to stop', async () => {
    const r = recorder();
    const running = await startServices([r.service('a'), r.service('b', { failStop: true }), r.service('c')], log);
    await running.stop();
    expect(r.calls.slice(3)).toEqual(['stop c', 'stop b', 'stop a']);
  });
});
