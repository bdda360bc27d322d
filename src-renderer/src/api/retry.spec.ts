import { describe, expect, it } from 'vitest';
import { StationApiError } from '@contract';
import { shouldRetry } from './retry';

describe('shouldRetry', () => {
  it('asks again after a lost connection or a timeout, at most twice', () => {
    const lost = new StationApiError({ code: 'not_connected', message: 'Cannot reach the station.' });
    expect(shouldRetry(0, lost)).toBe(true);
    expect(shouldRetry(1, new StationApiError({ code: 'timeout', message: 'no answer' }))).toBe(true);
    expect(shouldRetry(2, lost)).toBe(false);
    expect(shouldRetry(0, new Error('network'))).toBe(true);
  });
  it('never asks again when the station refused the request (no location yet, an unknown camera)', () => {
    expect(shouldRetry(0, new StationApiError({ code: 'LOCATION_NOT_SET', message: 'no location' }))).toBe(false);
    expect(shouldRetry(0, new StationApiError({ code: 'agent_unknown', message: 'no such camera' }))).toBe(false);
    expect(shouldRetry(0, new StationApiError({ code: 'bad_request', message: 'to: Invalid' }))).toBe(false);
  });
});
