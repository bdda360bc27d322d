/**
 * `npm run bench [-- --only GROUP]`: runs the benchmarks, prints a table and
 * writes bench/results/latest.json. Targets come from ../shared/TARGETS.md.
 * With --only, the groups run replace their own ids in latest.json and the
 * others are kept as they were (each entry has its measured_at).
 *
 * Each group runs in a process of its own (this script with --group), so no
 * group pays for what an earlier one left behind: heap, compiled code, timers
 * and sockets. The sync benchmark runs the station's engine in this process and
 * measured about a tenth lower after the capture, preview and discovery groups
 * than on its own.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchCapture } from './capture.js';
import { benchDiscovery } from './discovery.js';
import { benchExport } from './export.js';
import { benchGallery } from './gallery.js';
import { benchMemory } from './memory.js';
import { benchPreview, freshBuiltAgent } from './preview.js';
import { benchUiPreview } from './preview-ui.js';
import { benchStart } from './start.js';
import { benchSync } from './sync.js';
import { benchFleet } from './fleet.js';
import { benchThumbnails } from './thumbnails.js';
import { benchUiGallery } from './ui-gallery.js';
import { table, type BenchResult } from './lib.js';

type Group = () => Promise<BenchResult[]> | BenchResult[];

const groups: Record<string, Group> = {
  capture: () => benchCapture(),
  preview: async () => [...(await benchPreview()), ...(await benchUiPreview())],
  discovery: () => benchDiscovery(),
  sync: () => benchSync(),
  gallery: () => benchGallery(),
  thumbnails: () => benchThumbnails(),
  export: () => benchExport(),
  memory: () => benchMemory(),
  start: () => benchStart(),
  fleet: () => benchFleet(),
  ui: () => benchUiGallery(),
};

const { values } = parseArgs({
  options: { only: { type: 'string' }, group: { type: 'string' }, out: { type: 'string' } },
  strict: true,
});

// A child run: one group, its results written as JSON for the parent.
if (values.group !== undefined) {
  const group = groups[values.group];
  if (!group || values.out === undefined) {
    process.stderr.write(`--group needs a known group and --out FILE.\n`);
    process.exit(2);
  }
  writeFileSync(values.out, JSON.stringify(await group()));
  process.exit(0);
}

const selected = values.only ? values.only.split(',') : Object.keys(groups);
for (const g of selected) {
  if (!(g in groups)) {
    process.stderr.write(`Unknown benchmark group "${g}"; choose from: ${Object.keys(groups).join(', ')}.\n`);
    process.exit(2);
  }
}

// The agent is measured as it runs on a Pi (agent/dist under plain node): build it first when it is stale.
if ((selected.includes('preview') || selected.includes('memory')) && freshBuiltAgent() === null) {
  process.stderr.write('building the agent (agent/dist is older than its source)…\n');
  execFileSync('npm', ['run', 'build', '-w', 'agent'], { stdio: 'ignore' });
}

const results: BenchResult[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'skys-bench-run-'));
try {
  for (const g of selected) {
    process.stderr.write(`running ${g}…\n`);
    const out = join(scratch, `${g}.json`);
    execFileSync(process.execPath, [...process.execArgv, import.meta.filename, '--group', g, '--out', out], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    results.push(...(JSON.parse(readFileSync(out, 'utf8')) as BenchResult[]));
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.stdout.write(`${table(results)}\n`);
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const latest = join(dir, 'latest.json');
let merged: BenchResult[] = results;
if (selected.length < Object.keys(groups).length && existsSync(latest)) {
  try {
    const before = JSON.parse(readFileSync(latest, 'utf8')) as BenchResult[];
    const fresh = new Set(results.map((r) => r.id));
    merged = [...before.filter((r) => !fresh.has(r.id)), ...results];
  } catch {
    process.stderr.write(`${latest} could not be read; writing this run's results alone.\n`);
  }
}
writeFileSync(latest, `${JSON.stringify(merged, null, 2)}\n`);
process.stdout.write(`wrote ${join(dir, 'latest.json')}\n`);
