import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { CameraDriver, CaptureResult } from '../camera/driver.js';
import { collectGarbage, collectingAfterCapture, gcExposed } from './memory.js';

const g = globalThis as { gc?: unknown };
const original = g.gc;
afterEach(() => {
  if (original === undefined) delete g.gc;
  else g.gc = original;
});

/** Installs a recording stand-in for V8's gc() (what --expose-gc defines). */
function recordGc(): unknown[] {
  const calls: unknown[] = [];
  g.gc = (options: unknown) => calls.push(options);
  return calls;
}

const RESULT = { jpeg: Buffer.from([0xff, 0xd8]), width: 1, height: 1, metadata: {} } as unknown as CaptureResult;

function fakeCamera(capture: () => Promise<CaptureResult>): CameraDriver & { opened: number } {
  const camera = {
    driver: 'simulated',
    opened: 0,
    open() {
      this.opened++;
      return Promise.resolve();
    },
    capture,
  };
  return camera as unknown as CameraDriver & { opened: number };
}

describe('collectingAfterCapture', () => {
  it('runs a young-generation collection after every still, failed ones too', async () => {
    const calls = recordGc();
    let fail = false;
    const camera = collectingAfterCapture(
      fakeCamera(() => (fail ? Promise.reject(new Error('jammed')) : Promise.resolve(RESULT))),
    );
    await expect(camera.capture({} as never)).resolves.toBe(RESULT);
    expect(calls).toEqual([{ type: 'minor' }]);
    fail = true;
    await expect(camera.capture({} as never)).rejects.toThrow('jammed');
    expect(calls).toEqual([{ type: 'minor' }, { type: 'minor' }]);
  });

  it('passes everything else through, bound to the camera', async () => {
    recordGc();
    const inner = fakeCamera(() => Promise.resolve(RESULT));
    const camera = collectingAfterCapture(inner) as CameraDriver & { opened: number };
    expect(camera.driver).toBe('simulated');
    const open = camera.open.bind(undefined);
    await open();
    expect(inner.opened).toBe(1);
  });

  it('leaves the camera unwrapped when node runs without --expose-gc', () => {
    delete g.gc;
    const inner = fakeCamera(() => Promise.resolve(RESULT));
    expect(gcExposed()).toBe(false);
    expect(collectingAfterCapture(inner)).toBe(inner);
    expect(() => collectGarbage('major')).not.toThrow();
  });
});

describe('collectGarbage in a real node process', () => {
  const here = fileURLToPath(new URL('./memory.ts', import.meta.url));
  const script = `const m = await import(${JSON.stringify(here)}); m.collectGarbage('minor'); m.collectGarbage('major'); console.log(m.gcExposed());`;
  const runWith = (flags: string[]): string =>
    execFileSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    }).trim();

  it('collects with --expose-gc (the systemd unit) and is a no-op without it', () => {
    expect(runWith(['--expose-gc'])).toBe('true');
    expect(runWith([])).toBe('false');
  });
});
