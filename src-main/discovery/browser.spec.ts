import { describe, expect, it } from 'vitest';
import { DiscoveryBrowser, mdnsDisabled, queryDelayMs } from './browser.js';

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined, error: () => undefined };

describe('discovery browser', () => {
  it('re-queries at 0.25 s, 0.5 s, 1 s, 2 s … and never waits more than 60 s', () => {
    const delays = Array.from({ length: 12 }, (_, i) => queryDelayMs(i + 1));
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000, 60000]);
    expect(queryDelayMs(3, 100, 300)).toBe(300);
  });

  it('opens no socket and sends nothing with SKYSTATION_MDNS=off', async () => {
    expect(mdnsDisabled({ SKYSTATION_MDNS: 'off' })).toBe(true);
    expect(mdnsDisabled({})).toBe(false);
    const logged: string[] = [];
    const browser = new DiscoveryBrowser({
      log: { ...quiet, info: (o: object) => void logged.push((o as { event: string }).event) },
      env: { SKYSTATION_MDNS: 'off' },
    });
    const queries: number[] = [];
    browser.on('query', (q) => queries.push(q.n));
    browser.start();
    browser.requery();
    await new Promise((r) => setTimeout(r, 300));
    expect(browser.enabled).toBe(false);
    expect(queries).toEqual([]);
    expect(browser.agents()).toEqual([]);
    expect(logged).toEqual(['discovery.disabled']);
    await browser.stop();
  });
});
