/**
 * What the security tests write and read by hand, shared: WebSocket frames
 * (RFC 6455 5.2, any bits the tests want wrong), HTTP answers parsed from raw
 * bytes, and a hash of every file under a data folder (to show a refused
 * request changed nothing).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface FrameSpec {
  fin?: boolean;
  rsv?: number;
  opcode: number;
  payload?: Buffer;
  /** Clients must mask (default true); false sends a frame a server must refuse. */
  masked?: boolean;
  /** Writes this length in the header instead of the payload's. */
  declaredLength?: bigint;
}

/** One WebSocket frame, written by hand. */
export function wsFrame(f: FrameSpec): Buffer {
  const payload = f.payload ?? Buffer.alloc(0);
  const len = f.declaredLength ?? BigInt(payload.length);
  const b0 = ((f.fin ?? true) ? 0x80 : 0) | ((f.rsv ?? 0) << 4) | (f.opcode & 0x0f);
  const m = (f.masked ?? true) ? 0x80 : 0;
  let head: Buffer;
  if (len < 126n) head = Buffer.from([b0, m | Number(len)]);
  else if (len < 65536n) {
    head = Buffer.from([b0, m | 126, 0, 0]);
    head.writeUInt16BE(Number(len), 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = b0;
    head[1] = m | 127;
    head.writeBigUInt64BE(len, 2);
  }
  if (!m) return Buffer.concat([head, payload]);
  const key = randomBytes(4);
  const masked = Buffer.from(payload);
  for (let i = 0; i < masked.length; i++) masked[i]! ^= key[i & 3]!;
  return Buffer.concat([head, key, masked]);
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** A complete HTTP answer from the bytes read so far (by content-length or the chunked end), or null while more are due. */
export function parseHttpAnswer(all: Buffer): HttpAnswer | null {
  const end = all.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = all.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = all.subarray(end + 4);
  const status = Number(statusLine?.split(' ')[1] ?? 0);
  if (status === 101) return { status, headers, body: Buffer.alloc(0) };
  if (headers['transfer-encoding'] === 'chunked') {
    if (!body.includes('\r\n0\r\n\r\n') && !body.subarray(0, 5).equals(Buffer.from('0\r\n\r\n'))) return null;
    body = dechunk(body);
  } else if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    if (Number.isNaN(n) || body.length < n) return null;
    body = body.subarray(0, n);
  } else return null;
  return { status, headers, body };
}

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(b.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(b.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** Every file under `dir` with its size and sha256, except what `leaveOut` names (a file, or a folder and all in it). */
export function snapshotFiles(
  dir: string,
  leaveOut: (name: string, isDir: boolean) => boolean,
): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (leaveOut(e.name, e.isDirectory())) continue;
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = `${statSync(p).size}:${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
    }
  };
  walk(dir);
  return out;
}
