/**
 * The agent's YAML config file (`--config FILE`, default `<data-dir>/agent.yaml`
 * when it exists): a zod schema with typed defaults, environment overrides
 * derived from the schema (`SKYSTATION_AGENT_<SECTION>_<KEY>`), validation
 * errors that name the path, and a timestamped backup
 * (`config.backups/agent-YYYYMMDDTHHMMSSZ.yaml`) before every change the agent
 * writes.
 *
 * Stable module API (used by the CinePi /api/config endpoints):
 *   loadConfigFile, validateConfig, updateConfigFile, listConfigBackups,
 *   restoreConfigBackup, defaultConfigPath, DEFAULT_AGENT_CONFIG, AgentConfig.
 */
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './util/fs-atomic.js';
import { loadYaml } from './util/yaml.js';
import { AgentError, NotFoundError } from './util/errors.js';

export const CONFIG_FILE_NAME = 'agent.yaml';
export const CONFIG_BACKUP_DIR = 'config.backups';
export const CONFIG_ENV_PREFIX = 'SKYSTATION_AGENT_';

const SensorSpecText = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(512)
  .regex(/^(arduino:.+|digitemp:.+|simulated)$/i, 'must be arduino:PATH[@BAUD], digitemp:PATH or simulated');

const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const AgentConfigSchema = z.strictObject({
  /** Sensors as on the command line: `arduino:/dev/ttyACM0`, `digitemp:/dev/ttyUSB0`, `simulated`. */
  sensors: z.array(SensorSpecText).max(32).default([]),
  retention: z
    .strictObject({
      /** Synced (acknowledged) captures older than this are deleted. */
      synced_max_age_hours: z
        .number()
        .min(0)
        .max(24 * 3650)
        .default(48),
      /** How often retention runs. */
      interval_seconds: z.number().min(1).max(86400).default(600),
      /** Sensor readings kept in the journal. */
      sensor_readings_max_age_days: z.number().min(1).max(3650).default(30),
    })
    .prefault({}),
  disk: z
    .strictObject({
      /** A warning event above this much used space. */
      warn_percent: z.number().min(1).max(100).default(80),
      /** Captures pause above this much used space (POST /capture answers 507 disk_full). */
      hard_limit_percent: z.number().min(1).max(100).default(95),
      /** Allow deleting unsynced captures, oldest first, when above the hard limit. Off: they are never deleted. */
      emergency_delete_unsynced: z.boolean().default(false),
      check_interval_seconds: z.number().min(0.1).max(3600).default(30),
    })
    .prefault({})
    .refine((d) => d.warn_percent <= d.hard_limit_percent, {
      message: 'warn_percent must not be above hard_limit_percent',
      path: ['warn_percent'],
    }),
  status: z
    .strictObject({
      /** How often a `status` event (system info) goes to /events. */
      interval_seconds: z.number().min(0.1).max(3600).default(30),
    })
    .prefault({}),
  logging: z
    .strictObject({
      level: LogLevel.default('info'),
      /** Rotate the log file at this size (rotating-file-stream syntax: 10M, 500K). */
      max_size: z
        .string()
        .regex(/^\d{1,6}[BKMG]$/, 'must look like 10M, 500K or 1G')
        .default('10M'),
      /** Rotated logs older than this are removed. */
      max_age_days: z.number().int().min(1).max(365).default(7),
      /** Write log files (under <data-dir>/logs). */
      files: z.boolean().default(true),
    })
    .prefault({}),
  backups: z
    .strictObject({
      /** Backups of this file kept in config.backups/ (the newest; older ones are removed). */
      keep: z.number().int().min(1).max(1000).default(20),
    })
    .prefault({}),
});

export type AgentConfig = z.infer<typeof AgentConfigSchema>;
/** What a file may contain: every field optional. */
export type AgentConfigInput = z.input<typeof AgentConfigSchema>;

type Patch<T> = T extends readonly unknown[]
  ? T | null
  : T extends object
    ? { [K in keyof T]?: Patch<T[K]> | null }
    : T | null;
/** A change for updateConfigFile: objects merge, arrays and values replace, null removes (back to the default). */
export type AgentConfigPatch = Patch<AgentConfigInput>;

export const DEFAULT_AGENT_CONFIG: AgentConfig = AgentConfigSchema.parse({});

export interface ConfigIssue {
  /** Dotted path of the offending field, e.g. `disk.hard_limit_percent`; '' for the whole file. */
  path: string;
  message: string;
}

export class ConfigError extends AgentError {
  readonly issues: ConfigIssue[];

  constructor(message: string, issues: ConfigIssue[], code = 'config_invalid') {
    super(code, message, { status: 400 });
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export type ValidationResult = { ok: true; config: AgentConfig } | { ok: false; issues: ConfigIssue[] };

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}

/** Validates a parsed document (unknown fields are rejected); fills defaults. */
export function validateConfig(raw: unknown): ValidationResult {
  const parsed = AgentConfigSchema.safeParse(raw ?? {});
  if (parsed.success) return { ok: true, config: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((issue) => ({
      path: formatPath(issue.path),
      message: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
    })),
  };
}

function describeIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ');
}

function invalid(source: string, issues: ConfigIssue[]): ConfigError {
  return new ConfigError(
    `The agent config ${source} is invalid (${describeIssues(issues)}); fix it or restore a backup from ${CONFIG_BACKUP_DIR}/.`,
    issues,
  );
}

export function defaultConfigPath(dataDir: string): string {
  return join(dataDir, CONFIG_FILE_NAME);
}

// ---------------------------------------------------------------- environment overrides

type Leaf = { path: string[]; kind: 'number' | 'boolean' | 'string' | 'list' };

function leaves(value: unknown, path: string[] = []): Leaf[] {
  if (Array.isArray(value)) return [{ path, kind: 'list' }];
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  }
  return [{ path, kind: typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string' }];
}

/** Every environment variable the config understands, e.g. SKYSTATION_AGENT_DISK_HARD_LIMIT_PERCENT. */
export const CONFIG_ENV_VARS: readonly string[] = leaves(DEFAULT_AGENT_CONFIG).map(
  (l) => CONFIG_ENV_PREFIX + l.path.join('_').toUpperCase(),
);

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/**
 * Applies SKYSTATION_AGENT_* variables to a raw document (before validation).
 * Numbers and booleans are converted; lists are comma-separated.
 */
export function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const doc: Record<string, unknown> =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw)
      ? (structuredClone(raw) as Record<string, unknown>)
      : {};
  for (const leaf of leaves(DEFAULT_AGENT_CONFIG)) {
    const name = CONFIG_ENV_PREFIX + leaf.path.join('_').toUpperCase();
    const text = env[name];
    if (text === undefined || text === '') continue;
    let value: unknown = text;
    if (leaf.kind === 'number') value = Number(text);
    else if (leaf.kind === 'boolean')
      value = /^(1|true|yes|on)$/i.test(text) ? true : /^(0|false|no|off)$/i.test(text) ? false : text;
    else if (leaf.kind === 'list')
      value = text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    setPath(doc, leaf.path, value);
  }
  return doc;
}

// ---------------------------------------------------------------- load

export interface LoadedConfig {
  config: AgentConfig;
  /** The file read, or null when none exists (defaults + environment). */
  path: string | null;
}

async function readRaw(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  const { parse: parseYaml } = await loadYaml();
  try {
    return parseYaml(text, { prettyErrors: true }) ?? {};
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    throw new ConfigError(`The agent config ${path} is not valid YAML (${message}); fix the file.`, [
      { path: '', message },
    ]);
  }
}

/**
 * Loads `path` (or, with `optional`, defaults when it does not exist), applies
 * environment overrides and validates. Throws ConfigError listing every problem.
 */
export async function loadConfigFile(
  path: string,
  options: { optional?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<LoadedConfig> {
  let raw: unknown = {};
  let found: string | null = path;
  try {
    raw = await readRaw(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      if (!options.optional)
        throw new ConfigError(
          `The agent config ${path} does not exist; create it or leave out --config.`,
          [],
          'config_not_found',
        );
      found = null;
    } else if (err instanceof ConfigError) throw err;
    else
      throw new ConfigError(
        `Cannot read the agent config ${path} (${err instanceof Error ? err.message : String(err)}); check its permissions.`,
        [],
        'config_unreadable',
      );
  }
  const withEnv = applyEnvOverrides(raw, options.env ?? process.env);
  const result = validateConfig(withEnv);
  if (!result.ok) throw invalid(path, result.issues);
  return { config: result.config, path: found };
}

// ---------------------------------------------------------------- backups and updates

export interface ConfigBackup {
  /** File name inside config.backups/, e.g. agent-20251001T180405Z.yaml. */
  name: string;
  path: string;
  created_at: string;
  size_bytes: number;
}

export function backupDirFor(configPath: string): string {
  return join(dirname(configPath), CONFIG_BACKUP_DIR);
}

function stamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

const BACKUP_NAME = /^agent-(\d{8}T\d{6}Z)(?:-(\d+))?\.yaml$/;

/** How many backups the file at `configPath` asks to keep (`backups.keep`, else the default). */
async function backupsToKeep(current: Buffer): Promise<number> {
  try {
    const result = validateConfig(applyEnvOverrides((await loadYaml()).parse(current.toString('utf8'))));
    if (result.ok) return result.config.backups.keep;
  } catch {
    // an unreadable file keeps the default
  }
  return applyKeepOverride(DEFAULT_AGENT_CONFIG.backups.keep);
}

function applyKeepOverride(fallback: number): number {
  const result = validateConfig(applyEnvOverrides({}));
  return result.ok ? result.config.backups.keep : fallback;
}

/** Removes all but the newest `keep` backups; returns the paths removed. */
export async function pruneConfigBackups(configPath: string, keep: number): Promise<string[]> {
  const removed: string[] = [];
  for (const old of (await listConfigBackups(configPath)).slice(Math.max(1, keep))) {
    try {
      await rm(old.path, { force: true });
      removed.push(old.path);
    } catch {
      // gone meanwhile
    }
  }
  return removed;
}

/**
 * Copies the current file (if any) to config.backups/agent-<UTC>.yaml and keeps
 * only the newest `keep` backups (default: the file's `backups.keep`, 20);
 * returns the backup path.
 */
export async function backupConfigFile(
  configPath: string,
  now: Date = new Date(),
  keep?: number,
): Promise<string | null> {
  let current: Buffer;
  try {
    current = await readFile(configPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const dir = backupDirFor(configPath);
  await mkdir(dir, { recursive: true });
  const base = `agent-${stamp(now)}`;
  for (let n = 1; ; n++) {
    const target = join(dir, n === 1 ? `${base}.yaml` : `${base}-${n}.yaml`);
    try {
      await stat(target);
    } catch {
      await writeFileAtomic(target, current);
      await pruneConfigBackups(configPath, keep ?? (await backupsToKeep(current)));
      return target;
    }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge for config patches: objects merge, arrays and scalars replace, null removes a key. */
export function mergeConfig(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = isPlainObject(value) ? mergeConfig(out[key], value) : value;
  }
  return out;
}

export interface ConfigUpdateResult {
  config: AgentConfig;
  /** The backup of the previous file, or null when there was none. */
  backup: string | null;
}

/**
 * Changes the file: `change` is a partial document to deep-merge, or a function
 * from the current raw document to the new one. The result is validated
 * (without environment overrides, which are never written), the old file is
 * backed up, and the new one written atomically.
 */
export async function updateConfigFile(
  configPath: string,
  change: AgentConfigPatch | ((current: Record<string, unknown>) => unknown),
  now: Date = new Date(),
): Promise<ConfigUpdateResult> {
  let current: Record<string, unknown> = {};
  try {
    const raw = await readRaw(configPath);
    current = isPlainObject(raw) ? raw : {};
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const next = typeof change === 'function' ? change(structuredClone(current)) : mergeConfig(current, change);
  const result = validateConfig(next);
  if (!result.ok) throw invalid('change', result.issues);
  await mkdir(dirname(configPath), { recursive: true });
  const backup = await backupConfigFile(configPath, now, result.config.backups.keep);
  await writeFileAtomic(configPath, (await loadYaml()).stringify(next ?? {}));
  return { config: result.config, backup };
}

/** Backups of this config file, newest first. */
export async function listConfigBackups(configPath: string): Promise<ConfigBackup[]> {
  const dir = backupDirFor(configPath);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const backups: (ConfigBackup & { order: string })[] = [];
  for (const name of names) {
    const m = BACKUP_NAME.exec(name);
    if (!m) continue;
    const s = m[1]!;
    const created = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}Z`;
    const path = join(dir, name);
    const info = await stat(path);
    backups.push({
      name,
      path,
      created_at: created,
      size_bytes: info.size,
      order: `${s}-${(m[2] ?? '1').padStart(6, '0')}`,
    });
  }
  backups.sort((a, b) => (a.order < b.order ? 1 : a.order > b.order ? -1 : 0));
  return backups.map(({ order: _order, ...b }) => b);
}

/** Restores a backup by name (the current file is backed up first). The backup must be valid. */
export async function restoreConfigBackup(
  configPath: string,
  name: string,
  now: Date = new Date(),
): Promise<ConfigUpdateResult> {
  if (!BACKUP_NAME.test(basename(name)) || basename(name) !== name) {
    throw new NotFoundError(`No config backup named "${name}"; list them first.`, 'config_backup_not_found');
  }
  const source = join(backupDirFor(configPath), name);
  let raw: unknown;
  try {
    raw = await readRaw(source);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFoundError(`No config backup named "${name}"; list them first.`, 'config_backup_not_found');
    throw err;
  }
  return updateConfigFile(configPath, () => raw, now);
}
