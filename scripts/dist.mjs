#!/usr/bin/env node
// `npm run dist`: build the app, then the desktop installers for this OS with
// electron-builder (electron-builder.yml). Says plainly what is missing
// instead of failing deep inside a download: installing the Electron binary
// and packaging need Node 22.12+ (electron 45, @electron/get, @electron/rebuild),
// while the headless station, the agent and the tests run on Node 20.19+.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const NEED = [22, 12];

function fail(message) {
  console.error(`npm run dist: ${message}`);
  process.exit(1);
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < NEED[0] || (major === NEED[0] && minor < NEED[1])) {
  fail(
    `building installers needs Node ${NEED.join('.')} or newer (Electron 45's tools ask for it); this is Node ${process.versions.node}. ` +
      'The headless station and the tests still run on Node 20.19+.',
  );
}
const require = createRequire(join(root, 'package.json'));
let builderCli;
try {
  builderCli = join(dirname(require.resolve('electron-builder/package.json')), 'cli.js');
} catch {
  fail('electron-builder is not installed: run "npm install" (it is a dev dependency).');
}
let electronBinary = null;
try {
  const dir = dirname(require.resolve('electron/package.json'));
  electronBinary = existsSync(join(dir, 'path.txt')) ? join(dir, 'dist') : null;
} catch {
  electronBinary = null;
}
if (electronBinary === null || !existsSync(electronBinary)) {
  fail(
    'the Electron binary is not installed (no network when "npm install" ran, or ELECTRON_SKIP_BINARY_DOWNLOAD=1). ' +
      'With network access on Node 22.12+, run "node node_modules/electron/install.js", then try again.',
  );
}

const run = (command, args) => {
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (r.error) fail(`${command} could not start: ${r.error.message}`);
  if (r.status !== 0) process.exit(r.status ?? 1);
};
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
run(npm, ['run', 'build']);
run(process.execPath, [builderCli, '--config', 'electron-builder.yml', ...process.argv.slice(2)]);
