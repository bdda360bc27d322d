/** Times in the station location's zone (an IANA name), with Intl only. */

const cache = new Map<string, Intl.DateTimeFormat>();

function fmt(timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${timeZone}|${JSON.stringify(options)}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(undefined, { timeZone, ...options });
    cache.set(key, f);
  }
  return f;
}

/** "18:42" in the zone. */
export const clockIn = (ms: number, timeZone: string): string =>
  fmt(timeZone, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);

/** "Fri 21 Mar, 18:42" in the zone. */
export const dayClockIn = (ms: number, timeZone: string): string =>
  fmt(timeZone, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(ms);

/** The zone's short name at an instant ("MDT", "GMT+1"). */
export function zoneAbbreviation(ms: number, timeZone: string, style: 'short' | 'shortOffset' = 'short'): string {
  return (
    fmt(timeZone, { timeZoneName: style })
      .formatToParts(ms)
      .find((p) => p.type === 'timeZoneName')?.value ?? ''
  );
}

/** The local calendar day of an instant in the zone, "YYYY-MM-DD". */
export function localDay(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(ms);
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** "YYYY-MM-DD" plus n days. */
export function addDaysIso(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + n)).toISOString().slice(0, 10);
}

/** "Fri 21" for a calendar day (the weekday of that date, zone-free). */
export function dayLabel(day: string): { weekday: string; date: string; month: string } {
  const t = Date.parse(`${day}T12:00:00Z`);
  const f = (o: Intl.DateTimeFormatOptions): string =>
    new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', ...o }).format(t);
  return { weekday: f({ weekday: 'short' }), date: f({ day: 'numeric' }), month: f({ month: 'short' }) };
}

/** Axis ticks at whole local hours that are multiples of `stepHours` (24: local midnights), DST days included. */
export function hourTicks(from: number, to: number, stepHours: number, timeZone: string): { value: number }[] {
  const ticks: { value: number }[] = [];
  for (let t = Math.ceil(from / 3_600_000) * 3_600_000; t <= to; t += 1_800_000) {
    const clock = clockIn(t, timeZone);
    if (!clock.endsWith(':00')) continue;
    if (Number(clock.slice(0, 2)) % stepHours === 0) ticks.push({ value: t });
  }
  return ticks;
}
