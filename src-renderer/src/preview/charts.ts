/** Small canvas charts for the preview: the histogram and the focus trend, in the theme's colours. */
import type { Histogram } from './analysis';

/** A theme colour from styles.css, read at draw time so night mode takes over. */
export function themeColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || 'gray';
}

function prepare(canvas: HTMLCanvasElement): CanvasRenderingContext2D | null {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const h = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = themeColor('--panel-2');
  ctx.fillRect(0, 0, w, h);
  return ctx;
}

/** Luminance as a filled area, R, G and B as lines; a square-root scale so dark skies still show. */
export function drawHistogram(canvas: HTMLCanvasElement, hist: Histogram): void {
  const ctx = prepare(canvas);
  if (!ctx) return;
  const { width: w, height: h } = canvas;
  let max = 1;
  for (const ch of [hist.r, hist.g, hist.b, hist.luma]) for (let i = 1; i < 255; i++) max = Math.max(max, ch[i]!);
  const scale = (v: number): number => h - Math.min(1, Math.sqrt(v / max)) * (h - 2);
  const x = (i: number): number => (i / 255) * w;
  ctx.beginPath();
  ctx.moveTo(0, h);
  for (let i = 0; i < 256; i++) ctx.lineTo(x(i), scale(hist.luma[i]!));
  ctx.lineTo(w, h);
  ctx.closePath();
  ctx.fillStyle = themeColor('--muted');
  ctx.globalAlpha = 0.5;
  ctx.fill();
  ctx.globalAlpha = 1;
  const lines: [Uint32Array, string][] = [
    [hist.r, '--red'],
    [hist.g, '--ok'],
    [hist.b, '--chart'],
  ];
  ctx.lineWidth = Math.max(1, w / 256);
  for (const [ch, color] of lines) {
    ctx.beginPath();
    for (let i = 0; i < 256; i++) {
      if (i === 0) ctx.moveTo(x(i), scale(ch[i]!));
      else ctx.lineTo(x(i), scale(ch[i]!));
    }
    ctx.strokeStyle = themeColor(color);
    ctx.stroke();
  }
  // Clipping marks at both ends.
  ctx.fillStyle = themeColor('--warn');
  if (hist.clippedHigh > 0.005) ctx.fillRect(w - 3, 0, 3, h);
  if (hist.clippedLow > 0.2) ctx.fillRect(0, 0, 3, h);
}

/** The last focus figures as a line, with the best one marked. */
export function drawTrend(canvas: HTMLCanvasElement, values: readonly number[], best: number | null): void {
  const ctx = prepare(canvas);
  if (!ctx || values.length === 0) return;
  const { width: w, height: h } = canvas;
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (best !== null) {
    lo = Math.min(lo, best);
    hi = Math.max(hi, best);
  }
  if (hi - lo < 1e-9) {
    hi += 1;
    lo -= 1;
  }
  const y = (v: number): number => h - 3 - ((v - lo) / (hi - lo)) * (h - 6);
  if (best !== null) {
    ctx.strokeStyle = themeColor('--ok');
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(0, y(best));
    ctx.lineTo(w, y(best));
    ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.strokeStyle = themeColor('--accent');
  ctx.lineWidth = 2;
  ctx.beginPath();
  values.forEach((v, i) => {
    const px = values.length === 1 ? w / 2 : (i / (values.length - 1)) * w;
    if (i === 0) ctx.moveTo(px, y(v));
    else ctx.lineTo(px, y(v));
  });
  ctx.stroke();
}
