import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clampToDisplays, defaultWindowState, loadWindowState, saveWindowState, stateFrom } from './window-state';

const laptop = { x: 0, y: 25, width: 1440, height: 875 };
const monitorRight = { x: 1440, y: 0, width: 2560, height: 1440 };

describe('window state', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('keeps a window that is on a display where it was', () => {
    const s = { x: 1600, y: 100, width: 1200, height: 800, maximized: false, fullScreen: false };
    expect(clampToDisplays(s, [laptop, monitorRight])).toEqual(s);
  });

  it('brings back a window left on a monitor that is gone, centred on the primary display', () => {
    const s = { x: 1600, y: 100, width: 1200, height: 800, maximized: true, fullScreen: false };
    expect(clampToDisplays(s, [laptop])).toEqual({ ...s, x: 120, y: 63 });
  });

  it('shrinks a window larger than any display, and never below the minimum the display allows', () => {
    const s = { x: 0, y: 25, width: 3000, height: 2000, maximized: false, fullScreen: false };
    expect(clampToDisplays(s, [laptop])).toMatchObject({ width: 1440, height: 875, x: 0, y: 25 });
    const tiny = { x: 10, y: 30, width: 200, height: 100, maximized: false, fullScreen: false };
    expect(clampToDisplays(tiny, [laptop])).toMatchObject({ width: 720, height: 480 });
  });

  it('pulls a title bar above the work area (under the macOS menu bar) back down', () => {
    const s = { x: 100, y: -5, width: 1000, height: 700, maximized: false, fullScreen: false };
    expect(clampToDisplays(s, [laptop])).toMatchObject({ x: 100, y: 25 });
  });

  it('a window only a sliver of which is visible counts as lost', () => {
    const s = { x: 1400, y: 100, width: 1000, height: 700, maximized: false, fullScreen: false };
    expect(clampToDisplays(s, [laptop])).toMatchObject({ x: 220, y: 113 });
  });

  it('a first run (no position) is centred; no displays leave the state alone', () => {
    expect(clampToDisplays(defaultWindowState(), [monitorRight])).toMatchObject({ x: 2080, y: 310 });
    expect(clampToDisplays(defaultWindowState(), [])).toEqual(defaultWindowState());
  });

  it('saves atomically and reads back; a damaged or missing file gives null', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skys-winstate-'));
    dirs.push(dir);
    const file = join(dir, 'window-state.json');
    await expect(loadWindowState(file)).resolves.toBeNull();
    const s = stateFrom({ x: 10.4, y: 20.6, width: 900, height: 600 }, true, false);
    await saveWindowState(file, s);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      x: 10,
      y: 21,
      width: 900,
      height: 600,
      maximized: true,
      fullScreen: false,
    });
    await expect(loadWindowState(file)).resolves.toEqual(s);
    expect(readdirSync(dir)).toEqual(['window-state.json']); // no temp file left behind
    writeFileSync(file, '{"x": 1, "wid');
    await expect(loadWindowState(file)).resolves.toBeNull();
    writeFileSync(file, '{"width": -3, "height": 10}');
    await expect(loadWindowState(file)).resolves.toBeNull();
  });
});
