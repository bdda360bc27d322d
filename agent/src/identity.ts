import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './util/fs-atomic.js';

const AgentFile = z.object({ id: z.uuid(), created_at: z.string() });
export type AgentIdentity = z.infer<typeof AgentFile>;

/** Reads <data-dir>/agent.json, creating it with a new random id on first start. */
export async function loadOrCreateIdentity(dataDir: string): Promise<AgentIdentity> {
  const file = join(dataDir, 'agent.json');
  try {
    const parsed = AgentFile.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (parsed.success) return parsed.data;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
  }
  const identity: AgentIdentity = { id: randomUUID(), created_at: new Date().toISOString() };
  await writeFileAtomic(file, `${JSON.stringify(identity, null, 2)}\n`);
  return identity;
}
