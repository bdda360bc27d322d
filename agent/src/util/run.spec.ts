import { describe, expect, it } from 'vitest';
import { ProgramError, runChecked, runProgram, spawnProgram, stopProgram } from './run.js';

// Real programs (node itself, a missing name), no stubs.
const node = process.execPath;

function recorder(): { log: { debug: (o: object) => void; warn: (o: object) => void }; lines: [string, object][] } {
  const lines: [string, object][] = [];
  return {
    lines,
    log: { debug: (o: object) => lines.push(['debug', o]), warn: (o: object) => lines.push(['warn', o]) },
  };
}

describe('runProgram', () => {
  it('returns stdout as bytes, stderr as text and the exit code; logs at debug when it succeeds', async () => {
    const { log, lines } = recorder();
    const r = await runProgram(node, ['-e', 'process.stdout.write("out"); process.stderr.write("note")'], {
      timeoutMs: 10_000,
      log,
    });
    expect(r).toMatchObject({ exitCode: 0, stderr: 'note', timedOut: false, canceled: false, spawnError: null });
    expect(r.stdout.toString()).toBe('out');
    expect(lines).toHaveLength(1);
    expect(lines[0]![0]).toBe('debug');
    expect(lines[0]![1]).toMatchObject({ event: 'program.exit', exit_code: 0, stderr: 'note' });
  });

  it('reports a non-zero exit without throwing, and logs its stderr as a warning', async () => {
    const { log, lines } = recorder();
    const r = await runProgram(node, ['-e', 'console.error("bad things"); process.exit(3)'], {
      timeoutMs: 10_000,
      log,
    });
    expect(r.exitCode).toBe(3);
    expect(lines[0]![0]).toBe('warn');
    expect(lines[0]![1]).toMatchObject({ exit_code: 3, stderr: 'bad things' });
  });

  it('stops a program that overruns its timeout', async () => {
    const r = await runProgram(node, ['-e', 'setTimeout(() => {}, 60_000)'], { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
  });

  it('cancels on the signal and SIGKILLs on kill', async () => {
    const ac = new AbortController();
    const p = runProgram(node, ['-e', 'setTimeout(() => {}, 60_000)'], { timeoutMs: 30_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    expect((await p).canceled).toBe(true);
    const kill = new AbortController();
    const q = runProgram(node, ['-e', 'setTimeout(() => {}, 60_000)'], { timeoutMs: 30_000, kill: kill.signal });
    setTimeout(() => kill.abort(), 100);
    expect((await q).signal).toBe('SIGKILL');
  });

  it('says when the program does not exist', async () => {
    const r = await runProgram('skystation-no-such-program', [], { timeoutMs: 5_000 });
    expect(r.spawnError).toBe('ENOENT');
    expect(r.exitCode).toBeNull();
  });
});

describe('runChecked', () => {
  it('throws a ProgramError naming the cause, with the last line of stderr', async () => {
    await expect(runChecked('skystation-no-such-program', [], { timeoutMs: 5_000 })).rejects.toMatchObject({
      code: 'program_missing',
    });
    const failed = runChecked(node, ['-e', 'console.error("first\\nthe real reason"); process.exit(2)'], {
      timeoutMs: 10_000,
    });
    await expect(failed).rejects.toBeInstanceOf(ProgramError);
    await expect(failed).rejects.toMatchObject({ code: 'program_failed', message: /the real reason$/ });
    await expect(runChecked(node, ['-e', 'setTimeout(() => {}, 60_000)'], { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'program_timeout',
    });
    expect((await runChecked(node, ['-e', ''], { timeoutMs: 10_000 })).exitCode).toBe(0);
  });
});

describe('spawnProgram', () => {
  it('streams stdout while the program runs, and its end never rejects', async () => {
    const { child } = await spawnProgram(node, ['-e', 'process.stdout.write("a\\nb\\n"); process.exit(4)']);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    const result = await child;
    expect(Buffer.concat(chunks).toString()).toBe('a\nb\n');
    expect(result.exitCode).toBe(4);
  });

  it('stopping a program that never started signals nothing (Node would signal our own process group)', async () => {
    const { child } = await spawnProgram('skystation-no-such-program', []);
    expect(child.pid).toBeUndefined();
    stopProgram(child, 'SIGTERM');
    stopProgram(child, 'SIGKILL');
    const r = await child;
    expect(r.failed).toBe(true);
    // Still here: had kill(0, SIGTERM) been sent, this test runner would have been terminated.
    expect(process.exitCode ?? 0).toBe(0);
  });
});
