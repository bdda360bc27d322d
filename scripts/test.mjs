#!/usr/bin/env node
// `npm test`: static checks, the build, then every vitest test (unit,
// integration, e2e in Debian's Chromium). Ends with one line
// "N passed, N failed[, N skipped]" that CI reads; each static check counts as one.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const extra = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];

function step(name, cmd, args) {
  const started = Date.now();
  process.stdout.write(`\n▶ ${name}\n`);
  const r = spawnSync(cmd, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, SKYSTATION_MDNS: process.env.SKYSTATION_MDNS ?? 'off' },
  });
  const ok = r.status === 0;
  process.stdout.write(`${ok ? '✔' : '✘'} ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  return ok;
}

const checks = [
  ['typecheck (node: src-main, src-preload, tests, bench)', 'npx', ['tsc', '-p', 'tsconfig.node.json', '--noEmit']],
  ['typecheck (web: src-renderer)', 'npx', ['tsc', '-p', 'tsconfig.web.json', '--noEmit']],
  ['typecheck (agent)', 'npx', ['tsc', '-p', 'agent/tsconfig.json', '--noEmit']],
  ['lint (eslint)', 'npx', ['eslint', '--max-warnings', '0', '.']],
  ['format (prettier --check)', 'npx', ['prettier', '--check', '--log-level', 'warn', '.']],
  ['build (electron-vite + agent)', 'npm', ['run', 'build', '--silent']],
];
if (!extra.includes('--no-static')) {
  for (const [name, cmd, args] of checks) {
    if (step(name, cmd, args)) passed++;
    else {
      failed++;
      failures.push(name);
    }
  }
}

const report = join(root, '.vitest-report.json');
rmSync(report, { force: true });
const vitestArgs = [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...extra.filter((a) => a !== '--no-static'),
];
step('vitest', 'npx', vitestArgs);
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  // A test file that fails to load has no tests to count; count the file.
  const brokenFiles = (r.testResults ?? []).filter(
    (f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0,
  );
  failed += brokenFiles.length;
  for (const f of brokenFiles) failures.push(`${f.name} (did not load: ${(f.message ?? '').split('\n')[0]})`);
  for (const f of r.testResults ?? []) {
    for (const t of f.assertionResults ?? []) if (t.status === 'failed') failures.push(`${t.fullName}`);
  }
} else {
  failed++;
  failures.push('vitest wrote no report');
}

if (failures.length) {
  process.stdout.write(`\nFailed:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
}
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed === 0 ? 0 : 1);
