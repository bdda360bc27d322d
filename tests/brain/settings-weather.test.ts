/**
 * The weather provider chosen on the Settings screen reroutes live
 * orchestration at once, with no restart: a real station and a real agent,
 * two local servers replaying a recorded Open-Meteo answer (one made stormy,
 * one calm). Updating the settings switches which server is asked (the cache
 * is reset), and the stormy rule follows. The settings survive a restart.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStation, type Station } from '../../src-main/brain/index.js';
import { ROOT, startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';

interface Replay {
  server: Server;
  base: string;
  requests: string[];
}

async function replayWeather(weatherCode: number, windKmh: number): Promise<Replay> {
  const recorded = JSON.parse(readFileSync(join(ROOT, 'tests/schedule/fixtures/open-meteo-current.json'), 'utf8')) as {
    current: Record<string, number | string>;
  };
  recorded.current['weather_code'] = weatherCode;
  recorded.current['wind_speed_10m'] = windKmh;
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(recorded));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

describe('weather settings reroute live orchestration without a restart', () => {
  let dir: string;
  let stormy: Replay;
  let calm: Replay;
  let agent: RunningProcess & { port: number; token: string };
  let station: Station;
  let agentId: string;

  const start = async (): Promise<Station> =>
    startStation({ dataDir: join(dir, 'station'), embeddedAgent: false, discovery: false });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-settings-weather-'));
    stormy = await replayWeather(95, 16);
    calm = await replayWeather(0, 2);
    agent = await startAgentProcess(join(dir, 'agent'), ['--sim-resolution', '640x360']);
    station = await start();
    agentId = (await station.call('addAgent', { host: '127.0.0.1', port: agent.port, token: agent.token })).id;
    await until(
      () => station.call('listAgents'),
      (a) => a.some((v) => v.id === agentId && v.state === 'online'),
    );
    await station.call('setLocation', { latitude: 39.61, longitude: -105.31, timezone: 'UTC' });
    await station.call('extendProfile', {
      draft: { profile_id: 'windy', settings: { shutter_max: '30', iso_max: 100, strategies: { stormy: true } } },
      parent: { profile_id: 'a' },
    });
    await station.call('assignSchedules', { agentId, schedules: [], profileId: 'windy' });
  }, 60_000);

  afterAll(async () => {
    await station?.close();
    await agent?.stop();
    await Promise.all([stormy, calm].map((r) => new Promise<void>((ok) => r?.server.close(() => ok()))));
    rmSync(dir, { recursive: true, force: true });
  });

  const strategyOfNextCapture = async (): Promise<string | null> => {
    const [r] = await station.call('captureFleet', { agentIds: [agentId] });
    expect(r?.ok, JSON.stringify(r)).toBe(true);
    return r?.settings?.strategy ?? null;
  };

  it('none → stormy server → calm server, each taking effect on the next capture', async () => {
    // No provider yet: the sun alone, and no server is asked.
    expect((await station.call('getSettings')).weather).toMatchObject({
      provider: 'none',
      effective: { provider: 'none', source: 'settings' },
    });
    expect(await strategyOfNextCapture()).toBeNull();
    expect(stormy.requests.length + calm.requests.length).toBe(0);

    const view = await station.call('updateSettings', { weather: { provider: 'open-meteo', baseUrl: stormy.base } });
    expect(view.weather.effective).toEqual({
      provider: 'open-meteo',
      baseUrl: stormy.base,
      apiKeySet: false,
      source: 'settings',
    });
    expect(await strategyOfNextCapture()).toBe('stormy');
    expect(stormy.requests).toHaveLength(1);
    expect(stormy.requests[0]).toMatch(/^\/v1\/forecast\?latitude=39\.6100&longitude=-105\.3100/);

    // Switching servers resets the cache: the calm one is asked at once, the stormy one no more.
    await station.call('updateSettings', { weather: { baseUrl: calm.base } });
    expect(await strategyOfNextCapture()).toBeNull();
    expect(calm.requests).toHaveLength(1);
    expect(stormy.requests).toHaveLength(1);

    // "Test connection" asks once, for the station's place.
    const test = await station.call('testWeather', {});
    expect(test).toMatchObject({
      provider: 'open-meteo',
      place: { latitude: 39.61, longitude: -105.31 },
      observation: { condition: 'clear', source: 'open-meteo' },
    });
    expect(calm.requests).toHaveLength(2);

    // A bad value is refused with the field named, and changes nothing.
    const bad = await station.dispatch('updateSettings', { weather: { provider: 'sunny' } });
    expect(bad).toMatchObject({
      ok: false,
      error: { code: 'bad_request', message: expect.stringMatching(/^weather\.provider/) as unknown },
    });
    const owm = await station.dispatch('updateSettings', { weather: { provider: 'openweathermap' } });
    expect(owm).toMatchObject({ ok: false, error: { code: 'settings_invalid' } });
    expect((await station.call('getSettings')).weather.provider).toBe('open-meteo');
  }, 60_000);

  it('the settings are kept (0600) and used again after a restart', async () => {
    // Kept in the station database (issue #13), which only its owner may read.
    expect(statSync(join(dir, 'station', 'gallery.sqlite')).mode & 0o777).toBe(0o600);
    await station.close();
    station = await start();
    await until(
      () => station.call('listAgents'),
      (a) => a.some((v) => v.id === agentId && v.state === 'online'),
    );
    expect((await station.call('getSettings')).weather).toMatchObject({ provider: 'open-meteo', baseUrl: calm.base });
    await station.call('updateSettings', { weather: { baseUrl: stormy.base } });
    expect(await strategyOfNextCapture()).toBe('stormy');
    expect(stormy.requests).toHaveLength(2);
  }, 60_000);
});
