import type SharpConstructor from 'sharp';

let loading: Promise<typeof SharpConstructor> | null = null;

/**
 * sharp (libvips) on first use instead of at start-up: it is a quarter of an
 * idle agent's memory, and an agent that only syncs, meters or waits for its
 * next window never needs it.
 *
 * The agent runs one image at a time (a still or a preview frame), so libvips
 * gets no operation cache (its default keeps up to 50 MB of decoded pixels
 * for repeats that never come) and one worker thread per image instead of
 * one per core (each thread keeps its own buffers).
 */
export function loadSharp(): Promise<typeof SharpConstructor> {
  loading ??= import('sharp').then((m) => {
    const sharp = m.default;
    sharp.cache(false);
    sharp.concurrency(1);
    return sharp;
  });
  return loading;
}
