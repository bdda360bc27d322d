import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProgressParser, findFfmpeg } from './ffmpeg.js';

describe('ProgressParser', () => {
  it('parses -progress blocks split across chunks', () => {
    const p = new ProgressParser();
    expect(p.push('frame=12\nfps=24.5\nout_time_us=400000\nprog')).toEqual([]);
    expect(p.push('ress=continue\nframe=30\nfps=25\nout_time_us=1000000\nprogress=end\n')).toEqual([
      { frame: 12, fps: 24.5, outTimeSeconds: 0.4, end: false },
      { frame: 30, fps: 25, outTimeSeconds: 1, end: true },
    ]);
  });
});

describe('findFfmpeg', () => {
  it('prefers the configured path, then $SKYSTATION_FFMPEG, then PATH; otherwise ffmpeg_missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skystation-ffmpeg-spec-'));
    try {
      const fake = join(dir, 'ffmpeg');
      await writeFile(fake, '#!/bin/sh\n');
      await chmod(fake, 0o755);
      expect(await findFfmpeg({ env: { PATH: `/nonexistent:${dir}` } })).toBe(fake);
      expect(await findFfmpeg({ env: { PATH: '', SKYSTATION_FFMPEG: fake } })).toBe(fake);
      expect(await findFfmpeg({ ffmpegPath: fake, env: { PATH: '' } })).toBe(fake);
      await expect(findFfmpeg({ env: { PATH: '/nonexistent' } })).rejects.toMatchObject({ code: 'ffmpeg_missing' });
      await expect(findFfmpeg({ ffmpegPath: join(dir, 'nope'), env: {} })).rejects.toMatchObject({
        code: 'ffmpeg_missing',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
