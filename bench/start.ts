import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../tests/helpers/processes.js';
import { notMeasured, percentile, result, type BenchResult } from './lib.js';

const ROOT = join(import.meta.dirname, '..');

/** Headless station start → UI served (first 200 on GET /), median of several cold starts. */
export async function benchStart(runs = 7): Promise<BenchResult[]> {
  const entry = join(ROOT, 'out/main/headless.js');
  if (!existsSync(entry))
    return [notMeasured('station_start_ms', 'ms', '≤ 1500', 'not built: run "npm run build" first')];
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'skys-bench-start-'));
    const port = await freePort();
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [entry, '--data-dir', dir, '--port', String(port), '--embedded-agent', 'never'],
      {
        stdio: 'ignore',
        env: { ...process.env, SKYSTATION_MDNS: 'off' },
      },
    );
    try {
      for (;;) {
        if (performance.now() - started > 20_000) throw new Error('station did not start in 20 s');
        try {
          const res = await fetch(`http://127.0.0.1:${port}/`);
          await res.arrayBuffer();
          if (res.status === 200) break;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      times.push(performance.now() - started);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return [
    result(
      'station_start_ms',
      percentile(times, 50),
      'ms',
      { text: '≤ 1500', ok: (v) => v <= 1500 },
      `median of ${runs} cold starts (spawn → GET / answered 200), no agents; max ${Math.max(...times).toFixed(0)} ms`,
    ),
  ];
}
