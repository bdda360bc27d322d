/**
 * Export benchmark (TARGETS.md: export_vs_ffmpeg_ratio,
 * export_deflicker_vs_ffmpeg_ratio, export_peak_rss_mb).
 *
 * 1,440 1080p JPEG frames (BENCH_EXPORT_FRAMES to shrink) are made from 8
 * distinct sharp-rendered images (sky gradient, stars, noise, brightness
 * varied by ±15 % so deflicker has work to do) hard-linked under many names.
 * Timed, one after the other, with the SAME encoder settings (videoEncoderArgs:
 * x264 medium, CRF 20, sliced threads, rc-lookahead 8, high profile, faststart):
 *  (a) the reference: ffmpeg -framerate 30 -i frame_%05d.jpg <those settings> out.mp4
 *  (b) runExport, preset h264-1080p;  (c) the same with deflicker 'smooth'.
 * (b) and (c) run in a child Node process on the export code bundled by
 * esbuild (plain JavaScript, as the built station runs it). Memory: the
 * child's own peak RSS (VmHWM) and V8 heap / Buffer peaks, and the peak
 * RSS (VmHWM) of its ffmpeg, polled every 50 ms; export_peak_rss_mb is the
 * largest sum of node's and ffmpeg's RSS sampled together (the sum of the
 * separate peaks, an upper bound, and the reference's own peak are in the notes). The
 * timed span is measured inside the child (around runExport only).
 *
 * export_hdr_seconds_per_frame (report only, no target yet): BENCH_EXPORT_HDR_SETS
 * (default 60) bracketed sets of three 1080p images, each fused into one frame
 * in the processing stage, then encoded like (b); seconds of the whole export
 * per output frame, with the child's peak memory in the notes.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { link, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { videoEncoderArgs } from '../src-main/export/export.js';
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

/** A field of /proc/<pid>/status in kB (0 once the process has exited). */
function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`${field}:\\s+(\\d+)`).exec(text);
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
  /** Node's own peak RSS (getrusage maxrss of the export process). */
  nodeMaxRssMb: number;
  /** Peaks of the V8 heap and of memory outside it (Buffers from sharp), polled every 50 ms inside the child. */
  nodeHeapMb: number;
  nodeExternalMb: number;
  /** ffmpeg's peak RSS (VmHWM), the largest over its runs. */
  ffmpegHwmMb: number;
  /** Peak of (node VmRSS + ffmpeg VmRSS) sampled together every 100 ms. */
  sampledSumMb: number;
}

/**
 * The export code bundled to plain JavaScript (as the station runs it: the
 * built main bundle), so the child's memory is not inflated by tsx's
 * on-the-fly compiler (~50 MB).
 */
export async function bundleExport(): Promise<string> {
  const { build } = await import('esbuild');
  // Inside node_modules/.cache so that its imports (sharp, execa, zod) resolve.
  const file = join(import.meta.dirname, '..', 'node_modules', '.cache', 'skystation-bench', 'export-bundle.mjs');
  await build({
    entryPoints: [join(import.meta.dirname, '..', 'src-main', 'export', 'index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: file,
    logLevel: 'error',
  });
  return file;
}

/** Run one export in a child Node process, measuring its memory and its ffmpeg's. */
async function exportInChild(bundle: string, requestJson: string): Promise<ChildRun> {
  // A file, not an environment variable: 1,440 frame paths exceed the kernel's 128 kB limit per variable.
  const requestFile = join(dirname(bundle), `request-${process.pid}.json`);
  await writeFile(requestFile, requestJson);
  const script = `
    const { runExport } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
    const { readFileSync } = await import('node:fs');
    const req = JSON.parse(readFileSync(process.env.BENCH_EXPORT_REQUEST_FILE, 'utf8'));
    let heap = 0, external = 0;
    const poll = setInterval(() => {
      const m = process.memoryUsage();
      heap = Math.max(heap, m.heapUsed);
      external = Math.max(external, m.external + m.arrayBuffers);
    }, 50);
    const t = performance.now();
    await runExport(req);
    const seconds = (performance.now() - t) / 1000;
    clearInterval(poll);
    // VmHWM, not getrusage's maxRSS: Linux carries ru_maxrss across exec, so it would report the RSS of the
    // bench process this child was forked from.
    const hwmKb = Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync("/proc/self/status", "utf8"))[1]);
    process.stdout.write(JSON.stringify({ seconds, heap, external, maxRssKb: hwmKb }));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: join(import.meta.dirname, '..'),
    env: { ...process.env, BENCH_EXPORT_REQUEST_FILE: requestFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let sampled = 0;
  const hwm = new Map<number, number>();
  const timer = setInterval(() => {
    if (child.pid === undefined) return;
    const node = statusKb(child.pid, 'VmRSS');
    let ff = 0;
    for (const pid of descendants(child.pid)) {
      ff += statusKb(pid, 'VmRSS');
      hwm.set(pid, Math.max(hwm.get(pid) ?? 0, statusKb(pid, 'VmHWM')));
    }
    sampled = Math.max(sampled, node + ff);
  }, 50);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(timer);
  await rm(requestFile, { force: true });
  if (code !== 0) throw new Error(`export child failed (${code}): ${err.slice(-2000)}`);
  const r = JSON.parse(out) as { seconds: number; heap: number; external: number; maxRssKb: number };
  return {
    seconds: r.seconds,
    nodeMaxRssMb: r.maxRssKb / 1024,
    nodeHeapMb: r.heap / 1048576,
    nodeExternalMb: r.external / 1048576,
    ffmpegHwmMb: Math.max(0, ...hwm.values()) / 1024,
    sampledSumMb: sampled / 1024,
  };
}

/** Bracketed sets of three (ev -1, 0, +1) from the bench frames, fused by runExport (see the header). */
export async function benchHdr(
  bundle: string,
  frames: readonly { path: string; capturedAt: string }[],
  out: string,
): Promise<BenchResult> {
  const id = 'export_hdr_seconds_per_frame';
  const sets = Math.min(Math.floor(frames.length / 3), Number(process.env['BENCH_EXPORT_HDR_SETS'] ?? 60));
  if (sets < 1) return notMeasured(id, 's/frame', 'report', 'too few bench frames for a bracketed set');
  try {
    const bracketed = frames.slice(0, sets * 3).map((f, i) => ({
      ...f,
      agentId: 'bench',
      bracket: { group: `s${Math.floor(i / 3)}`, index: i % 3, count: 3, ev: (i % 3) - 1 },
    }));
    const r = await exportInChild(
      bundle,
      JSON.stringify({
        frames: bracketed,
        preset: 'h264-1080p',
        fps: 30,
        crf: 20,
        encoderPreset: 'medium',
        outputDir: out,
        name: 'hdr',
      }),
    );
    return {
      ...result(
        id,
        r.seconds / sets,
        's/frame',
        { text: 'report', ok: () => true },
        `${sets} sets of 3 × 1080p fused (2 at a time) and encoded in ${r.seconds.toFixed(1)} s; node maxrss ${r.nodeMaxRssMb.toFixed(0)} MB (heap ${r.nodeHeapMb.toFixed(0)}, buffers ${r.nodeExternalMb.toFixed(0)}) + ffmpeg VmHWM ${r.ffmpegHwmMb.toFixed(0)} MB; sampled together ${r.sampledSumMb.toFixed(0)} MB (processing runs before ffmpeg starts)`,
      ),
      met: null,
    };
  } catch (err) {
    return notMeasured(id, 's/frame', 'report', `failed: ${(err as Error).message.slice(0, 300)}`);
  }
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
    const referenceMem = { maxRssMb: null as number | null };
    const timeProgram = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
    const runReference = async (): Promise<number> => {
      const t = performance.now();
      // The same encoder and settings as runExport's h264-1080p (videoEncoderArgs), so the ratio compares like with like.
      // GNU time (when installed) reports the reference's own peak RSS, for scale; its cost is one fork.
      const argv = [
        'ffmpeg',
        '-hide_banner',
        '-loglevel',
        'error',
        '-y',
        '-framerate',
        '30',
        '-i',
        join(dir, 'frame_%05d.jpg'),
        ...videoEncoderArgs('libx264', { encoderPreset: 'medium', crf: 20 }),
        '-profile:v',
        'high',
        '-movflags',
        '+faststart',
        join(out, 'reference.mp4'),
      ];
      const { stderr } = timeProgram
        ? await pexec(timeProgram, ['-f', '%M', ...argv])
        : await pexec(argv[0]!, argv.slice(1));
      const seconds = (performance.now() - t) / 1000;
      const kb = Number(stderr.trim().split('\n').at(-1));
      if (timeProgram && Number.isFinite(kb)) referenceMem.maxRssMb = Math.max(referenceMem.maxRssMb ?? 0, kb / 1024);
      return seconds;
    };
    // The machine may be shared: the reference runs before and after the two exports and their mean is used.
    const referenceBefore = await runReference();
    const base = { frames, preset: 'h264-1080p', fps: 30, crf: 20, encoderPreset: 'medium', outputDir: out };
    const bundle = await bundleExport();
    const plain = await exportInChild(bundle, JSON.stringify({ ...base, name: 'plain' }));
    const smooth = await exportInChild(bundle, JSON.stringify({ ...base, name: 'smooth', deflicker: 'smooth' }));
    const referenceAfter = await runReference();
    const reference = (referenceBefore + referenceAfter) / 2;
    const hdr = await benchHdr(bundle, frames, out);
    const outputs = (await readdir(out)).length;
    // The export's peak: node + its ffmpeg, their RSS sampled together every 50 ms. The sum of their separate
    // peaks (an upper bound: node peaks while measuring, ffmpeg while encoding) is in the notes.
    const peak = Math.max(plain.sampledSumMb, smooth.sampledSumMb);
    const bound = Math.max(plain.nodeMaxRssMb + plain.ffmpegHwmMb, smooth.nodeMaxRssMb + smooth.ffmpegHwmMb);
    const refMem =
      referenceMem.maxRssMb === null ? 'not measured (no GNU time)' : `${referenceMem.maxRssMb.toFixed(0)} MB`;
    const mem = (name: string, r: ChildRun): string =>
      `${name}: node maxrss ${r.nodeMaxRssMb.toFixed(0)} (heap ${r.nodeHeapMb.toFixed(0)}, buffers ${r.nodeExternalMb.toFixed(0)}) + ffmpeg VmHWM ${r.ffmpegHwmMb.toFixed(0)} MB; sampled together ${r.sampledSumMb.toFixed(0)} MB`;
    const head = `${count} frames 1080p; reference ffmpeg (same encoder settings) ${referenceBefore.toFixed(1)} s before, ${referenceAfter.toFixed(1)} s after`;
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
        `node + ffmpeg RSS sampled together every 50 ms (sum of separate peaks ${bound.toFixed(0)} MB); the plain ffmpeg reference alone peaks at ${refMem}; encoder x264 medium crf 20 sliced-threads rc-lookahead=8; ${mem('plain', plain)}; ${mem('smooth', smooth)}; ${outputs} files written`,
      ),
      hdr,
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
