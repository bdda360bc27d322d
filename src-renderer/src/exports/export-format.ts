/** Pure helpers of the Exports view: time ranges, ETA text, what a finished job shows. */
import type { ExportJobView } from '@contract';

/** datetime-local value (local time, minutes) for a Date. */
export function localInput(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** "3 min 05 s left"; "estimating…" before the first measurement. */
export function etaText(seconds: number | null): string {
  if (seconds === null) return 'estimating…';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min left`;
  return m > 0 ? `${m} min ${String(s % 60).padStart(2, '0')} s left` : `${s} s left`;
}

export type QuickRange = 'last-night' | 'last-24h' | 'last-hour';

export const QUICK_RANGES: readonly { value: QuickRange; label: string }[] = [
  { value: 'last-night', label: 'Last night (18:00 – 08:00)' },
  { value: 'last-24h', label: 'Last 24 hours' },
  { value: 'last-hour', label: 'Last hour' },
];

/**
 * A range in local time. "Last night" is 18:00 yesterday to 08:00 today once
 * 08:00 has passed; before that, the night still running (18:00 yesterday to now).
 */
export function quickRange(kind: QuickRange, now: Date): { from: Date; to: Date } {
  if (kind === 'last-hour') return { from: new Date(now.getTime() - 3_600_000), to: now };
  if (kind === 'last-24h') return { from: new Date(now.getTime() - 86_400_000), to: now };
  const morning = new Date(now.getFullYear(), now.getMonth(), now.getDate(), 8, 0, 0, 0);
  const evening = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1, 18, 0, 0, 0);
  return { from: evening, to: now < morning ? now : morning };
}

/** How a finished job is shown in the app: a video to play, an image to look at, or only its path. */
export function resultKind(
  job: Pick<ExportJobView, 'product' | 'preset' | 'result'>,
): 'video' | 'image' | 'folder' | null {
  if (!job.result) return null;
  if (job.product === 'keogram' || job.product === 'startrails') return job.result.mediaPath ? 'image' : 'folder';
  if (job.preset === 'image-sequence') return 'folder';
  return job.result.mediaPath ? 'video' : 'folder';
}

/** The folder of a file path (either separator). */
export function folderOf(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i <= 0 ? path : path.slice(0, i);
}
