import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeploymentBundle } from '../protocol/index.js';
import { writeFileAtomic } from '../util/fs-atomic.js';
import type { Logger } from '../util/log.js';

/** The deployed bundle, kept in memory and in <data-dir>/deployment.json (atomic writes). */
export class DeploymentStore {
  private current: DeploymentBundle | null = null;
  private readonly file: string;
  private readonly listeners = new Set<(bundle: DeploymentBundle) => void>();

  constructor(
    dataDir: string,
    private readonly log: Logger,
  ) {
    this.file = join(dataDir, 'deployment.json');
  }

  async load(): Promise<DeploymentBundle | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      this.current = DeploymentBundle.parse(JSON.parse(text));
      this.log.info(
        { event: 'deployment.loaded', profile_id: this.current.profile_id, version: this.current.version },
        'deployed profile loaded',
      );
    } catch (err) {
      // A bad file must not stop the agent capturing; it waits for a fresh deploy.
      this.log.error(
        { event: 'deployment.invalid', file: this.file, err },
        'deployment.json is unreadable; ignoring it until the station deploys again',
      );
      this.current = null;
    }
    return this.current;
  }

  get(): DeploymentBundle | null {
    return this.current;
  }

  async deploy(bundle: DeploymentBundle): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify(bundle, null, 2)}\n`);
    this.current = bundle;
    for (const fn of this.listeners) fn(bundle);
  }

  /** Called after every deploy (the plan runner replaces its plan). Returns an unsubscribe function. */
  onDeploy(fn: (bundle: DeploymentBundle) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
