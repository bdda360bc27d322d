import { AgentError, CameraError, ValidationError } from '../util/errors.js';

/** How a camera call failed, for counting and for deciding whether to reconnect. */
export const FAILURE_KINDS = ['timeout', 'disconnected', 'busy', 'io', 'invalid_settings', 'other'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/** Stable codes the camera drivers raise; each maps to one failure kind. */
export const CAMERA_ERROR_KIND = {
  camera_timeout: 'timeout',
  no_camera: 'disconnected',
  camera_disconnected: 'disconnected',
  camera_closed: 'disconnected',
  camera_program_missing: 'disconnected',
  camera_busy: 'busy',
  usb_error: 'io',
  camera_io: 'io',
  unsupported_setting: 'invalid_settings',
  camera_failed: 'other',
} as const satisfies Record<string, FailureKind>;
export type CameraErrorCode = keyof typeof CAMERA_ERROR_KIND;

/** The failure kind of an error, or null when it is no camera failure (a cancelled capture). */
export function failureKind(err: unknown): FailureKind | null {
  if (err instanceof AgentError) {
    if (err.code === 'capture_aborted') return null;
    const kind = (CAMERA_ERROR_KIND as Record<string, FailureKind | undefined>)[err.code];
    return kind ?? 'other';
  }
  return 'other';
}

/** Kinds after which the camera is closed and reopened (the ObsCam USB recovery). */
export function needsReconnect(kind: FailureKind): boolean {
  return kind === 'timeout' || kind === 'disconnected' || kind === 'io';
}

/** A setting the camera refused: a client mistake (400), not a camera fault. */
export function unsupportedSetting(message: string, field?: string): ValidationError {
  return new ValidationError(message, field, 'unsupported_setting');
}

export function cameraError(code: CameraErrorCode, message: string, cause?: unknown): CameraError {
  return new CameraError(code, message, cause);
}

export function abortedError(): CameraError {
  return new CameraError('capture_aborted', 'The capture was cancelled.');
}

/** One line of a program's stderr for an error message: the last non-empty line, trimmed. */
export function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^\*+$/.test(l));
  return (lines.at(-1) ?? '').slice(0, 200);
}
