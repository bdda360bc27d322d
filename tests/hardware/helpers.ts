import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/processes.js';

/** Stand-in programs for camera hardware this machine does not have (rpicam-*, ffmpeg with a v4l2 input). */
export const FIXTURE_BIN = join(ROOT, 'tests', 'fixtures', 'bin');

/** PATH with the stand-ins first: given only to the agent process under test. */
export function pathWithStandIns(): string {
  return `${FIXTURE_BIN}:${process.env['PATH'] ?? '/usr/bin:/bin'}`;
}

export interface StandInRun {
  pid: number;
  program: string;
  argv: string[];
}

/** The runs a stand-in recorded in its *_LOG file. */
export function standInRuns(logFile: string): StandInRun[] {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as StandInRun);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const SETTINGS = { iso: 200, shutter_speed: '1/100' } as const;

/** POST /capture to an agent; returns the HTTP status and the JSON body. */
export async function postCapture(
  port: number,
  headers: Record<string, string>,
  body: Record<string, unknown> = SETTINGS,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/capture`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
