import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentClient } from '../agents/agent-client.js';
import type { CaptureRequest } from '../agents/protocol.js';
import { CapturesRepo, type CaptureRow } from '../db/captures-repo.js';
import { openDatabase, type Db } from '../db/database.js';
import { StationError } from '../util/errors.js';
import { CaptureService } from './capture-service.js';

let dir: string;
let db: Db;
let captures: CapturesRepo;

const row = (captureId: string, seq: number, extra: Partial<CaptureRow> = {}): CaptureRow => ({
  agentId: 'cam-1',
  captureId,
  seq,
  capturedAt: `2026-01-10T20:00:0${seq}Z`,
  schedule: 'manual',
  profile: null,
  profileVersion: null,
  testId: null,
  variant: null,
  iso: 100,
  shutterSpeed: '1/250',
  settingsJson: '{}',
  lux: 1000,
  temperatureC: null,
  width: 4,
  height: 3,
  sizeBytes: 10,
  sha256: 'ab',
  imagePath: `originals/cam-1/${captureId}.jpg`,
  thumbPath: `thumbs/cam-1/${captureId}.jpg`,
  importedAt: '2026-01-10T20:00:10Z',
  ...extra,
});

/** A camera whose captures the fake sync puts in the real gallery; `copied: false` leaves them on the camera. */
function setup(o: { copied?: boolean; fail?: StationError } = {}) {
  const requests: CaptureRequest[] = [];
  const synced: string[] = [];
  const timers: string[] = [];
  let next = 0;
  const pending: CaptureRow[] = [];
  const client = {
    capture: (req: CaptureRequest) => {
      requests.push(req);
      if (o.fail) {
        pending.push(row(`c${++next}`, next));
        return Promise.reject(o.fail);
      }
      const n = req.bracket?.evs.length ?? 1;
      const made = Array.from({ length: n }, () =>
        row(`c${++next}`, next, req.frame_kind ? { frameKind: 'dark' } : {}),
      );
      pending.push(...made);
      return Promise.resolve({
        capture_id: made[0]!.captureId,
        ...(req.bracket ? { captures: made.map((m) => ({ capture_id: m.captureId })) } : {}),
      });
    },
  } as unknown as AgentClient;
  const svc = new CaptureService({
    captures,
    client: (id) => (id === 'cam-1' ? client : undefined),
    agentNames: () => new Map([['cam-1', 'Roof']]),
    syncAgent: (id, opts) => {
      // "<agent>" for a whole sync; "<agent> first <ids>" for captures to copy before any backlog.
      synced.push(opts?.first ? `${id} first ${opts.first.map((f) => f.capture_id).join(',')}` : id);
      if (o.copied === false) return Promise.resolve(0);
      const n = pending.length;
      captures.insertMany(pending.splice(0));
      return Promise.resolve(n);
    },
    whenDone: () => Promise.resolve(),
    startTimer: () => {
      timers.push('started');
      return () => void timers.push('stopped');
    },
    log: pino({ level: 'silent' }),
  });
  return { svc, requests, synced, timers };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skys-capture-svc-'));
  db = openDatabase(join(dir, 'gallery.sqlite'));
  captures = new CapturesRepo(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('CaptureService', () => {
  it('capture now: asks the camera for an auto exposure, copies it and answers its gallery view', async () => {
    const { svc, requests, synced, timers } = setup();
    const v = await svc.handlers.captureNow({ agentId: 'cam-1', frameKind: 'dark' });
    expect(requests).toEqual([{ auto: true, schedule: 'manual', frame_kind: 'dark' }]);
    // The new frame is copied first (issue #13), not behind the camera's backlog.
    expect(synced).toEqual(['cam-1 first c1']);
    expect(v).toMatchObject({ id: 'cam-1/c1', agentName: 'Roof', frameKind: 'dark', thumbReady: false });
    expect(timers).toEqual(['started', 'stopped']);
  });

  it('says the picture stays on the camera when it could not be copied', async () => {
    const { svc } = setup({ copied: false });
    await expect(svc.handlers.captureNow({ agentId: 'cam-1' })).rejects.toMatchObject({ code: 'capture_not_synced' });
    await expect(svc.handlers.captureNow({ agentId: 'nobody' })).rejects.toMatchObject({ code: 'agent_unknown' });
  });

  it('a bracketed set comes back in order; a set that stopped partway is copied before the error', async () => {
    const ok = setup();
    const views = await ok.svc.handlers.captureBracket({ agentId: 'cam-1', evs: [-2, 0, 2] });
    expect(views.map((v) => v.id)).toEqual(['cam-1/c1', 'cam-1/c2', 'cam-1/c3']);
    db.exec('DELETE FROM captures');
    const partial = setup({ fail: new StationError('bracket_incomplete', 'The set stopped after 1 of 3.') });
    await expect(partial.svc.handlers.captureBracket({ agentId: 'cam-1', evs: [-2, 0, 2] })).rejects.toMatchObject({
      code: 'bracket_incomplete',
    });
    expect(partial.synced).toEqual(['cam-1']);
    expect(captures.count()).toBe(1);
  });

  it('lists captures newest first and marks frames dark, naming ids it did not find', async () => {
    captures.insertMany([row('a', 1), row('b', 2)]);
    const { svc } = setup();
    const page = await svc.handlers.listCaptures({ limit: 10 });
    expect(page.items.map((c) => c.id)).toEqual(['cam-1/b', 'cam-1/a']);
    const r = await svc.handlers.setFrameKind({ ids: ['cam-1/a', 'cam-1/zz'], kind: 'dark' });
    expect(r.updated.map((u) => [u.id, u.frameKind])).toEqual([['cam-1/a', 'dark']]);
    expect(r.missing).toEqual(['cam-1/zz']);
    // Thrown as it is called, as before; the dispatcher turns it into the error reply.
    expect(() => svc.handlers.setFrameKind({ ids: ['cam-1/zz'], kind: 'dark' })).toThrow(
      expect.objectContaining({ code: 'capture_not_found' }) as Error,
    );
  });
});
