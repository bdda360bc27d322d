/**
 * Errors the agent raises on purpose. Each carries a stable `code` and a
 * sentence a person can act on; the HTTP layer maps `status`, the CLI prints
 * `message`. Anything that is not an AgentError is a bug and becomes a 500.
 */
export class AgentError extends Error {
  readonly code: string;
  readonly status: number;
  readonly field: string | undefined;

  constructor(code: string, message: string, options: { status?: number; field?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentError';
    this.code = code;
    this.status = options.status ?? 500;
    this.field = options.field;
  }
}

/** Bad input from a client: a 4xx, never a 5xx. */
export class ValidationError extends AgentError {
  constructor(message: string, field?: string, code = 'invalid_request') {
    super(code, message, field === undefined ? { status: 400 } : { status: 400, field });
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends AgentError {
  constructor(message: string, code = 'not_found') {
    super(code, message, { status: 404 });
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends AgentError {
  constructor(code: string, message: string) {
    super(code, message, { status: 409 });
    this.name = 'ConflictError';
  }
}

/** A command-line mistake: the CLI exits with code 2. */
export class UsageError extends AgentError {
  constructor(message: string) {
    super('usage', message, { status: 400 });
    this.name = 'UsageError';
  }
}

export class CameraError extends AgentError {
  constructor(code: string, message: string, cause?: unknown) {
    super(code, message, cause === undefined ? { status: 503 } : { status: 503, cause });
    this.name = 'CameraError';
  }
}
