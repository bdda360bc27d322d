import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelayMs } from './backoff.js';

describe('Backoff', () => {
  it('doubles from the first wait up to the cap, and starts over on reset', () => {
    const b = new Backoff(250, 1_000);
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([250, 500, 1_000, 1_000, 1_000]);
    b.reset();
    expect(b.next()).toBe(250);
  });

  it('has no cap unless given one', () => {
    const b = new Backoff(1);
    for (let i = 0; i < 40; i++) b.next();
    expect(b.next()).toBe(2 ** 40);
  });

  it('gives the wait for the nth attempt as the loop would reach it', () => {
    const b = new Backoff(250, 60_000);
    const walked = Array.from({ length: 12 }, () => b.next());
    expect(walked).toEqual(Array.from({ length: 12 }, (_, i) => backoffDelayMs(i + 1, 250, 60_000)));
    expect(backoffDelayMs(0, 250, 60_000)).toBe(250);
  });
});
