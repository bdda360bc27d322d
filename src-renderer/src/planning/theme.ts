/**
 * Colours for canvas charts, read from the theme's CSS variables so night
 * mode (a data attribute on <html> that redefines them) takes over the charts
 * too. `useThemeVersion` changes whenever <html>'s attributes or class change,
 * so a chart can rebuild with the new colours.
 */
import { useEffect, useState } from 'react';
import { cssColor, type ColorName } from '../shell/theme';

export { THEME_VARIABLES } from '../shell/theme';
export type ThemeVariable = ColorName;

/** The variable's current value ("#d9822b", "rgb(…)"), or the fallback when it is not set. */
export function cssVar(name: ThemeVariable, fallback = 'gray'): string {
  if (typeof document === 'undefined') return fallback;
  return cssColor(name) || fallback;
}

/** Parses #rgb, #rrggbb, rgb() and rgba() into channels 0–255; null for anything else. */
export function parseColor(text: string): [number, number, number] | null {
  const t = text.trim();
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(t);
  if (hex) {
    const h = hex[1]!;
    const full = h.length === 3 ? [...h].map((c) => c + c).join('') : h;
    return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16)) as [number, number, number];
  }
  const rgb = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/i.exec(t);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  return null;
}

/** The variable's colour with an alpha (0–1), as rgba(); the colour itself when it cannot be parsed. */
export function cssVarAlpha(name: ThemeVariable, alpha: number): string {
  const value = cssVar(name);
  const rgb = parseColor(value);
  return rgb ? `rgba(${rgb[0]}, ${rgb[1]}, ${rgb[2]}, ${alpha})` : value;
}

/** A chart.js tooltip's colours from the theme (every canvas chart's tooltip looks the same). */
export function themedTooltip() {
  const text = cssVar('--text');
  return {
    backgroundColor: cssVar('--panel-2'),
    titleColor: text,
    bodyColor: text,
    borderColor: cssVar('--line'),
    borderWidth: 1,
  };
}

/** A number that changes when the page's theme may have changed (attributes or class of <html>). */
export function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const observer = new MutationObserver(() => setVersion((v) => v + 1));
    observer.observe(document.documentElement, { attributes: true });
    return () => observer.disconnect();
  }, []);
  return version;
}
