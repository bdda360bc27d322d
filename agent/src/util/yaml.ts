import type * as YamlModule from 'yaml';

let loading: Promise<typeof YamlModule> | null = null;

/** yaml on first use: only an agent with a config file (or one being written) needs it. */
export function loadYaml(): Promise<typeof YamlModule> {
  loading ??= import('yaml');
  return loading;
}
