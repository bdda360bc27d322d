/**
 * Which failed reads are worth asking again. A lost connection or a timeout
 * may pass; a refusal (no location yet, an unknown camera, a bad value) gives
 * the same answer every time, and retrying it only keeps the view on
 * "loading" for seconds before it says what is wrong.
 */

/** Station error codes that mean the request itself was refused: asking again changes nothing. */
const REFUSALS = new Set([
  'bad_request',
  'forbidden',
  'unknown_method',
  'not_found',
  'agent_unknown',
  'agent_not_found',
  'capture_not_found',
  'LOCATION_NOT_SET',
]);

/** react-query's retry for reads: at most `max` more tries, and none for a refusal. */
export function shouldRetry(failureCount: number, error: unknown, max = 2): boolean {
  if (failureCount >= max) return false;
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return !(typeof code === 'string' && REFUSALS.has(code));
}
