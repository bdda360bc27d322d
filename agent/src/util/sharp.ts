import type SharpConstructor from 'sharp';

let loading: Promise<typeof SharpConstructor> | null = null;

/**
 * sharp (libvips) on first use instead of at start-up: it is a quarter of an
 * idle agent's memory, and an agent that only syncs, meters or waits for its
 * next window never needs it.
 */
export function loadSharp(): Promise<typeof SharpConstructor> {
  loading ??= import('sharp').then((m) => m.default);
  return loading;
}
