/** ffprobe / ffmpeg helpers for checking exports in tests. */
import { execa } from 'execa';

export interface ProbeInfo {
  codec: string;
  tag: string;
  width: number;
  height: number;
  pixFmt: string;
  frames: number;
  duration: number;
}

export async function probe(path: string): Promise<ProbeInfo> {
  const r = await execa('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-count_frames',
    '-show_entries',
    'stream=codec_name,codec_tag_string,width,height,pix_fmt,nb_read_frames:format=duration',
    '-of',
    'json',
    path,
  ]);
  const j = JSON.parse(r.stdout) as {
    streams: {
      codec_name: string;
      codec_tag_string: string;
      width: number;
      height: number;
      pix_fmt: string;
      nb_read_frames: string;
    }[];
    format: { duration: string };
  };
  const s = j.streams[0]!;
  return {
    codec: s.codec_name,
    tag: s.codec_tag_string,
    width: s.width,
    height: s.height,
    pixFmt: s.pix_fmt,
    frames: Number(s.nb_read_frames),
    duration: Number(j.format.duration),
  };
}

/** Mean luma of every frame of a video, decoded small. */
export async function frameMeans(path: string): Promise<number[]> {
  const w = 64;
  const h = 36;
  const r = await execa(
    'ffmpeg',
    ['-v', 'error', '-i', path, '-vf', `scale=${w}:${h}`, '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'],
    { encoding: 'buffer' },
  );
  const buf = r.stdout;
  const means: number[] = [];
  for (let off = 0; off + w * h <= buf.length; off += w * h) {
    let s = 0;
    for (let i = 0; i < w * h; i++) s += buf[off + i]!;
    means.push(s / (w * h));
  }
  return means;
}
