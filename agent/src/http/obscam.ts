/**
 * ObsCam's API (seed 004) on the agent:
 *
 *   GET /api/health        camera state and connection use (ObsCam's 5-connection limit)
 *   POST /api/connect      manual reconnection: close and reopen the camera
 *   GET  /api/connect      405: ObsCam's README shows `curl URL/api/connect` (a GET), but a GET must not
 *                          change anything (an observer's or a prefetching browser's GET reopened the
 *                          camera): the answer says to POST, changes nothing, and keeps the JSON shape.
 *
 * POST /api/force-master/SESSION_ID lives with the sessions (auth/security.ts).
 */
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { CameraDriver } from '../camera/driver.js';
import type { CaptureService } from '../capture-service.js';
import { AgentError, CameraError, ConflictError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { sendJson, type Handler, type Router } from './router.js';

export interface ObsCamDeps {
  camera: CameraDriver;
  captures: CaptureService;
  log: Logger;
  now: () => Date;
  connections?: () => { live: number; max: number };
}

const CameraView = z.object({ connected: z.boolean(), state: z.string(), driver: z.string(), model: z.string() });

export const ObsCamHealth = z.object({
  status: z.enum(['ok', 'degraded']),
  camera: CameraView,
  connections: z.object({ active: z.number().int(), max: z.number().int(), available: z.number().int() }).nullable(),
  time: z.string(),
});
export type ObsCamHealth = z.infer<typeof ObsCamHealth>;

export const ObsCamConnectResponse = z.object({
  success: z.literal(true),
  message: z.string(),
  camera: CameraView,
  duration_ms: z.number(),
});

function cameraView(camera: CameraDriver): z.infer<typeof CameraView> {
  const state = camera.state();
  return {
    connected: state === 'ready' || state === 'busy',
    state,
    driver: camera.driver,
    model: camera.capabilities().model,
  };
}

export function obscamRoutes(d: ObsCamDeps): (router: Router) => void {
  let reconnecting = false;
  const connect: Handler = async ({ res }) => {
    if (reconnecting || d.captures.busy()) {
      throw new ConflictError(
        'camera_busy',
        'The camera is busy with a capture or a reconnection; try again in a moment.',
      );
    }
    reconnecting = true;
    const started = performance.now();
    try {
      d.log.warn({ event: 'camera.reconnect' }, 'reconnecting the camera on request');
      try {
        await d.camera.close();
      } catch (err) {
        d.log.warn({ event: 'camera.close_failed', err }, 'closing the camera failed; opening it again anyway');
      }
      try {
        await d.camera.open();
      } catch (err) {
        throw new CameraError(
          'camera_reconnect_failed',
          `The camera did not reopen (${err instanceof Error ? err.message : String(err)}); check its cable and power.`,
          err,
        );
      }
      const body: z.infer<typeof ObsCamConnectResponse> = {
        success: true,
        message: 'Camera reconnected',
        camera: cameraView(d.camera),
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
      };
      d.log.info({ event: 'camera.reconnected', duration_ms: body.duration_ms }, 'camera reconnected');
      sendJson(res, 200, body);
    } finally {
      reconnecting = false;
    }
  };
  return (router) => {
    router
      .on('GET', '/api/health', ({ res }) => {
        const camera = cameraView(d.camera);
        const c = d.connections?.() ?? null;
        const body: ObsCamHealth = {
          status: camera.connected ? 'ok' : 'degraded',
          camera,
          connections: c ? { active: c.live, max: c.max, available: Math.max(0, c.max - c.live) } : null,
          time: d.now().toISOString(),
        };
        sendJson(res, 200, body);
      })
      .on('GET', '/api/connect', ({ res }) => {
        res.setHeader('allow', 'POST');
        throw new AgentError(
          'method_not_allowed',
          'Reconnecting the camera changes its state, so it needs a POST: curl -X POST -H "Authorization: Bearer TOKEN" URL/api/connect. GET /api/health shows the camera state.',
          { status: 405 },
        );
      })
      .on('POST', '/api/connect', connect);
  };
}
