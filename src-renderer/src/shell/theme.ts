/**
 * Night mode (red on black, for dark adaptation at the telescope) and colours
 * for canvas and chart code. Styles come from the CSS variables in styles.css;
 * night mode overrides them under html[data-night].
 */

/** The theme's colour variables (styles.css); night mode redefines each. */
export const THEME_VARIABLES = [
  '--bg',
  '--panel',
  '--panel-2',
  '--line',
  '--text',
  '--muted',
  '--accent',
  '--accent-dim',
  '--red',
  '--ok',
  '--warn',
  '--info',
  '--chart',
  '--chart-muted',
] as const;
export type ColorName = (typeof THEME_VARIABLES)[number];

const STORAGE_KEY = 'skystation.nightMode';

/**
 * The current value of a theme colour, e.g. cssColor('--accent') for a chart
 * line. Read it when drawing (not once at start): night mode changes it.
 */
export function cssColor(name: ColorName, root: Element = document.documentElement): string {
  return getComputedStyle(root).getPropertyValue(name).trim();
}

/** The remembered choice; false when nothing (or something unreadable) is stored. */
export function readNightPreference(storage: Pick<Storage, 'getItem'> | null): boolean {
  try {
    return storage?.getItem(STORAGE_KEY) === 'on';
  } catch {
    return false;
  }
}

export function writeNightPreference(storage: Pick<Storage, 'setItem'> | null, on: boolean): void {
  try {
    storage?.setItem(STORAGE_KEY, on ? 'on' : 'off');
  } catch {
    // Private windows may refuse storage: the mode still applies to this window.
  }
}

/** Turns night mode on or off for the page (the CSS does the rest). */
export function applyNightMode(on: boolean, root: HTMLElement = document.documentElement): void {
  root.toggleAttribute('data-night', on);
}

export function browserStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}
