/**
 * Export benchmark (TARGETS.md: export_vs_ffmpeg_ratio,
 * export_deflicker_vs_ffmpeg_ratio, export_peak_rss_mb).
 *
 * 1,440 1080p JPEG frames (BENCH_EXPORT_FRAMES to shrink) are made from 8
 * distinct sharp-rendered images (sky gradient, stars, noise, brightness
 * varied by ±15 % so deflicker has work to do) hard-linked under many names.
 * Timed, one after the other, same x264 preset and CRF:
 *  (a) the reference: ffmpeg -framerate 30 -i frame_%05d.jpg -c:v libx264 -pix_fmt yuv420p -crf 20 -preset medium out.mp4
 *  (b) runExport, preset h264-1080p;  (c) the same with deflicker 'smooth'.
 * (b) and (c) run in a child Node process (tsx) so that its memory can be
 * watched: /proc/<pid>/status VmRSS of that process and of its ffmpeg child
 * is polled every 100 ms and the peak of their sum is reported. The timed
 * span is measured inside the child (around runExport only).
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { link, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { notMeasured, result, type BenchResult } from './lib.js';

const pexec = promisify(execFile);
const W = 1920;
const H = 1080;
const DISTINCT = 8;

async function makeBase(i: number): Promise<Buffer> {
  const px = Buffer.alloc(W * H * 3);
  let seed = 1234 + i * 7919;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const gain = 1 + 0.15 * Math.sin(i * 2.1);
  for (let y = 0; y < H; y++) {
    const v = 25 + (110 * y) / H;
    for (let x = 0; x < W; x++) {
      const p = (y * W + x) * 3;
      const n = (rnd() - 0.5) * 18;
      px[p] = Math.max(0, Math.min(255, (v * 0.6 + n) * gain));
      px[p + 1] = Math.max(0, Math.min(255, (v * 0.8 + n) * gain));
      px[p + 2] = Math.max(0, Math.min(255, (v + 40 + n) * gain));
    }
  }
  for (let s = 0; s < 400; s++) {
    const x = Math.floor(rnd() * (W - 3)) + i;
    const y = Math.floor(rnd() * H * 0.7);
    for (let d = 0; d < 4; d++) {
      const p = ((y + (d >> 1)) * W + Math.min(W - 1, x + (d & 1))) * 3;
      px[p] = px[p + 1] = px[p + 2] = 245;
    }
  }
  return sharp(px, { raw: { width: W, height: H, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

export async function makeFrames(dir: string, count: number): Promise<{ path: string; capturedAt: string }[]> {
  const bases: string[] = [];
  await mkdir(join(dir, 'base'), { recursive: true });
  for (let i = 0; i < DISTINCT; i++) {
    const p = join(dir, 'base', `b${i}.jpg`);
    await sharp(await makeBase(i)).toFile(p);
    bases.push(p);
  }
  const frames: { path: string; capturedAt: string }[] = [];
  const t0 = Date.parse('2025-01-10T18:00:00Z');
  for (let i = 0; i < count; i++) {
    const p = join(dir, `frame_${String(i).padStart(5, '0')}.jpg`);
    await link(bases[(i * 5) % DISTINCT]!, p);
    frames.push({ path: p, capturedAt: new Date(t0 + i * 30_000).toISOString() });
  }
  return frames;
}

/** VmRSS of a process in kB (0 once it has exited). */
function rssKb(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)/.exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function descendants(pid: number): number[] {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
    return kids.flatMap((k) => [k, ...descendants(k)]);
  } catch {
    return [];
  }
}

interface ChildRun {
  seconds: number;
  peakRssMb: number;
  peakNodeMb: number;
  peakFfmpegMb: number;
}

/** Run one export in a child Node process, polling memory of it and its ffmpeg. */
async function exportInChild(requestJson: string): Promise<ChildRun> {
  const script = `
    import { runExport } from ${JSON.stringify(join(import.meta.dirname, '..', 'src-main', 'export', 'index.ts'))};
    const req = JSON.parse(process.env.BENCH_EXPORT_REQUEST);
    const t = performance.now();
    await runExport(req);
    process.stdout.write(JSON.stringify({ seconds: (performance.now() - t) / 1000 }));
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: join(import.meta.dirname, '..'),
    env: { ...process.env, BENCH_EXPORT_REQUEST: requestJson },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let peak = 0;
  let peakNode = 0;
  let peakFf = 0;
  const timer = setInterval(() => {
    if (child.pid === undefined) return;
    const node = rssKb(child.pid);
    const ff = descendants(child.pid).reduce((s, p) => s + rssKb(p), 0);
    peak = Math.max(peak, node + ff);
    peakNode = Math.max(peakNode, node);
    peakFf = Math.max(peakFf, ff);
  }, 100);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`export child failed (${code}): ${err.slice(-2000)}`);
  const { seconds } = JSON.parse(out) as { seconds: number };
  return { seconds, peakRssMb: peak / 1024, peakNodeMb: peakNode / 1024, peakFfmpegMb: peakFf / 1024 };
}

export async function benchExport(): Promise<BenchResult[]> {
  const count = Number(process.env['BENCH_EXPORT_FRAMES'] ?? 1440);
  const ids: [string, string, string][] = [
    ['export_vs_ffmpeg_ratio', 'ratio', '≤ 1.10'],
    ['export_deflicker_vs_ffmpeg_ratio', 'ratio', '≤ 1.5'],
    ['export_peak_rss_mb', 'MB', '≤ 400'],
  ];
  try {
    await pexec('ffmpeg', ['-version']);
  } catch {
    return ids.map(([id, unit, target]) => notMeasured(id, unit, target, 'ffmpeg is not installed on this machine'));
  }
  if (process.platform !== 'linux')
    return ids.map(([id, unit, target]) => notMeasured(id, unit, target, 'needs /proc to watch memory (Linux)'));
  const dir = await mkdtemp(join(tmpdir(), 'skystation-bench-export-'));
  try {
    const frames = await makeFrames(dir, count);
    const out = join(dir, 'out');
    await mkdir(out);
    const t = performance.now();
    await pexec('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-framerate',
      '30',
      '-i',
      join(dir, 'frame_%05d.jpg'),
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-crf',
      '20',
      '-preset',
      'medium',
      join(out, 'reference.mp4'),
    ]);
    const reference = (performance.now() - t) / 1000;
    const base = { frames, preset: 'h264-1080p', fps: 30, crf: 20, encoderPreset: 'medium', outputDir: out };
    const plain = await exportInChild(JSON.stringify({ ...base, name: 'plain' }));
    const smooth = await exportInChild(JSON.stringify({ ...base, name: 'smooth', deflicker: 'smooth' }));
    const outputs = (await readdir(out)).length;
    const peak = Math.max(plain.peakRssMb, smooth.peakRssMb);
    const head = `${count} frames 1080p; reference ffmpeg ${reference.toFixed(1)} s`;
    return [
      result(
        'export_vs_ffmpeg_ratio',
        plain.seconds / reference,
        'ratio',
        { text: '≤ 1.10', ok: (v) => v <= 1.1 },
        `${head}, runExport ${plain.seconds.toFixed(1)} s`,
      ),
      result(
        'export_deflicker_vs_ffmpeg_ratio',
        smooth.seconds / reference,
        'ratio',
        { text: '≤ 1.5', ok: (v) => v <= 1.5 },
        `${head}, runExport deflicker=smooth ${smooth.seconds.toFixed(1)} s`,
      ),
      result(
        'export_peak_rss_mb',
        peak,
        'MB',
        { text: '≤ 400', ok: (v) => v <= 400 },
        `peak of (Node export process VmRSS + its ffmpeg child's VmRSS), polled every 100 ms; plain: node ${plain.peakNodeMb.toFixed(0)} + ffmpeg ${plain.peakFfmpegMb.toFixed(0)} MB peaks; smooth: node ${smooth.peakNodeMb.toFixed(0)} + ffmpeg ${smooth.peakFfmpegMb.toFixed(0)} MB peaks; ${outputs} files written`,
      ),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
