/**
 * The station's one entry for API calls (IPC, WebSocket, HTTP and the CLI all
 * come through here): the method must exist, its params pass the contract's
 * zod schema, and whatever the handler throws leaves as `{code, message}`.
 */
import { isMethodName, methods, type ApiError } from '../api/contract.js';
import { StationError, errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { Handlers } from './service.js';

export type DispatchResult = { ok: true; result: unknown } | { ok: false; error: ApiError };

export type Dispatch = (method: string, params: unknown) => Promise<DispatchResult>;

export function createDispatch(
  handlers: Handlers,
  deps: { log: Logger; apiErrors: { inc(labels: { code: string }): void } },
): Dispatch {
  return async (method, params) => {
    if (!isMethodName(method)) {
      return { ok: false, error: { code: 'unknown_method', message: `The station has no method "${method}".` } };
    }
    const parsed = methods[method].params.safeParse(params ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || '(params)';
      return {
        ok: false,
        error: {
          code: 'bad_request',
          message: `${field}: ${issue?.message ?? 'invalid value'}`,
          details: {
            field,
            issues: parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message })),
          },
        },
      };
    }
    try {
      const handler = handlers[method] as (p: unknown) => Promise<unknown>;
      return { ok: true, result: await handler(parsed.data) };
    } catch (err) {
      deps.apiErrors.inc({ code: err instanceof StationError ? err.code : 'internal' });
      if (err instanceof StationError) return { ok: false, error: { code: err.code, message: err.message } };
      deps.log.error({ err, method }, 'station method failed');
      return {
        ok: false,
        error: {
          code: 'internal',
          message: `Something went wrong in the station (${errorMessage(err)}). See the log.`,
        },
      };
    }
  };
}
