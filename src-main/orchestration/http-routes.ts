/**
 * Seed 002 backend monitoring endpoints on the station's HTTP server:
 *   GET /health                     scheduler status, last capture times
 *   GET /status                     active schedules, camera statuses
 *   GET /cameras/{camera_id}/status per-camera health
 * They answer the same data as the API methods schedulerHealth, stationStatus
 * and cameraStatus, as plain JSON (errors: {status:"error", error:{code, message}}).
 */
import type { ServerResponse } from 'node:http';
import { sendJson as send } from '../../agent/src/http/router.js';
import type { DispatchResult } from '../brain/index.js';

export interface Dispatcher {
  dispatch(method: string, params: unknown): Promise<DispatchResult>;
}

const CAMERA_STATUS = /^\/cameras\/([^/]{1,128})\/status$/;

/** Answers a seed 002 monitoring path; false when the path is not one of them. */
export async function handleSeedRoute(station: Dispatcher, path: string, res: ServerResponse): Promise<boolean> {
  let r: DispatchResult;
  if (path === '/health') r = await station.dispatch('schedulerHealth', {});
  else if (path === '/status') r = await station.dispatch('stationStatus', {});
  else {
    const m = CAMERA_STATUS.exec(path);
    if (!m) return false;
    let cameraId: string;
    try {
      cameraId = decodeURIComponent(m[1]!);
    } catch {
      send(res, 400, { status: 'error', error: { code: 'bad_path', message: 'The camera id is not valid.' } });
      return true;
    }
    r = await station.dispatch('cameraStatus', { cameraId });
  }
  if (r.ok) send(res, 200, r.result);
  else {
    const status = r.error.code === 'camera_unknown' ? 404 : r.error.code === 'bad_request' ? 400 : 500;
    send(res, status, { status: 'error', error: r.error });
  }
  return true;
}
