import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpWeatherProvider } from './index.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../tests/schedule/fixtures/${name}`, import.meta.url), 'utf8');
const DENVER = { latitude: 39.609573, longitude: -105.314163 };

interface Replay {
  base: string;
  urls: string[];
  server: Server;
}

/** A local replay server: answers every request with `status` and `body`. */
async function replay(status: number, body: string): Promise<Replay> {
  const urls: string[] = [];
  const server = createServer((req, res) => {
    urls.push(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, urls, server };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('HttpWeatherProvider', () => {
  it('reads an Open-Meteo answer and caches it for 15 minutes (one request)', async () => {
    const r = await replay(200, fixture('open-meteo-current.json'));
    servers.push(r.server);
    let now = Date.parse('2025-06-21T01:00:00Z');
    const p = new HttpWeatherProvider({ kind: 'open-meteo', baseUrl: r.base, now: () => now });
    const first = await p.current(DENVER);
    expect(first).toEqual({
      observed_at: '2025-06-21T01:00:00.000Z',
      condition: 'cloudy',
      cloud_cover_percent: 92,
      precipitation_mm_h: 0,
      wind_speed_m_s: 4.2,
      visibility_m: 24140,
      source: 'open-meteo',
    });
    now += 14 * 60_000;
    await Promise.all([p.current(DENVER), p.current(DENVER)]);
    expect(r.urls).toHaveLength(1);
    expect(r.urls[0]).toMatch(/^\/v1\/forecast\?latitude=39\.6096&longitude=-105\.3142&current=/);
    expect(r.urls[0]).not.toContain('apikey');
    now += 2 * 60_000; // 16 min: refresh
    await p.current(DENVER);
    expect(r.urls).toHaveLength(2);
  });

  it('reads an OpenWeatherMap answer with the API key', async () => {
    const r = await replay(200, fixture('openweathermap-current.json'));
    servers.push(r.server);
    const p = new HttpWeatherProvider({ kind: 'openweathermap', baseUrl: r.base, apiKey: 'k123' });
    const w = await p.current(DENVER);
    expect(w).toMatchObject({
      condition: 'thunderstorm',
      cloud_cover_percent: 100,
      wind_speed_m_s: 13.4,
      precipitation_mm_h: 6.1,
      visibility_m: 8000,
    });
    expect(r.urls[0]).toContain('appid=k123');
  });

  it('a failing server never throws: null without history, the last good value after one', async () => {
    const bad = await replay(500, '{"error":true}');
    servers.push(bad.server);
    const p = new HttpWeatherProvider({ kind: 'open-meteo', baseUrl: bad.base });
    await expect(p.current(DENVER)).resolves.toBeNull();
    expect(p.lastError).toMatch(/HTTP 500/);

    const good = await replay(200, fixture('open-meteo-current.json'));
    servers.push(good.server);
    let now = 0;
    let base = good.base;
    const q = new HttpWeatherProvider({
      kind: 'open-meteo',
      baseUrl: 'http://placeholder',
      now: () => now,
      fetch: (url, init) =>
        fetch(
          (typeof url === 'string' ? url : url instanceof URL ? url.href : url.url).replace('http://placeholder', base),
          init,
        ),
    });
    const ok = await q.current(DENVER);
    expect(ok?.cloud_cover_percent).toBe(92);
    base = bad.base;
    now += 20 * 60_000;
    await expect(q.current(DENVER)).resolves.toEqual(ok);
    expect(q.lastError).not.toBeNull();
    // Garbage JSON and a closed port are failures too.
    const junk = await replay(200, '{"current":{}}');
    servers.push(junk.server);
    await expect(
      new HttpWeatherProvider({ kind: 'open-meteo', baseUrl: junk.base }).current(DENVER),
    ).resolves.toBeNull();
    const port = (bad.server.address() as AddressInfo).port;
    await new Promise((r) => bad.server.close(r));
    servers.splice(servers.indexOf(bad.server), 1);
    await expect(
      new HttpWeatherProvider({ kind: 'open-meteo', baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2000 }).current(
        DENVER,
      ),
    ).resolves.toBeNull();
  });
});
