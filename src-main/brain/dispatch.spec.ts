import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { StationError } from '../util/errors.js';
import { createDispatch } from './dispatch.js';
import type { Handlers } from './service.js';

function setup(removeAgent: Handlers['removeAgent']): {
  dispatch: ReturnType<typeof createDispatch>;
  errors: string[];
} {
  const errors: string[] = [];
  const handlers = { removeAgent } as Partial<Handlers> as Handlers;
  const dispatch = createDispatch(handlers, {
    log: pino({ level: 'silent' }),
    apiErrors: { inc: (labels) => void errors.push(labels.code) },
  });
  return { dispatch, errors };
}

describe('createDispatch', () => {
  it('answers a known method with its handler’s result, given the parsed params', async () => {
    const seen: unknown[] = [];
    const { dispatch } = setup((p) => {
      seen.push(p);
      return Promise.resolve({ removed: true });
    });
    expect(await dispatch('removeAgent', { agentId: 'cam-1' })).toEqual({ ok: true, result: { removed: true } });
    expect(seen).toEqual([{ agentId: 'cam-1' }]);
  });

  it('refuses an unknown method and bad params without calling a handler', async () => {
    let called = 0;
    const { dispatch } = setup(() => {
      called++;
      return Promise.resolve({ removed: true });
    });
    const unknown = await dispatch('formatDisk', {});
    expect(unknown).toEqual({
      ok: false,
      error: { code: 'unknown_method', message: 'The station has no method "formatDisk".' },
    });
    const bad = await dispatch('removeAgent', { agentId: 42 });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.error.code).toBe('bad_request');
    expect(bad.error.message).toMatch(/^agentId: /);
    expect(bad.error.details).toMatchObject({ field: 'agentId' });
    expect(called).toBe(0);
  });

  it('turns a StationError into its code and anything else into internal, counting both', async () => {
    const known = setup(() => Promise.reject(new StationError('agent_unknown', 'No agent with id x is configured.')));
    expect(await known.dispatch('removeAgent', { agentId: 'x' })).toEqual({
      ok: false,
      error: { code: 'agent_unknown', message: 'No agent with id x is configured.' },
    });
    expect(known.errors).toEqual(['agent_unknown']);
    const other = setup(() => Promise.reject(new TypeError('boom')));
    const r = await other.dispatch('removeAgent', { agentId: 'x' });
    expect(r).toEqual({
      ok: false,
      error: { code: 'internal', message: 'Something went wrong in the station (boom). See the log.' },
    });
    expect(other.errors).toEqual(['internal']);
  });
});
