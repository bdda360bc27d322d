/**
 * `npm run bench [-- --only GROUP]`: runs the benchmarks, prints a table and
 * writes bench/results/latest.json. Targets come from ../shared/TARGETS.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchExport } from './export.js';
import { benchGallery } from './gallery.js';
import { benchStart } from './start.js';
import { benchThumbnails } from './thumbnails.js';
import { notMeasured, table, type BenchResult } from './lib.js';

type Group = () => Promise<BenchResult[]> | BenchResult[];

const pending =
  (why: string, ...rows: [string, string, string][]): Group =>
  () =>
    rows.map(([id, unit, target]) => notMeasured(id, unit, target, why));

const groups: Record<string, Group> = {
  capture: pending(
    'not measured yet: needs the agent trigger timestamps (issue 4)',
    ['capture_trigger_p99_ms', 'ms', '≤ 20'],
    ['plan_start_error_p99_ms', 'ms', '≤ 10'],
    ['capture_skew_p99_ms', 'ms', '≤ 20'],
  ),
  preview: pending(
    'not measured yet: live preview is not built (issue 4)',
    ['preview_1_fps', 'fps', '≥ 25'],
    ['preview_1_latency_p95_ms', 'ms', '≤ 100'],
    ['preview_5_fps', 'fps', '≥ 15'],
    ['preview_5_latency_p95_ms', 'ms', '≤ 150'],
  ),
  discovery: pending(
    'not measured yet: mDNS discovery is not built (issue 5)',
    ['discovery_p50_ms', 'ms', '≤ 50'],
    ['discovery_p95_ms', 'ms', '≤ 1500'],
  ),
  sync: pending('not measured yet (issue 5)', ['sync_vs_curl_ratio', 'ratio', '≥ 0.9']),
  gallery: () => benchGallery(),
  thumbnails: () => benchThumbnails(),
  export: () => benchExport(),
  memory: pending(
    'not measured yet (issue 3)',
    ['agent_rss_idle_mb', 'MB', '≤ 60'],
    ['agent_rss_loaded_mb', 'MB', '≤ 120'],
  ),
  start: () => benchStart(),
  fleet: pending('not measured yet (issue 5)', ['fleet_event_loop_lag_p99_ms', 'ms', '≤ 20']),
};

const { values } = parseArgs({ options: { only: { type: 'string' } }, strict: true });
const selected = values.only ? values.only.split(',') : Object.keys(groups);
for (const g of selected) {
  if (!(g in groups)) {
    process.stderr.write(`Unknown benchmark group "${g}"; choose from: ${Object.keys(groups).join(', ')}.\n`);
    process.exit(2);
  }
}

const results: BenchResult[] = [];
for (const g of selected) {
  process.stderr.write(`running ${g}…\n`);
  results.push(...(await groups[g]!()));
}
process.stdout.write(`${table(results)}\n`);
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`wrote ${join(dir, 'latest.json')}\n`);
