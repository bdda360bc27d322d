import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Parses Prometheus text into `name{labels}` → value (labels as printed by prom-client). */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?)\s+(\S+)/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** Metric family names declared with # TYPE. */
export function metricNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^# TYPE (\S+) (\S+)/.exec(line);
    if (!m) continue;
    names.add(m[1]!);
    if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m[1]! + s);
  }
  return names;
}

export const PROMTOOL = '/usr/bin/promtool';

/** Runs `promtool check metrics` on the text; throws if promtool is missing (it is a CI dependency). */
export function promtoolCheck(text: string): { code: number | null; output: string } {
  if (!existsSync(PROMTOOL)) throw new Error(`${PROMTOOL} is missing; install the Debian package "prometheus".`);
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

export async function scrape(port: number): Promise<{ status: number; contentType: string; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** A folder with a fake `timedatectl` that answers `show -p NTPSynchronized --value` with `answer`. */
export async function fakeTimedatectl(dir: string, answer: 'yes' | 'no'): Promise<string> {
  const bin = join(dir, 'fake-bin');
  await mkdir(bin, { recursive: true });
  await writeFile(
    join(bin, 'timedatectl'),
    `#!/bin/sh\n[ "$1 $2 $3 $4" = "show -p NTPSynchronized --value" ] || exit 1\necho ${answer}\n`,
    { mode: 0o755 },
  );
  return `${bin}:${process.env['PATH'] ?? ''}`;
}
