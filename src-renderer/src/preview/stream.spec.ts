import { describe, expect, it } from 'vitest';
import { encodePreviewHeader } from '../../../agent/src/protocol/index';
import { decodeFrame, PREVIEW_HEADER_BYTES } from './stream';

describe('preview frame decoding in the renderer', () => {
  it('reads the header the agent writes (agent/src/protocol) and keeps the JPEG bytes', async () => {
    const jpeg = Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
    const capturedAtMs = 1_765_000_000_123.456;
    const message = Buffer.concat([
      encodePreviewHeader({ sequence: 4_000_000_000, capturedAtMs, exposureUs: 8333 }),
      jpeg,
    ]);
    const buf = message.buffer.slice(message.byteOffset, message.byteOffset + message.byteLength);
    const f = decodeFrame(buf);
    expect(f).not.toBeNull();
    expect(f!.seq).toBe(4_000_000_000);
    expect(f!.capturedAtMs).toBe(capturedAtMs);
    expect(f!.exposureUs).toBe(8333);
    expect(f!.bytes).toBe(PREVIEW_HEADER_BYTES + jpeg.length);
    expect(f!.jpeg.type).toBe('image/jpeg');
    expect(Buffer.from(await f!.jpeg.arrayBuffer())).toEqual(jpeg);
  });

  it('reads the version-2 header with ISO or gain, and version 1 from an older agent as "not told"', async () => {
    const jpeg = Buffer.from([0xff, 0xd8, 9, 0xff, 0xd9]);
    const asBuf = (m: Buffer): ArrayBuffer => m.buffer.slice(m.byteOffset, m.byteOffset + m.byteLength) as ArrayBuffer;
    const header = { sequence: 7, capturedAtMs: 1_765_000_000_000, exposureUs: 33_333 };
    const v2 = decodeFrame(asBuf(Buffer.concat([encodePreviewHeader({ ...header, iso: 6400 }, 2), jpeg])))!;
    expect(v2).toMatchObject({ seq: 7, exposureUs: 33_333, iso: 6400, gain: null, bytes: 24 + jpeg.length });
    expect(Buffer.from(await v2.jpeg.arrayBuffer())).toEqual(jpeg);
    const gain = decodeFrame(asBuf(Buffer.concat([encodePreviewHeader({ ...header, gain: 120.5 }, 2), jpeg])))!;
    expect(gain).toMatchObject({ iso: null, gain: 120.5 });
    const unknown = decodeFrame(asBuf(Buffer.concat([encodePreviewHeader(header, 2), jpeg])))!;
    expect(unknown).toMatchObject({ iso: null, gain: null });
    const v1 = decodeFrame(asBuf(Buffer.concat([encodePreviewHeader({ ...header, iso: 6400 }, 1), jpeg])))!;
    expect(v1).toMatchObject({ seq: 7, iso: null, gain: null, bytes: 16 + jpeg.length });
    expect(Buffer.from(await v1.jpeg.arrayBuffer())).toEqual(jpeg);
  });

  it('refuses a message too short to hold a header and an image', () => {
    expect(decodeFrame(new ArrayBuffer(PREVIEW_HEADER_BYTES + 1))).toBeNull();
  });
});
