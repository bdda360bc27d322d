/**
 * Captures taken from the station's screens (capture now, bracketed sets) and
 * the gallery's capture list: each waits for its frame to be copied, verified
 * and given a thumbnail, so the operator gets an image, not an id.
 */
import type { AgentClient } from '../agents/agent-client.js';
import type { CaptureView } from '../api/contract.js';
import type { CapturesRepo, StoredCapture } from '../db/captures-repo.js';
import { splitCaptureId } from '../export/handlers.js';
import type { SyncOptions } from '../sync/sync-engine.js';
import { StationError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { knownAgent, type HandlersFor, type StationService } from './service.js';

/** A gallery row as the UI sees it (`names`: agent id → name, looked up once per page). */
export function captureView(c: StoredCapture, names: ReadonlyMap<string, string>): CaptureView {
  return {
    id: `${c.agentId}/${c.captureId}`,
    agentId: c.agentId,
    agentName: names.get(c.agentId) ?? c.agentId,
    capturedAt: c.capturedAt,
    schedule: c.schedule,
    profile: c.profile,
    testId: c.testId,
    iso: c.iso,
    shutterSpeed: c.shutterSpeed,
    lux: c.lux,
    width: c.width,
    height: c.height,
    sizeBytes: c.sizeBytes,
    sha256: c.sha256,
    thumbPath: c.thumbPath,
    thumbReady: c.meanBrightness !== null && c.meanBrightness !== undefined,
    meanBrightness: c.meanBrightness ?? null,
    imagePath: c.imagePath,
    bracket:
      c.bracketGroup != null && c.bracketIndex != null && c.bracketCount != null && c.bracketEv != null
        ? { group: c.bracketGroup, index: c.bracketIndex, count: c.bracketCount, ev: c.bracketEv }
        : null,
    frameKind: c.frameKind ?? 'light',
  };
}

export interface CaptureServiceDeps {
  captures: CapturesRepo;
  client(agentId: string): AgentClient | undefined;
  agentNames(): ReadonlyMap<string, string>;
  /** Copies an agent's new captures into the gallery (the sync service). */
  syncAgent: (agentId: string, opts?: SyncOptions) => Promise<number>;
  /** Resolves when a capture's thumbnail and quality figures are made. */
  whenDone: (agentId: string, captureId: string) => Promise<void>;
  /** Times a capture-now request, from request to indexed image. */
  startTimer(): () => void;
  log: Logger;
}

type CaptureMethods = 'captureNow' | 'captureBracket' | 'listCaptures' | 'setFrameKind';

export class CaptureService implements StationService {
  readonly name = 'capture';

  constructor(private readonly deps: CaptureServiceDeps) {}

  view(c: StoredCapture, names: ReadonlyMap<string, string> = this.deps.agentNames()): CaptureView {
    return captureView(c, names);
  }

  private requireClient(agentId: string): AgentClient {
    return knownAgent(this.deps.client(agentId), agentId);
  }

  readonly handlers: HandlersFor<CaptureMethods> = {
    captureNow: async (p) => {
      const { captures, syncAgent, whenDone } = this.deps;
      const client = this.requireClient(p.agentId);
      const timer = this.deps.startTimer();
      const response = await client.capture({
        auto: true,
        schedule: 'manual',
        ...(p.frameKind === 'dark' ? { frame_kind: 'dark' as const } : {}),
      });
      // The new frame first, whatever backlog the camera holds (issue #13); the backlog follows in the background.
      await syncAgent(p.agentId, { first: [response] });
      await whenDone(p.agentId, response.capture_id);
      const row = captures.get(p.agentId, response.capture_id);
      if (!row) {
        throw new StationError(
          'capture_not_synced',
          'The camera took the picture but it could not be copied to this computer yet; it stays safe on the camera and will be copied on the next sync.',
        );
      }
      timer();
      return this.view(row);
    },
    captureBracket: async (p) => {
      const { captures, syncAgent, whenDone, log } = this.deps;
      const client = this.requireClient(p.agentId);
      // One request: the agent takes the whole set back to back under its capture lock (each image may be long).
      let response;
      try {
        response = await client.capture(
          {
            auto: true,
            schedule: 'manual',
            bracket: { evs: p.evs },
            ...(p.frameKind === 'dark' ? { frame_kind: 'dark' as const } : {}),
          },
          120_000 * p.evs.length,
        );
      } catch (err) {
        // A set that stopped partway: the images taken are journalled on the agent. Copy them now, so the
        // operator finds them in the gallery beside the error instead of after the next sync.
        if (err instanceof StationError && err.code === 'bracket_incomplete') {
          await syncAgent(p.agentId).catch((syncErr: unknown) =>
            log.warn({ err: syncErr, agentId: p.agentId }, 'copying an incomplete bracketed set failed'),
          );
        }
        throw err;
      }
      const ids = response.captures?.map((c) => c.capture_id) ?? [response.capture_id];
      await syncAgent(p.agentId);
      const views: CaptureView[] = [];
      for (const id of ids) {
        await whenDone(p.agentId, id);
        const row = captures.get(p.agentId, id);
        if (!row) {
          throw new StationError(
            'capture_not_synced',
            `The camera took the ${ids.length} pictures but they could not all be copied to this computer yet; they stay safe on the camera and will be copied on the next sync.`,
          );
        }
        views.push(this.view(row));
      }
      return views;
    },
    listCaptures: (p) => {
      const page = this.deps.captures.page({
        agentId: p.agentId,
        cursor: p.cursor,
        limit: p.limit,
        frameKind: p.frameKind,
      });
      const names = this.deps.agentNames();
      return Promise.resolve({ items: page.items.map((c) => captureView(c, names)), nextCursor: page.nextCursor });
    },
    setFrameKind: (p) => {
      const names = this.deps.agentNames();
      const updated = this.deps.captures
        .setFrameKind(p.ids.map(splitCaptureId), p.kind)
        .map((c) => captureView(c, names));
      const missing = p.ids.filter((id) => !updated.some((u) => u.id === id));
      if (updated.length === 0) {
        throw new StationError('capture_not_found', `No capture in the gallery has the id ${missing[0]}.`);
      }
      return Promise.resolve({ updated, missing });
    },
  };
}
