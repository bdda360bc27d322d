/**
 * Hands memory back to the system at the two moments the agent knows a lot of
 * it just became garbage, when node runs with --expose-gc (the systemd unit
 * resources/skystation-agent.service does; elsewhere these are no-ops):
 *
 * - once start-up has settled: the module sources and compile temporaries of
 *   start-up would otherwise stay until the first full collection, which an
 *   idle agent may not reach for hours;
 * - after each still: its pixel buffers (a 1080p render is ~8 MB, a 12 MP
 *   JPEG plus its decode more) live outside the JS heap, and V8 only frees
 *   them once its young generation fills with small objects or 64 MB of such
 *   buffers have piled up, which on a 512 MB Pi is a large part of the
 *   headroom. A young-generation collection (about a millisecond) frees them.
 *
 * With glibc's fixed mmap threshold (MALLOC_MMAP_THRESHOLD_ in the unit) the
 * freed buffers go straight back to the kernel instead of fragmenting the heap.
 */
import type { CameraDriver } from '../camera/driver.js';

type GcFunction = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => unknown;

function exposedGc(): GcFunction | null {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as GcFunction) : null;
}

/** Whether node was started with --expose-gc, so the calls below do something. */
export function gcExposed(): boolean {
  return exposedGc() !== null;
}

/** A young-generation (`minor`, ~1 ms) or full (`major`) collection; a no-op without --expose-gc. */
export function collectGarbage(type: 'minor' | 'major'): void {
  exposedGc()?.({ type });
}

/** Wraps a camera so every still (failed ones too) is followed by a young-generation collection. */
export function collectingAfterCapture(camera: CameraDriver): CameraDriver {
  if (!gcExposed()) return camera;
  return new Proxy(camera, {
    get(target, prop) {
      if (prop === 'capture') {
        const capture: CameraDriver['capture'] = (settings, signal) =>
          target.capture(settings, signal).finally(() => collectGarbage('minor'));
        return capture;
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
