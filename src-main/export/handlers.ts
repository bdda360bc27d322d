/** The brain's handlers for the exports.* methods (params already validated by the contract's schemas). */
import type { z } from 'zod';
import type { exportMethods } from './api-types.js';
import type { ExportService } from './service.js';

type ExportMethods = typeof exportMethods;
export type ExportHandlers = {
  [M in keyof ExportMethods]: (params: z.output<ExportMethods[M]['params']>) => Promise<ExportMethods[M]['result']>;
};

/** A CaptureView id "<agentId>/<captureId>" as its two parts (split at the first "/"). */
export function splitCaptureId(id: string): { agentId: string; captureId: string } {
  const i = id.indexOf('/');
  return { agentId: id.slice(0, i), captureId: id.slice(i + 1) };
}

export function exportHandlers(svc: ExportService): ExportHandlers {
  return {
    'exports.create': (p) => Promise.resolve(svc.create(p)),
    'exports.list': () => Promise.resolve(svc.list()),
    'exports.get': (p) => Promise.resolve(svc.get(p.jobId)),
    'exports.cancel': (p) => Promise.resolve(svc.cancel(p.jobId)),
    'exports.retry': (p) => Promise.resolve(svc.retry(p.jobId)),
    'exports.nightProducts': (p) => Promise.resolve(svc.nightProducts(p.agentId, p.night)),
    'exports.getSettings': () => Promise.resolve(svc.getSettings()),
    'exports.setSettings': (p) => svc.setSettings(p),
  };
}
