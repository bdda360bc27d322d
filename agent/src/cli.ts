#!/usr/bin/env node
/**
 * skystation-agent: the headless camera agent. Parses flags, starts the agent,
 * stops cleanly on SIGINT/SIGTERM. Failures print one sentence to stderr:
 * exit 2 for usage mistakes, 1 for everything else.
 */
import { startAgent, timeScaleFromEnv, type RunningAgent } from './agent.js';
import { isAuthCommand, runAuthCommand } from './auth/cli.js';
import { parseCli, USAGE } from './config.js';
import { AgentError, UsageError } from './util/errors.js';
import { collectGarbage } from './util/memory.js';

function fail(err: unknown): never {
  if (err instanceof UsageError || (err instanceof AgentError && err.code === 'usage')) {
    process.stderr.write(`skystation-agent: ${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof AgentError) {
    process.stderr.write(`skystation-agent: ${err.message}\n`);
    process.exit(1);
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(
    `skystation-agent: could not start (${message}); run with --log-level debug and report the log if this persists.\n`,
  );
  process.exit(1);
}

async function main(): Promise<void> {
  if (isAuthCommand(process.argv.slice(2))) {
    process.stdout.write(await runAuthCommand(process.argv.slice(2)));
    return;
  }
  const parsed = parseCli(process.argv.slice(2));
  if (parsed.help) {
    process.stdout.write(USAGE);
    return;
  }
  const agent: RunningAgent = await startAgent({ ...parsed.options, timeScale: timeScaleFromEnv() });
  // Start-up's garbage (module sources, compile temporaries) goes back once things have settled (util/memory.ts).
  setTimeout(() => collectGarbage('major'), 2_000).unref();
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    agent.close().then(
      () => process.exit(signal === 'SIGINT' ? 130 : 0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch(fail);
