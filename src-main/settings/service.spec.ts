import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db/database.js';
import type { ArchiveTarget } from '../export/service.js';
import { createLogger } from '../util/log.js';
import { HttpWeatherProvider } from '../weather/provider.js';
import { StationSettings } from './service.js';

const log = createLogger(null);
const DENVER = { latitude: 39.61, longitude: -105.31 };
const fixture = (name: string): string =>
  readFileSync(new URL(`../../tests/schedule/fixtures/${name}`, import.meta.url), 'utf8');

interface Replay {
  base: string;
  urls: string[];
}
const servers: Server[] = [];
async function replay(status: number, body: string): Promise<Replay> {
  const urls: string[] = [];
  const server = createServer((req, res) => {
    urls.push(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, urls };
}

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skys-settings-svc-'));
  db = openDatabase(join(dir, 'gallery.sqlite'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function archiveSink(): { targets: (ArchiveTarget | null)[]; useArchiveSettings(t: ArchiveTarget | null): void } {
  const targets: (ArchiveTarget | null)[] = [];
  return { targets, useArchiveSettings: (t) => targets.push(t) };
}

describe('StationSettings', () => {
  it('swaps the weather provider on update (fresh cache), with no restart', async () => {
    const first = await replay(200, fixture('open-meteo-current.json'));
    const second = await replay(200, fixture('openweathermap-current.json'));
    const s = await StationSettings.start({ dataDir: dir, db, log, env: {}, location: () => DENVER });
    expect(await s.weather.current(DENVER)).toBeNull(); // none by default
    await s.update({ weather: { provider: 'open-meteo', baseUrl: first.base } });
    expect((await s.weather.current(DENVER))?.source).toBe('open-meteo');
    expect((await s.weather.current(DENVER))?.source).toBe('open-meteo'); // cached: one request
    expect(first.urls).toHaveLength(1);
    await s.update({ weather: { provider: 'openweathermap', baseUrl: second.base, apiKey: 'k-42' } });
    const w = await s.weather.current(DENVER);
    expect(w).toMatchObject({ source: 'openweathermap', condition: 'thunderstorm' });
    expect(second.urls[0]).toContain('appid=k-42');
    const view = s.view();
    expect(view.weather).toMatchObject({
      provider: 'openweathermap',
      baseUrl: second.base,
      apiKeySet: true,
      effective: { provider: 'openweathermap', baseUrl: second.base, apiKeySet: true, source: 'settings' },
      environment: [],
    });
    expect(JSON.stringify(view)).not.toContain('k-42');
    // A new station on the same folder uses the saved provider.
    const again = await StationSettings.start({ dataDir: dir, db, log, env: {}, location: () => DENVER });
    await again.weather.current(DENVER);
    expect(second.urls).toHaveLength(2);
    await s.update({ weather: { provider: 'none' } });
    expect(await s.weather.current(DENVER)).toBeNull();
  });

  it('environment precedence: SKYSTATION_WEATHER wins; the key and URL variables fill in what settings leave empty', async () => {
    const envServer = await replay(200, fixture('open-meteo-current.json'));
    const savedServer = await replay(200, fixture('open-meteo-current.json'));
    const fixed = new HttpWeatherProvider({ kind: 'open-meteo', baseUrl: envServer.base });
    const s = await StationSettings.start({
      dataDir: dir,
      db,
      log,
      env: { SKYSTATION_WEATHER: 'open-meteo', SKYSTATION_WEATHER_URL: envServer.base },
      fixedWeather: fixed,
      location: () => DENVER,
    });
    await s.update({ weather: { provider: 'open-meteo', baseUrl: savedServer.base } });
    await s.weather.current(DENVER);
    expect(envServer.urls).toHaveLength(1);
    expect(savedServer.urls).toHaveLength(0);
    expect(s.view().weather.effective).toMatchObject({ source: 'environment', baseUrl: envServer.base });
    expect(s.view().weather.environment).toEqual(['SKYSTATION_WEATHER', 'SKYSTATION_WEATHER_URL']);

    // Without SKYSTATION_WEATHER the settings decide, with the key from the environment.
    const owm = await replay(200, fixture('openweathermap-current.json'));
    const t = await StationSettings.start({
      dataDir: join(dir, 'b'),
      db: openDatabase(':memory:'),
      log,
      env: { SKYSTATION_WEATHER_API_KEY: 'env-key' },
      location: () => DENVER,
    });
    await t.update({ weather: { provider: 'openweathermap', baseUrl: owm.base } });
    await t.weather.current(DENVER);
    expect(owm.urls[0]).toContain('appid=env-key');
    expect(t.view().weather).toMatchObject({ apiKeySet: false, effective: { apiKeySet: true } });
  });

  it('"Test connection" answers the observation, or one clear sentence', async () => {
    const good = await replay(200, fixture('open-meteo-current.json'));
    const denied = await replay(401, '{"cod":401,"message":"Invalid API key"}');
    let place: typeof DENVER | null = null;
    const s = await StationSettings.start({ dataDir: dir, db, log, env: {}, location: () => place });
    await expect(s.testWeather({})).rejects.toMatchObject({ code: 'weather_off' });
    await s.update({ weather: { provider: 'open-meteo', baseUrl: good.base } });
    await expect(s.testWeather({})).rejects.toMatchObject({ code: 'location_missing' });
    place = DENVER;
    const r = await s.testWeather({});
    expect(r).toMatchObject({ provider: 'open-meteo', observation: { cloud_cover_percent: 92 } });
    // Unsaved values can be tried; the key never shows in the answer.
    await expect(
      s.testWeather({ weather: { provider: 'openweathermap', baseUrl: denied.base, apiKey: 'wrong' } }),
    ).rejects.toMatchObject({
      code: 'weather_test_failed',
      message: expect.stringMatching(/refused the API key \(HTTP 401\); check the key/) as unknown,
    });
    const answer = await s.testWeather({ weather: { provider: 'open-meteo', baseUrl: good.base, apiKey: 'sekrit' } });
    expect(answer.url).toContain('apikey=***');
    expect(answer.url).not.toContain('sekrit');
    // Trying did not save anything.
    expect(s.view().weather.apiKeySet).toBe(false);
    const closedPort = await replay(200, '{}');
    const base = closedPort.base;
    await new Promise((r) => servers.pop()!.close(r));
    await expect(s.testWeather({ weather: { baseUrl: base } })).rejects.toThrow(/cannot reach .*ECONNREFUSED/);
  });

  it('hands the archive target to the exports (and back with null)', async () => {
    const sink = archiveSink();
    const s = await StationSettings.start({ dataDir: dir, db, log, env: {}, location: () => null, archive: sink });
    expect(sink.targets).toEqual([null]);
    await s.update({
      archive: { bucket: 'sky', accessKeyId: 'AK', secretAccessKey: 'SK', uploadExports: true, prefix: 'st1/' },
    });
    expect(sink.targets.at(-1)).toEqual({
      archiveExports: true,
      archiveOriginals: false,
      s3: {
        endpoint: null,
        region: 'us-east-1',
        bucket: 'sky',
        prefix: 'st1/',
        accessKeyId: 'AK',
        secretAccessKey: 'SK',
        forcePathStyle: false,
      },
    });
    // A weather change does not disturb the archive.
    await s.update({ weather: { provider: 'open-meteo' } });
    expect(sink.targets).toHaveLength(2);
    await s.update({ archive: { uploadOriginals: true } });
    expect(sink.targets.at(-1)).toMatchObject({ archiveOriginals: true, s3: { secretAccessKey: 'SK' } });
    expect(s.view().archive).toMatchObject({ secretAccessKeySet: true, uploadOriginals: true });
    expect(JSON.stringify(s.view())).not.toContain('"SK"');
    await s.update({ archive: null });
    expect(sink.targets.at(-1)).toBeNull();
    await expect(s.testArchive({})).rejects.toMatchObject({ code: 'archive_not_configured' });
  });
});
