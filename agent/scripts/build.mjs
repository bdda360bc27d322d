#!/usr/bin/env node
/**
 * Builds the agent as it ships to a Pi: one minified ES module bundle per entry
 * (dist/cli.js, dist/index.js) plus shared chunks and a chunk for what is
 * loaded on demand (execa), with source maps beside them.
 *
 * Why a bundle and not tsc's file-per-module output: an agent that starts
 * from ~400 modules keeps each one's source text, module record and scope in
 * its heap. One minified bundle keeps one short source, and pure-ASCII output
 * lets V8 store it one byte per character (astronomy-engine's source alone took
 * 800 KB as a two-byte string). Settled idle RSS fell from 65 to 61 MB on the
 * development machine. It also starts faster from a slow SD card.
 *
 * Native addons and packages loaded at run time by name stay in node_modules
 * (install-agent.sh installs the production dependencies): better-sqlite3,
 * sharp, serialport, @homebridge/ciao, ws, pino (its transports load by path),
 * prom-client and yaml.
 */
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const agentDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(agentDir, 'dist');
// yaml is CommonJS loaded with import() on demand: from node_modules, node finds its named exports; as a
// bundled chunk it would only have a default export.
const EXTERNAL = ['better-sqlite3', 'sharp', 'serialport', '@homebridge/ciao', 'ws', 'pino', 'prom-client', 'yaml'];

/**
 * zod's namespace object re-exports every message locale (z.locales), so a
 * bundler cannot drop the 40-odd it never uses; the agent's messages are
 * English, so zod's own locales index is replaced by English alone.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[/\\]node_modules[/\\]zod[/\\]/.test(args.importer)
        ? { path: 'zod-locales-en', namespace: 'zod-locales' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, () => ({
      contents: "export { default as en } from 'zod/v4/locales/en.js';",
      resolveDir: agentDir,
      loader: 'js',
    }));
  },
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: agentDir,
  entryPoints: { cli: 'src/cli.ts', index: 'src/index.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  // Error classes and log messages keep their names.
  keepNames: true,
  charset: 'ascii',
  sourcemap: true,
  external: EXTERNAL,
  plugins: [zodEnglishOnly],
  // CommonJS packages inside the bundle (execa's cross-spawn, …) call require() for node's built-ins; an ES module
  // has none, so each output file gets one.
  banner: {
    js: "import { createRequire as __skystationCreateRequire } from 'node:module'; const require = __skystationCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
  metafile: true,
});
const bytes = Object.entries(result.metafile.outputs)
  .filter(([name]) => name.endsWith('.js'))
  .reduce((n, [, o]) => n + o.bytes, 0);
process.stdout.write(`agent built: ${(bytes / 1024).toFixed(0)} KB of JavaScript in ${outdir}\n`);
