/**
 * Frame order and pacing. Exports place frames at a constant output rate in
 * capture order ('sequence'): irregular intervals and gaps never cause jumps
 * or stalls, which is what a timelapse viewer expects. 'realtime' keeps output
 * time proportional to capture time instead, by holding or dropping frames.
 */
export interface TimedFrame {
  path: string;
  capturedAt: string;
  temperatureC?: number | null | undefined;
  /** Capture time, epoch ms. */
  t: number;
}

/** Stable sort by capture time (equal times keep the caller's order). */
export function orderFrames(
  frames: readonly { path: string; capturedAt: string; temperatureC?: number | null | undefined }[],
): TimedFrame[] {
  return frames
    .map((f, i) => ({ f, i, t: Date.parse(f.capturedAt) }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map(({ f, t }) => ({ path: f.path, capturedAt: f.capturedAt, temperatureC: f.temperatureC ?? null, t }));
}

export function medianInterval(ordered: readonly TimedFrame[]): number {
  const d: number[] = [];
  for (let i = 1; i < ordered.length; i++) {
    const dt = ordered[i]!.t - ordered[i - 1]!.t;
    if (dt > 0) d.push(dt);
  }
  if (d.length === 0) return 0;
  d.sort((a, b) => a - b);
  return d[Math.floor(d.length / 2)]!;
}

/**
 * The output sequence. 'sequence' returns the ordered frames. 'realtime'
 * samples at the median capture interval: each output slot shows the frame
 * nearest in time, so faster bursts are thinned and slower stretches hold
 * the frame; a gap longer than `maxGapIntervals` intervals is shortened to
 * one interval so a night-to-night selection does not hold a frame for hours.
 */
export function paceFrames(
  ordered: readonly TimedFrame[],
  mode: 'sequence' | 'realtime',
  maxGapIntervals = 10,
): TimedFrame[] {
  if (mode === 'sequence' || ordered.length < 2) return [...ordered];
  const step = medianInterval(ordered);
  if (step <= 0) return [...ordered];
  // Effective times with long gaps shortened.
  const eff: number[] = [0];
  for (let i = 1; i < ordered.length; i++) {
    const dt = ordered[i]!.t - ordered[i - 1]!.t;
    eff.push(eff[i - 1]! + (dt > maxGapIntervals * step ? step : dt));
  }
  const out: TimedFrame[] = [];
  const end = eff[eff.length - 1]!;
  let j = 0;
  for (let slot = 0; slot <= end + step / 2; slot += step) {
    while (j + 1 < eff.length && Math.abs(eff[j + 1]! - slot) <= Math.abs(eff[j]! - slot)) j++;
    out.push(ordered[j]!);
  }
  return out;
}
