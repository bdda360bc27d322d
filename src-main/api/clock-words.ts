/**
 * A camera clock's offset from the station's as an operator reads it: "in step", "3.4 s ahead", "12 min behind",
 * "169 days behind" (a Pi that booted without a real-time clock), never "-14582501 s". Shared by the
 * brain's clock alert and the renderer's fleet card.
 */
export function formatClockOffset(offsetMs: number): string {
  const s = Math.abs(offsetMs) / 1000;
  const way = offsetMs >= 0 ? 'ahead' : 'behind';
  if (s < 0.05) return 'in step';
  if (s < 10) return `${s.toFixed(1)} s ${way}`;
  if (s < 90) return `${Math.round(s)} s ${way}`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ${way}`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h ${way}`;
  return `${Math.round(s / 86400)} days ${way}`;
}

/**
 * The same offset set against a named clock: "in step with this computer", "0.4 s behind the station's",
 * "3 min ahead of this computer".
 */
export function clockOffsetAgainst(offsetMs: number, what: string): string {
  const words = formatClockOffset(offsetMs);
  if (words === 'in step') return `in step with ${what}`;
  return offsetMs >= 0 ? `${words} of ${what}` : `${words} ${what}`;
}
