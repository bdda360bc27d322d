import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The station's data folder when no --data-dir is given: SKYSTATION_DATA_DIR, else ~/.skystation.
 * Every entry point (headless station, CLI commands, the Electron shell) reads it here, so two
 * stations started with different values never share a folder.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['SKYSTATION_DATA_DIR'];
  return fromEnv !== undefined && fromEnv.trim() !== '' ? resolve(fromEnv) : join(homedir(), '.skystation');
}
