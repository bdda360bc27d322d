import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentClient } from '../agents/agent-client.js';
import type { CaptureView } from '../api/contract.js';
import { CapturesRepo, type CaptureRow, type StoredCapture } from '../db/captures-repo.js';
import { openDatabase, type Db } from '../db/database.js';
import { createLogger } from '../util/log.js';
import { galleryMethods } from './api-types.js';
import { galleryHandlers, type GalleryHandlers } from './service.js';

function row(i: number, agentId = 'cam'): CaptureRow {
  const t = new Date(Date.UTC(2026, 0, 10, 20, 0, i * 30)).toISOString();
  return {
    agentId,
    captureId: `c${i}`,
    seq: i + 1,
    capturedAt: t,
    schedule: 'night',
    profile: 'f',
    profileVersion: '1.0.0',
    testId: null,
    variant: null,
    iso: 800,
    shutterSpeed: '20',
    settingsJson: '{"iso":800,"shutter_speed":"20"}',
    lux: 0.1,
    temperatureC: 3,
    width: 64,
    height: 36,
    sizeBytes: 10,
    sha256: 'a'.repeat(64),
    imagePath: `originals/${agentId}/c${i}.jpg`,
    thumbPath: `thumbs/${agentId}/c${i}.jpg`,
    importedAt: t,
    meanBrightness: 12,
  };
}

describe('gallery handlers', () => {
  let dir: string;
  let db: Db;
  let repo: CapturesRepo;
  let h: GalleryHandlers;
  /** Capture ids the fake camera still holds; null: the camera cannot be reached. */
  let onCamera: Set<string> | null;
  let asked = 0;

  const call = <M extends keyof GalleryHandlers>(m: M, p: unknown) =>
    (h[m] as (p: unknown) => Promise<unknown>)(galleryMethods[m].params.parse(p)) as ReturnType<GalleryHandlers[M]>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skys-gallery-svc-'));
    db = openDatabase(join(dir, 'g.sqlite'));
    repo = new CapturesRepo(db);
    const rows = Array.from({ length: 5 }, (_, i) => row(i));
    repo.insertMany(rows);
    for (const r of rows) {
      for (const rel of [r.imagePath, r.thumbPath]) {
        mkdirSync(dirname(join(dir, 'media', rel)), { recursive: true });
        writeFileSync(join(dir, 'media', rel), 'x');
      }
    }
    onCamera = new Set(['c0', 'c1']);
    const client = {
      listCaptures: (after: number) => {
        asked++;
        if (onCamera === null) return Promise.reject(new Error('connect ECONNREFUSED'));
        const next = repo.pageAt({}, 0, 100).find((r) => r.seq === after + 1);
        return Promise.resolve({
          items: next && onCamera.has(next.captureId) ? [{ capture_id: next.captureId }] : [],
          next_after: null,
        });
      },
    } as unknown as AgentClient;
    h = galleryHandlers({
      captures: repo,
      mediaDir: join(dir, 'media'),
      toView: (c: StoredCapture) => ({ id: `${c.agentId}/${c.captureId}`, agentId: c.agentId }) as CaptureView,
      agentNames: () => new Map([['cam', 'Roof']]),
      client: () => client,
      log: createLogger(null),
    });
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pages with tags, details with settings, facets with camera names', async () => {
    await call('gallery.tag', { ids: ['cam/c1'], add: ['meteor'] });
    const page = await call('gallery.page', { offset: 3, limit: 2 });
    expect(page.items.map((i) => [i.id, i.tags, i.meanBrightness])).toEqual([
      ['cam/c1', ['meteor'], 12],
      ['cam/c0', [], 12],
    ]);
    const detail = await call('gallery.get', { id: 'cam/c1' });
    expect(detail.settings).toEqual({ iso: 800, shutter_speed: '20' });
    expect((await call('gallery.facets', {})).cameras).toEqual([{ agentId: 'cam', name: 'Roof' }]);
    const nights = await call('gallery.nights', { utcOffsetMinutes: 60 });
    expect(nights).toMatchObject({ total: 5, nights: [{ night: '2026-01-10', count: 5 }] });
    await expect(call('gallery.get', { id: 'cam/none' })).rejects.toMatchObject({ code: 'capture_not_found' });
    expect(() => galleryMethods['gallery.tag'].params.parse({ ids: ['cam/c1'] })).toThrow(/give a tag/);
  });

  it('says which captures were reconciled after a crash and returns their unknown settings as null', async () => {
    repo.insert({
      ...row(9),
      captureId: 'found',
      seq: 99,
      iso: null,
      shutterSpeed: null,
      settingsJson: '{"iso":null,"shutter_speed":null}',
      reconciled: true,
    });
    const page = await call('gallery.page', { offset: 0, limit: 2 });
    expect(page.items.map((i) => [i.id, i.reconciled])).toEqual([
      ['cam/found', true],
      ['cam/c4', false],
    ]);
    const detail = await call('gallery.get', { id: 'cam/found' });
    expect(detail).toMatchObject({ reconciled: true, settings: { iso: null, shutter_speed: null } });
  });

  it("a night's bounds pass unchanged, so stored times without milliseconds are inside them", async () => {
    repo.insert({ ...row(9), captureId: 'plain', seq: 99, capturedAt: '2026-01-11T01:00:00Z' });
    const page = await call('gallery.page', { filter: { from: '2026-01-11T01:00:00Z', to: '2026-01-11T01:00:00Z' } });
    expect(page.items.map((i) => i.id)).toEqual(['cam/plain']);
    // A bound with an offset is turned into UTC first.
    const shifted = await call('gallery.page', {
      filter: { from: '2026-01-11T02:00:00+01:00', to: '2026-01-11T03:00:00+01:00' },
    });
    expect(shifted.items.map((i) => i.id)).toEqual(['cam/plain']);
  });

  it('deletes when the camera still holds the copy, and says so', async () => {
    const r = await call('gallery.delete', { ids: ['cam/c1'] });
    expect(r).toMatchObject({ deleted: ['cam/c1'], agentCopies: { 'cam/c1': 'kept' } });
    expect(r.message).toMatch(/camera still has its copy/);
    expect(repo.get('cam', 'c1')).toBeUndefined();
    expect(existsSync(join(dir, 'media/originals/cam/c1.jpg'))).toBe(false);
    expect(existsSync(join(dir, 'media/thumbs/cam/c1.jpg'))).toBe(false);
  });

  it('refuses to delete the only copy without confirmation, changing nothing; deletes it when confirmed', async () => {
    const both = { ids: ['cam/c1', 'cam/c3'] };
    await expect(call('gallery.delete', both)).rejects.toMatchObject({ code: 'only_copy' });
    await expect(call('gallery.delete', both)).rejects.toThrow(
      /1 of these 2 images may exist only on this computer.*already removed/,
    );
    expect(repo.get('cam', 'c1')).toBeDefined();
    expect(existsSync(join(dir, 'media/originals/cam/c3.jpg'))).toBe(true);
    onCamera = null; // offline: cannot be asked, so it may be the only copy
    await expect(call('gallery.delete', { ids: ['cam/c0'] })).rejects.toThrow(/could not be asked/);
    asked = 0;
    await expect(call('gallery.delete', { ids: ['cam/c0', 'cam/c1', 'cam/c2'] })).rejects.toThrow(
      /only on this computer/,
    );
    expect(asked).toBe(1); // one failed ask per camera, not one per image
    const r = await call('gallery.delete', { ids: ['cam/c3'], confirmOnlyCopy: true });
    expect(r.deleted).toEqual(['cam/c3']);
    expect(r.message).toMatch(/gone for good/);
    expect(existsSync(join(dir, 'media/originals/cam/c3.jpg'))).toBe(false);
  });
});
