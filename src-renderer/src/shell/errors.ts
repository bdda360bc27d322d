/**
 * Errors in an operator's words. The station names the field a refused value
 * was in by its schema path ("selection.to: Invalid ISO datetime"); the
 * operator sees which thing on the screen to fix instead.
 */

/** The last segment of a schema path, as the operator knows it on screen. */
const FIELD_WORDS: Record<string, string> = {
  agentId: 'the camera',
  agentIds: 'the cameras',
  cameraId: 'the camera',
  to: 'the end time',
  from: 'the start time',
  start: 'the start',
  end: 'the end',
  intervalSeconds: 'the interval',
  interval: 'the interval',
  evs: 'the bracket offsets',
  code: 'the pairing code',
  url: 'the address',
  host: 'the address',
  port: 'the port',
  name: 'the name',
  fps: 'the frame rate',
  preset: 'the preset',
  limit: 'how many to show',
  sessionId: 'the viewer session id',
  latitude: 'the latitude',
  longitude: 'the longitude',
  timezone: 'the time zone',
  profile_id: 'the profile name',
  version: 'the version',
  offset_minutes: 'the offset',
  ids: 'the chosen images',
};

/** "the end time" for "selection.to", "the camera" for "agentIds.0"; null when the path means nothing to an operator. */
export function fieldWords(path: string): string | null {
  const parts = path.split('.').filter((p) => p !== '' && !/^\d+$/.test(p));
  const last = parts[parts.length - 1];
  if (last === undefined) return null;
  if (FIELD_WORDS[last] !== undefined) return FIELD_WORDS[last];
  // camelCase or snake_case to words: "maxExposureSeconds" -> "the max exposure seconds".
  const words = last
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase();
  return /^[a-z][a-z0-9 ]*$/.test(words) ? `the ${words}` : null;
}

/** The message to show for a station error: a refused value names the thing to fix, without its schema path. */
export function operatorMessage(code: string, message: string): string {
  if (code !== 'bad_request') return message;
  const m = /^([A-Za-z0-9_.[\]()]+): ([\s\S]+)$/.exec(message);
  if (m === null) return message;
  const what = m[1] === '(params)' ? null : fieldWords(m[1]!);
  const why = m[2]!.trim();
  return what === null ? `That was refused: ${why}` : `Check ${what}: ${why}`;
}
