/**
 * systemd notifications (Type=notify, WatchdogSec=): READY=1 once the agent
 * listens, WATCHDOG=1 at half the watchdog interval, STOPPING=1 on shutdown.
 * Only when NOTIFY_SOCKET is set (i.e. started by systemd), through the
 * `systemd-notify` program with an argument array. The unit sets
 * NotifyAccess=all because systemd-notify is a child process.
 */
import type { Logger } from '../util/log.js';
import { runChecked } from '../util/run.js';

export interface SystemdNotifier {
  ready(status?: string): Promise<void>;
  stopping(): Promise<void>;
  stop(): void;
}

async function notify(args: string[], log: Logger, command: string): Promise<void> {
  try {
    await runChecked(command, args, { timeoutMs: 5000, log });
  } catch (err) {
    log.warn({ err, args }, 'systemd-notify failed');
  }
}

/** A no-op unless NOTIFY_SOCKET is set. */
export function systemdNotifier(
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
  command = 'systemd-notify',
): SystemdNotifier {
  if (!env['NOTIFY_SOCKET']) {
    return { ready: () => Promise.resolve(), stopping: () => Promise.resolve(), stop: () => undefined };
  }
  let timer: NodeJS.Timeout | null = null;
  const watchdogUsec = Number(env['WATCHDOG_USEC'] ?? '');
  const watchdogPid = env['WATCHDOG_PID'];
  const forUs = watchdogPid === undefined || watchdogPid === '' || Number(watchdogPid) === process.pid;
  const pid = `--pid=${process.pid}`;
  return {
    ready: async (status = 'listening') => {
      await notify([pid, '--ready', `--status=${status}`], log, command);
      if (Number.isFinite(watchdogUsec) && watchdogUsec > 0 && forUs && timer === null) {
        const everyMs = Math.max(500, watchdogUsec / 1000 / 2);
        timer = setInterval(() => void notify([pid, 'WATCHDOG=1'], log, command), everyMs);
        timer.unref();
        log.info({ event: 'systemd.watchdog', interval_ms: everyMs }, 'systemd watchdog pings enabled');
      }
    },
    stopping: () => notify([pid, 'STOPPING=1'], log, command),
    stop: () => {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
