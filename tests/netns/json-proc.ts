/** A child process that prints JSON lines, with waits on those lines (shared by the netns tests and the bench). */
import { createInterface } from 'node:readline';
import type { ResultPromise } from 'execa';

export type JsonLine = Record<string, unknown> & { event?: string; t?: number };

export class JsonProcess {
  readonly lines: JsonLine[] = [];
  readonly text: string[] = [];
  private readonly waiters = new Set<() => void>();
  private exited = false;

  constructor(
    readonly label: string,
    readonly child: ResultPromise,
  ) {
    const onLine = (line: string): void => {
      this.text.push(line);
      if (this.text.length > 2_000) this.text.splice(0, 1_000);
      if (line.startsWith('{')) {
        try {
          this.lines.push(JSON.parse(line) as JsonLine);
        } catch {
          // not JSON; kept in text for failure messages
        }
      }
      for (const w of this.waiters) w();
    };
    if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
    if (child.stderr) createInterface({ input: child.stderr }).on('line', (l) => onLine(`[stderr] ${l}`));
    void child.then(() => {
      this.exited = true;
      for (const w of this.waiters) w();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves with the first line (from index `from`) matching `pred`; rejects on exit or after timeoutMs. */
  waitFor(pred: (l: JsonLine) => boolean, timeoutMs = 20_000, from = 0): Promise<JsonLine> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = this.lines.slice(from).find(pred);
        if (hit) {
          done();
          resolve(hit);
        } else if (this.exited) {
          done();
          reject(new Error(`${this.label} exited before the expected line:\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.label}: no expected line within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  tail(n = 40): string {
    return this.text.slice(-n).join('\n');
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(sig);
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves with the exit code. */
  async stop(graceMs = 5_000): Promise<number | undefined> {
    if (!this.exited) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.child;
      clearTimeout(t);
    }
    return (await this.child).exitCode;
  }
}
