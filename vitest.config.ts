import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { '@contract': resolve(import.meta.dirname, 'src-main/api/contract.ts') } },
  test: {
    include: ['src-main/**/*.spec.ts', 'agent/src/**/*.spec.ts', 'src-renderer/**/*.spec.ts', 'tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits for a condition; its default of 1 s is too short for a page or a process on a busy 2-core
    // machine (a poll that succeeds returns at once, so only a failure takes the full time).
    expect: { poll: { timeout: 10_000 } },
    // Integration tests start real processes and bind ports: keep files in
    // separate workers but do not oversubscribe a 2-core machine.
    maxWorkers: 2,
    env: { SKYSTATION_MDNS: 'off' },
  },
});
