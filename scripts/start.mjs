#!/usr/bin/env node
// `npm start`: build what is missing or stale, then run the Electron app when it
// can run here, or the same brain headless with the UI served on 127.0.0.1:8082.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const forceHeadless = args.includes('--headless');
const passThrough = args.filter((a) => a !== '--headless');

const outputs = [
  'out/main/index.js',
  'out/main/headless.js',
  'out/preload/index.cjs',
  'out/renderer/index.html',
  'agent/dist/cli.js',
];
const sources = ['src-main', 'src-preload', 'src-renderer', 'agent/src'];

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (!entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function needsBuild() {
  if (outputs.some((o) => !existsSync(join(root, o)))) return true;
  const built = Math.min(...outputs.map((o) => statSync(join(root, o)).mtimeMs));
  return Math.max(...sources.map((s) => newestMtime(join(root, s)))) > built;
}

if (needsBuild()) {
  console.log('Building Skystation (first start or changed sources)…');
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('The build failed; see the messages above. Run "npm install" first if dependencies are missing.');
    process.exit(1);
  }
}

function electronBinary() {
  // Never import `electron` here: in plain Node that tries to download the binary.
  const pathTxt = join(root, 'node_modules', 'electron', 'path.txt');
  if (!existsSync(pathTxt)) return null;
  const rel = spawnSync(process.execPath, [
    '-e',
    `process.stdout.write(require('fs').readFileSync(${JSON.stringify(pathTxt)},'utf8'))`,
  ])
    .stdout.toString()
    .trim();
  const bin = join(root, 'node_modules', 'electron', 'dist', rel);
  return existsSync(bin) ? bin : null;
}

const noDisplay = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
const electron = forceHeadless || noDisplay ? null : electronBinary();

if (electron) {
  const child = spawn(electron, [root, ...passThrough], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  if (!forceHeadless) {
    console.log(
      noDisplay
        ? 'No display found: starting Skystation headless; open the address below in a browser.'
        : 'The Electron runtime is not installed on this machine: starting Skystation headless; open the address below in a browser.',
    );
  }
  process.argv = [process.argv[0], join(root, 'out/main/headless.js'), ...passThrough];
  await import(join(root, 'out/main/headless.js'));
}
