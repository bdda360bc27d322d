import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  applyEnvOverrides,
  CONFIG_ENV_VARS,
  ConfigError,
  DEFAULT_AGENT_CONFIG,
  defaultConfigPath,
  listConfigBackups,
  loadConfigFile,
  restoreConfigBackup,
  updateConfigFile,
  validateConfig,
} from './config-file.js';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skys-cfg-'));
  file = defaultConfigPath(dir);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('agent config file', () => {
  it('has typed defaults: 48 h retention, warn 80 %, pause 95 %, no emergency deletion', () => {
    expect(DEFAULT_AGENT_CONFIG.retention.synced_max_age_hours).toBe(48);
    expect(DEFAULT_AGENT_CONFIG.disk).toMatchObject({
      warn_percent: 80,
      hard_limit_percent: 95,
      emergency_delete_unsynced: false,
    });
    expect(DEFAULT_AGENT_CONFIG.logging).toMatchObject({ level: 'info', max_size: '10M', max_age_days: 7 });
    expect(CONFIG_ENV_VARS).toContain('SKYSTATION_AGENT_DISK_HARD_LIMIT_PERCENT');
    expect(CONFIG_ENV_VARS).toContain('SKYSTATION_AGENT_SENSORS');
  });

  it('a missing optional file gives defaults; a missing --config file is an error', async () => {
    await expect(loadConfigFile(file, { optional: true, env: {} })).resolves.toEqual({
      config: DEFAULT_AGENT_CONFIG,
      path: null,
    });
    await expect(loadConfigFile(file, { env: {} })).rejects.toMatchObject({ code: 'config_not_found' });
  });

  it('reports every problem with its path, unknown fields included', async () => {
    await writeFile(
      file,
      'disk:\n  warn_percent: 99\n  hard_limit_percent: 90\nretention:\n  keep: 3\nsensors: [bogus]\n',
    );
    const err = await loadConfigFile(file, { env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'retention', message: 'unknown field(s): keep' },
        { path: 'sensors[0]', message: 'must be arduino:PATH[@BAUD], digitemp:PATH or simulated' },
      ]),
    );
    expect((err as ConfigError).message).toMatch(/^The agent config .*agent\.yaml is invalid \(/);
  });

  it('the warn threshold may not be above the hard limit', () => {
    const r = validateConfig({ disk: { warn_percent: 99, hard_limit_percent: 90 } });
    expect(r).toEqual({
      ok: false,
      issues: [{ path: 'disk.warn_percent', message: 'warn_percent must not be above hard_limit_percent' }],
    });
  });

  it('bad YAML is a clear error', async () => {
    await writeFile(file, 'disk: [unclosed\n');
    await expect(loadConfigFile(file, { env: {} })).rejects.toThrow(/is not valid YAML/);
  });

  it('environment variables override the file and are converted by type', async () => {
    await writeFile(file, 'disk:\n  hard_limit_percent: 90\n');
    const { config } = await loadConfigFile(file, {
      env: {
        SKYSTATION_AGENT_DISK_HARD_LIMIT_PERCENT: '97',
        SKYSTATION_AGENT_DISK_EMERGENCY_DELETE_UNSYNCED: 'yes',
        SKYSTATION_AGENT_SENSORS: 'simulated, arduino:/dev/ttyACM0',
      },
    });
    expect(config.disk.hard_limit_percent).toBe(97);
    expect(config.disk.emergency_delete_unsynced).toBe(true);
    expect(config.sensors).toEqual(['simulated', 'arduino:/dev/ttyACM0']);
    const bad = applyEnvOverrides({}, { SKYSTATION_AGENT_DISK_WARN_PERCENT: 'lots' });
    expect(validateConfig(bad).ok).toBe(false);
  });

  it('every update is validated, backs the old file up with a UTC timestamp, and can be restored', async () => {
    const t1 = new Date('2025-10-01T18:04:05.123Z');
    const first = await updateConfigFile(file, { disk: { warn_percent: 70 } }, t1);
    expect(first.backup).toBeNull(); // nothing to back up yet
    const second = await updateConfigFile(file, { retention: { synced_max_age_hours: 24 } }, t1);
    expect(second.backup).toBe(join(dir, 'config.backups', 'agent-20251001T180405Z.yaml'));
    expect(second.config.disk.warn_percent).toBe(70);
    expect(second.config.retention.synced_max_age_hours).toBe(24);
    const third = await updateConfigFile(file, { disk: { warn_percent: null } }, t1);
    expect(third.backup).toBe(join(dir, 'config.backups', 'agent-20251001T180405Z-2.yaml'));
    expect(third.config.disk.warn_percent).toBe(80);

    await expect(updateConfigFile(file, { disk: { hard_limit_percent: 500 } }, t1)).rejects.toBeInstanceOf(ConfigError);
    expect((await listConfigBackups(file)).map((b) => b.name)).toEqual([
      'agent-20251001T180405Z-2.yaml',
      'agent-20251001T180405Z.yaml',
    ]);

    const backups = await listConfigBackups(file);
    expect(backups[1]).toMatchObject({ created_at: '2025-10-01T18:04:05Z' });
    const restored = await restoreConfigBackup(file, 'agent-20251001T180405Z.yaml', new Date('2025-10-02T00:00:00Z'));
    expect(restored.config.disk.warn_percent).toBe(70);
    expect(restored.config.retention.synced_max_age_hours).toBe(48);
    expect(restored.backup).toBe(join(dir, 'config.backups', 'agent-20251002T000000Z.yaml'));
    expect(await readFile(file, 'utf8')).toContain('warn_percent: 70');
    await expect(restoreConfigBackup(file, '../agent.yaml')).rejects.toMatchObject({ code: 'config_backup_not_found' });
    await expect(restoreConfigBackup(file, 'agent-20990101T000000Z.yaml')).rejects.toMatchObject({
      code: 'config_backup_not_found',
    });
  });

  it('environment overrides are never written back by an update', async () => {
    process.env['SKYSTATION_AGENT_DISK_WARN_PERCENT'] = '60';
    try {
      await updateConfigFile(file, { status: { interval_seconds: 10 } });
      expect(await readFile(file, 'utf8')).not.toContain('warn_percent');
    } finally {
      delete process.env['SKYSTATION_AGENT_DISK_WARN_PERCENT'];
    }
  });
});
