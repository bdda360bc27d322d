import { join } from 'node:path';
import type { LevelWithSilent } from 'pino';
import { defaultConfigPath, loadConfigFile, type AgentConfig } from '../config-file.js';
import type { Logger } from '../util/log.js';
import { createAgentLogger, LOG_DIR_NAME } from './logging.js';

export interface BootstrapOptions {
  /** `--config FILE`: must exist. Without it <data-dir>/agent.yaml is read when present. */
  configPath?: string;
  /** A config already loaded (tests); skips the file. */
  config?: AgentConfig;
  logLevel?: LevelWithSilent;
  logger?: Logger;
}

export interface Bootstrap {
  config: AgentConfig;
  configPath: string;
  /** The file read, or null when defaults (plus environment) apply. */
  configSource: string | null;
  log: Logger;
  closeLog(): Promise<void>;
}

/** Loads the config file and creates the logger (stdout plus rotated files under <data-dir>/logs). */
export async function bootstrapOps(options: BootstrapOptions, dataDir: string): Promise<Bootstrap> {
  const configPath = options.configPath ?? defaultConfigPath(dataDir);
  const loaded = options.config
    ? { config: options.config, path: null }
    : await loadConfigFile(configPath, { optional: options.configPath === undefined });
  const config = loaded.config;
  if (options.logger) {
    return { config, configPath, configSource: loaded.path, log: options.logger, closeLog: () => Promise.resolve() };
  }
  const created = createAgentLogger({
    level: options.logLevel ?? config.logging.level,
    dir: config.logging.files ? join(dataDir, LOG_DIR_NAME) : null,
    maxSize: config.logging.max_size,
    maxAgeDays: config.logging.max_age_days,
  });
  const logger = created.logger;
  if (loaded.path) logger.info({ event: 'config.loaded', path: loaded.path }, 'config file loaded');
  return { config, configPath, configSource: loaded.path, log: logger, closeLog: () => created.close() };
}
