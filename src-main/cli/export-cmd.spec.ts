import { describe, expect, it } from 'vitest';
import { progressBar, runExportCommand } from './export-cmd.js';

async function usage(args: string[]): Promise<{ code: number; err: string }> {
  const errs: string[] = [];
  const code = await runExportCommand(
    args,
    () => undefined,
    (s) => errs.push(s),
  );
  return { code, err: errs.join('\n') };
}

describe('skystation export (arguments)', () => {
  const ok = ['--camera', 'roof', '--from', '2025-01-10T18:00:00Z', '--to', '2025-01-11T06:00:00Z'];

  it('exits 2 with one clear sentence for each kind of bad usage', async () => {
    expect(await usage([...ok, '--fps', '29'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^--fps must be 24, 25, 30 or 60\./) as unknown,
    });
    expect((await usage([...ok, '--deflicker', 'strong'])).err).toMatch(/^--deflicker must be smooth or ffmpeg\./);
    expect((await usage([...ok, '--preset', 'vhs'])).err).toMatch(/^Unknown preset "vhs"/);
    expect((await usage(['--from', 'x', '--to', 'y'])).err).toMatch(/^--camera is required/);
    expect((await usage(['--camera', 'a', '--from', 'yesterday', '--to', '2025-01-11T06:00:00Z'])).err).toMatch(
      /^--from must be an ISO time/,
    );
    expect(
      (await usage(['--camera', 'a', '--from', '2025-01-12T00:00:00Z', '--to', '2025-01-11T00:00:00Z'])).err,
    ).toMatch(/^--from must not be after --to/);
    expect((await usage([...ok, '--colour', 'red'])).code).toBe(2);
  });

  it('draws a progress bar with percent, fps and ETA', () => {
    expect(progressBar({ percent: 50, fps: 12.34, etaSeconds: 75, stage: 'encoding' }, 10)).toBe(
      '[#####-----]  50.0%   12.3 fps  ETA 1:15  encoding',
    );
    expect(progressBar({ percent: 0, fps: 0, etaSeconds: null, stage: 'measuring' }, 4)).toBe(
      '[----]   0.0%    0.0 fps  ETA --:--  measuring',
    );
    expect(progressBar({ percent: 10, fps: 1, etaSeconds: 3725, stage: 'encoding' }, 10)).toContain('ETA 1:02:05');
  });
});
