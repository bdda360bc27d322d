/**
 * Errors the brain raises on purpose. Each has a stable `code` and a message
 * written for the operator (what happened and what to do). The API boundary
 * turns them into `{ok:false, error:{code, message}}`.
 */
export class StationError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StationError';
    this.code = code;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
