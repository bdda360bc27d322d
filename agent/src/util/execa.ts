import type * as ExecaModule from 'execa';

let loading: Promise<typeof ExecaModule> | null = null;

/**
 * execa on first use: an agent that runs no external program (the simulated
 * camera, no serial probes) never pays for it at start-up.
 */
export async function loadExeca(): Promise<typeof ExecaModule.execa> {
  loading ??= import('execa');
  return (await loading).execa;
}
