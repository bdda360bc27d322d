/**
 * Token subcommands of skystation-agent:
 *   pair   [--data-dir D] [--new]     print the pairing code (make one if needed; --new replaces it)
 *   token  [--data-dir D]             print the local admin token (made once)
 *   tokens list [--data-dir D] [--json]
 *   tokens revoke ID [--data-dir D]
 * They work on the files in <data-dir>/auth/, so they also work while the agent runs.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../util/errors.js';
import { loadOrCreatePairingCode } from './pairing.js';
import { loadOrCreateAdminToken, TokenStore } from './tokens.js';

export const AUTH_COMMANDS = ['pair', 'token', 'tokens'] as const;

export const AUTH_USAGE = `Usage: skystation-agent pair [--data-dir DIR] [--new]
       skystation-agent token [--data-dir DIR]
       skystation-agent tokens list [--data-dir DIR] [--json]
       skystation-agent tokens revoke TOKEN_ID [--data-dir DIR]
`;

export function isAuthCommand(argv: readonly string[]): boolean {
  return (AUTH_COMMANDS as readonly string[]).includes(argv[0] ?? '');
}

function dataDirFrom(raw: string | undefined): string {
  const p = raw ?? '~/.skystation-agent';
  return resolve(p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p);
}

/** Runs one subcommand; returns what to print on stdout. */
export async function runAuthCommand(argv: readonly string[]): Promise<string> {
  const [command, ...rest] = argv;
  let parsed: ReturnType<
    typeof parseArgs<{
      options: {
        'data-dir': { type: 'string' };
        new: { type: 'boolean' };
        json: { type: 'boolean' };
        help: { type: 'boolean'; short: 'h' };
      };
      allowPositionals: true;
      strict: true;
    }>
  >;
  try {
    parsed = parseArgs({
      args: [...rest],
      strict: true,
      allowPositionals: true,
      options: {
        'data-dir': { type: 'string' },
        new: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0]!.replace(/\.$/, '') : 'bad arguments';
    throw new UsageError(`${message}; run skystation-agent ${command ?? ''} --help to see the options.`);
  }
  const { values, positionals } = parsed;
  if (values.help) return AUTH_USAGE;
  const dataDir = dataDirFrom(values['data-dir']);
  const noExtra = (n: number): void => {
    if (positionals.length > n) throw new UsageError(`Unexpected argument "${positionals[n]}"; see --help.`);
  };
  switch (command) {
    case 'pair': {
      noExtra(0);
      const { code } = await loadOrCreatePairingCode(dataDir, { renew: values.new === true });
      return `${code}\n`;
    }
    case 'token': {
      noExtra(0);
      return `${await loadOrCreateAdminToken(dataDir)}\n`;
    }
    case 'tokens': {
      const sub = positionals[0];
      const admin = await loadOrCreateAdminToken(dataDir);
      const store = new TokenStore(dataDir, admin);
      await store.load();
      if (sub === 'list') {
        noExtra(1);
        const tokens = store.list().map(({ sha256: _hash, ...t }) => t);
        if (values.json) return `${JSON.stringify(tokens)}\n`;
        if (tokens.length === 0) return 'No paired stations.\n';
        return tokens
          .map(
            (t) =>
              `${t.id}  ${t.station_name} (${t.station_id})  paired ${t.created_at}  last used ${t.last_used_at ?? 'never'}\n`,
          )
          .join('');
      }
      if (sub === 'revoke') {
        const id = positionals[1];
        if (id === undefined)
          throw new UsageError('Name the token to revoke: skystation-agent tokens revoke TOKEN_ID.');
        noExtra(2);
        if (!(await store.revoke(id))) throw new UsageError(`No token ${id}; skystation-agent tokens list shows them.`);
        return `revoked ${id}\n`;
      }
      throw new UsageError('Use "skystation-agent tokens list" or "skystation-agent tokens revoke TOKEN_ID".');
    }
    default:
      throw new UsageError(`Unknown command "${command ?? ''}"; see skystation-agent --help.`);
  }
}
