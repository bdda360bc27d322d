/**
 * The main window's size and position, remembered between runs (issue #17).
 * Plain Node (no electron import): main.ts passes the displays' work areas in,
 * so the clamping is unit-tested (window-state.spec.ts). The file is written
 * atomically; a missing or damaged file gives the default window.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const WindowState = z.object({
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  width: z.number().int().min(1).max(100_000),
  height: z.number().int().min(1).max(100_000),
  maximized: z.boolean().default(false),
  fullScreen: z.boolean().default(false),
});
export type WindowState = z.infer<typeof WindowState>;

export const DEFAULT_SIZE = { width: 1280, height: 820 } as const;
export const MIN_SIZE = { width: 720, height: 480 } as const;
/** The window's top strip (where the title bar is): at least GRAB.width of it must be on a display to grab it. */
const GRAB = { width: 120, height: 40 } as const;

export const defaultWindowState = (): WindowState => ({ ...DEFAULT_SIZE, maximized: false, fullScreen: false });

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)),
    height: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)),
  };
}

/**
 * A state that fits the displays there are now: a window larger than every
 * display shrinks to the largest work area; a window whose title strip is on
 * no display (a monitor unplugged, resolution lowered) is centred on the
 * primary display (the first given). With no displays the state is returned
 * as it is.
 */
export function clampToDisplays(state: WindowState, workAreas: readonly Rect[]): WindowState {
  const primary = workAreas[0];
  if (!primary) return state;
  const widest = Math.max(...workAreas.map((a) => a.width));
  const tallest = Math.max(...workAreas.map((a) => a.height));
  const width = Math.max(Math.min(MIN_SIZE.width, widest), Math.min(state.width, widest));
  const height = Math.max(Math.min(MIN_SIZE.height, tallest), Math.min(state.height, tallest));
  const centred = (area: Rect): WindowState => ({
    ...state,
    width: Math.min(width, area.width),
    height: Math.min(height, area.height),
    x: Math.round(area.x + (area.width - Math.min(width, area.width)) / 2),
    y: Math.round(area.y + (area.height - Math.min(height, area.height)) / 2),
  });
  if (state.x === undefined || state.y === undefined) return centred(primary);
  const strip: Rect = { x: state.x, y: state.y, width, height: GRAB.height };
  const home = workAreas.find((a) => {
    const o = overlap(strip, a);
    return o.width >= Math.min(GRAB.width, width) && o.height > 0;
  });
  if (!home) return centred(primary);
  // On a display: keep the place, but pull the top edge down if it is above the work area (title bar out of reach).
  return { ...state, width, height, x: state.x, y: Math.max(state.y, home.y) };
}

/** The saved state, or null when there is none or it cannot be read (the caller uses the default). */
export async function loadWindowState(file: string): Promise<WindowState | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const r = WindowState.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

export async function saveWindowState(file: string, state: WindowState): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(WindowState.parse(state), null, 2)}\n`);
}

/**
 * The state to save from a window: its normal (restored) bounds even while it
 * is maximized or full screen, so un-maximizing next time gives the size the
 * operator chose.
 */
export function stateFrom(normalBounds: Rect, maximized: boolean, fullScreen: boolean): WindowState {
  return {
    x: Math.round(normalBounds.x),
    y: Math.round(normalBounds.y),
    width: Math.max(1, Math.round(normalBounds.width)),
    height: Math.max(1, Math.round(normalBounds.height)),
    maximized,
    fullScreen,
  };
}
