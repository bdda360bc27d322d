/**
 * `skystation settings` against a real station over its WebSocket API: get,
 * set (a secret read from stdin never echoes), bad keys and values, test.
 * One run goes through the real `skystation` entry point as a child process.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SettingsView } from '../../src-main/api/contract.js';
import { startStation, type Station } from '../../src-main/brain/index.js';
import { patchFor, runSettingsCommand } from '../../src-main/cli/settings-cmd.js';
import { startHttpServer, type StationServer } from '../../src-main/server/http-server.js';
import { ROOT, runToExit } from '../helpers/processes.js';

describe('skystation settings', () => {
  let dir: string;
  let station: Station;
  let server: StationServer;
  let weather: Server;
  let weatherBase: string;
  let url: string;
  const stderr: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skys-settings-cli-'));
    const recorded = await readFile(join(ROOT, 'tests/schedule/fixtures/open-meteo-current.json'), 'utf8');
    weather = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(recorded);
    });
    await new Promise<void>((r) => weather.listen(0, '127.0.0.1', () => r()));
    weatherBase = `http://127.0.0.1:${(weather.address() as AddressInfo).port}`;
    station = await startStation({ dataDir: join(dir, 'station'), embeddedAgent: false, discovery: false });
    server = await startHttpServer(station, { host: '127.0.0.1', port: 0, rendererDir: join(dir, 'no-ui') });
    url = `ws://127.0.0.1:${server.port}/api/ws`;
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      stderr.push(String(s));
      return true;
    });
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await server?.close();
    await station?.close();
    await new Promise<void>((r) => weather?.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  const cli = async (args: string[], stdin = ''): Promise<{ code: number; out: string }> => {
    const out: string[] = [];
    stderr.length = 0;
    const code = await runSettingsCommand(
      [...args, '--url', url],
      (s) => out.push(s),
      () => Promise.resolve(stdin),
    );
    return { code, out: out.join('\n') };
  };

  it('maps KEY VALUE to a patch', () => {
    expect(patchFor('weather.provider', 'open-meteo')).toEqual({ weather: { provider: 'open-meteo' } });
    expect(patchFor('weather.baseUrl', 'none')).toEqual({ weather: { baseUrl: null } });
    expect(patchFor('archive.uploadExports', 'on')).toEqual({ archive: { uploadExports: true } });
    expect(() => patchFor('archive.uploadExports', 'maybe')).toThrow(/true or false/);
    expect(() => patchFor('weather.colour', 'x')).toThrow(/Unknown key "weather.colour"/);
  });

  it('get, set, a secret from stdin, and test', async () => {
    let r = await cli(['get']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/provider\s+none/);
    expect(r.out).toMatch(/S3 archive\n\s+not set/);

    r = await cli(['set', 'weather.provider', 'open-meteo']);
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toMatch(/^Saved\./);
    r = await cli(['set', 'weather.baseUrl', weatherBase]);
    expect(r.code).toBe(0);
    r = await cli(['set', 'weather.apiKey', '-'], 'cli-secret-key\n');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/api key\s+set/);
    expect(r.out).not.toContain('cli-secret-key');

    r = await cli(['get', '--json']);
    const view = JSON.parse(r.out) as SettingsView;
    expect(view.weather).toMatchObject({ provider: 'open-meteo', baseUrl: weatherBase, apiKeySet: true });
    expect(r.out).not.toContain('cli-secret-key');

    await station.call('setLocation', { latitude: 39.61, longitude: -105.31, timezone: 'UTC' });
    r = await cli(['test', 'weather']);
    expect(r.code, stderr.join('')).toBe(0);
    expect(r.out).toMatch(/^open-meteo answered: cloudy, clouds 92 %/);
  });

  it('refuses bad usage (2) and bad values (1) with a sentence', async () => {
    expect((await cli(['set', 'weather.provider'])).code).toBe(2);
    expect(stderr.join('')).toMatch(/needs KEY and VALUE/);
    expect((await cli(['set', 'nope', 'x'])).code).toBe(2);
    expect(stderr.join('')).toMatch(/Unknown key "nope"/);
    let r = await cli(['set', 'weather.provider', 'sunny']);
    expect(r.code).toBe(1);
    expect(stderr.join('')).toMatch(/weather\.provider: provider is none, open-meteo or openweathermap/);
    r = await cli(['set', 'archive.bucket', 'sky']);
    expect(r.code).toBe(1);
    expect(stderr.join('')).toMatch(/archive\.accessKeyId: enter the access key id/);
    r = await cli(['test', 'archive', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ ok: false, error: { code: 'archive_not_configured' } });
  });

  it('runs through the real `skystation` command', async () => {
    const r = await runToExit(process.execPath, [
      '--import',
      'tsx',
      join(ROOT, 'src-main/cli.ts'),
      'settings',
      'get',
      '--json',
      '--url',
      url,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as SettingsView).weather.provider).toBe('open-meteo');
    const help = await runToExit(process.execPath, ['--import', 'tsx', join(ROOT, 'src-main/cli.ts'), '--help']);
    expect(help.stdout).toContain('settings [get|set KEY VALUE');
  });
});
