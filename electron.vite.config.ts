import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, externalizeDepsPlugin } from 'electron-vite';

export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    build: {
      outDir: 'out/main',
      lib: {
        entry: {
          index: resolve('src-main/electron/main.ts'),
          headless: resolve('src-main/headless.ts'),
          cli: resolve('src-main/cli.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload can require only `electron` and a few built-ins:
      // bundle everything else into the single CJS file.
      externalizeDeps: false,
      outDir: 'out/preload',
      lib: { entry: resolve('src-preload/index.ts'), formats: ['cjs'] },
      rolldownOptions: { output: { entryFileNames: '[name].cjs' } },
    },
  },
  renderer: {
    root: 'src-renderer',
    plugins: [react()],
    // The renderer reaches the station API contract by this name, not by a path into src-main.
    resolve: { alias: { '@contract': resolve('src-main/api/contract.ts') } },
    build: {
      outDir: 'out/renderer',
      rolldownOptions: { input: resolve('src-renderer/index.html') },
    },
  },
});
