/**
 * Splits a motion-JPEG byte stream (rpicam-vid --codec mjpeg -o -, ffmpeg -f
 * mjpeg -, gphoto2 --capture-movie --stdout) into whole JPEG images on the
 * start-of-image (FF D8) and end-of-image (FF D9) markers.
 */
export class MjpegSplitter {
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes of `pending` already searched for an end marker. */
  private scanned = 0;
  /** Largest frame kept while waiting for its end; protects memory against a broken stream. */
  constructor(private readonly maxFrameBytes = 32 * 1024 * 1024) {}

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    for (;;) {
      const start = findMarker(this.pending, 0xd8, 0);
      if (start < 0) {
        // Keep a trailing 0xFF: it may be half a marker.
        this.pending = this.pending.at(-1) === 0xff ? this.pending.subarray(-1) : Buffer.alloc(0);
        this.scanned = 0;
        return frames;
      }
      if (start > 0) {
        this.pending = this.pending.subarray(start);
        this.scanned = 0;
      }
      const end = findMarker(this.pending, 0xd9, Math.max(2, this.scanned - 1));
      if (end < 0) {
        this.scanned = this.pending.length;
        if (this.pending.length > this.maxFrameBytes) {
          this.pending = Buffer.alloc(0);
          this.scanned = 0;
        }
        return frames;
      }
      frames.push(Buffer.from(this.pending.subarray(0, end + 2)));
      this.pending = this.pending.subarray(end + 2);
      this.scanned = 0;
    }
  }
}

function findMarker(buf: Buffer, second: number, from: number): number {
  let i = buf.indexOf(0xff, from);
  while (i >= 0 && i + 1 < buf.length) {
    if (buf[i + 1] === second) return i;
    i = buf.indexOf(0xff, i + 1);
  }
  return -1;
}

/** Width and height from a JPEG's start-of-frame segment, or null. */
export function jpegSize(jpeg: Buffer): { width: number; height: number } | null {
  let i = 2;
  while (i + 9 < jpeg.length) {
    if (jpeg[i] !== 0xff) return null;
    const marker = jpeg[i + 1]!;
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    const length = jpeg.readUInt16BE(i + 2);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return { height: jpeg.readUInt16BE(i + 5), width: jpeg.readUInt16BE(i + 7) };
    i += 2 + length;
  }
  return null;
}
