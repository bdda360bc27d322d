/**
 * Seed 001's adaptive strategies in live orchestration: with a weather
 * provider (a local server replaying a recorded Open-Meteo answer, made
 * stormy) the station picks the stormy rule for a profile that enables it and
 * keeps exposures short against wind shake; without the rule enabled, or
 * without weather, the plain profile applies.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shutterToSeconds } from '../../src-main/agents/protocol.js';
import { startStation, type Station } from '../../src-main/brain/index.js';
import { HttpWeatherProvider } from '../../src-main/weather/provider.js';
import { weatherFromEnv } from '../../src-main/weather/from-env.js';
import { ROOT, startAgentProcess, until, type RunningProcess } from '../helpers/processes.js';

describe('adaptive strategies chosen from the weather in live orchestration', () => {
  let dir: string;
  let weather: Server;
  let requests = 0;
  let agent: RunningProcess & { port: number; token: string };
  let station: Station;
  let agentId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-strategy-'));
    // A recorded Open-Meteo answer, turned into a thunderstorm with strong wind.
    const recorded = JSON.parse(
      readFileSync(join(ROOT, 'tests/schedule/fixtures/open-meteo-current.json'), 'utf8'),
    ) as { current: Record<string, number | string> };
    recorded.current['weather_code'] = 95;
    recorded.current['wind_speed_10m'] = 16;
    weather = createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(recorded));
    });
    await new Promise<void>((r) => weather.listen(0, '127.0.0.1', () => r()));
    const baseUrl = `http://127.0.0.1:${(weather.address() as AddressInfo).port}`;

    agent = await startAgentProcess(join(dir, 'agent'), ['--sim-resolution', '640x360']);
    station = await startStation({
      dataDir: join(dir, 'station'),
      embeddedAgent: false,
      discovery: false,
      orchestration: { weather: new HttpWeatherProvider({ kind: 'open-meteo', baseUrl }) },
    });
    agentId = (await station.call('addAgent', { host: '127.0.0.1', port: agent.port, token: agent.token })).id;
    await until(
      () => station.call('listAgents'),
      (a) => a.some((v) => v.id === agentId && v.state === 'online'),
    );
    await station.call('setLocation', { latitude: 39.61, longitude: -105.31, timezone: 'UTC' });
  }, 60_000);

  afterAll(async () => {
    await station?.close();
    await agent?.stop();
    await new Promise<void>((r) => weather?.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies the stormy rule when the profile enables it, and the plain profile otherwise', async () => {
    // A profile that allows long exposures (up to 30 s), without and then with the stormy rule.
    await station.call('extendProfile', {
      draft: { profile_id: 'windy', settings: { shutter_max: '30', iso_max: 100, strategies: {} } },
      parent: { profile_id: 'a' },
    });
    await station.call('assignSchedules', { agentId, schedules: [], profileId: 'windy' });
    const [plain] = await station.call('captureFleet', { agentIds: [agentId] });
    expect(plain?.ok, JSON.stringify(plain)).toBe(true);
    expect(plain?.settings?.strategy ?? null).toBeNull();

    await station.call('saveProfileVersion', { profileId: 'windy', settings: { strategies: { stormy: true } } });
    const [stormy] = await station.call('captureFleet', { agentIds: [agentId] });
    expect(stormy?.ok, JSON.stringify(stormy)).toBe(true);
    expect(stormy?.settings?.strategy).toBe('stormy');
    // Short exposures against wind shake: at most 1/125 s whatever the light.
    expect(shutterToSeconds(stormy!.settings!.shutter_speed)).toBeLessThanOrEqual(1 / 125 + 1e-9);
    // The provider was asked once and its answer cached (15-minute refresh).
    expect(requests).toBe(1);
  }, 60_000);

  it('reads the weather settings from the environment, refusing bad ones clearly', () => {
    expect(weatherFromEnv({})).toBeNull();
    expect(weatherFromEnv({ SKYSTATION_WEATHER: 'open-meteo' })).toBeInstanceOf(HttpWeatherProvider);
    expect(() => weatherFromEnv({ SKYSTATION_WEATHER: 'openweathermap' })).toThrow(/needs an API key/);
    expect(() => weatherFromEnv({ SKYSTATION_WEATHER: 'sunny' })).toThrow(/SKYSTATION_WEATHER/);
  });
});
