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

  it('refuses a message too short to hold a header and an image', () => {
    expect(decodeFrame(new ArrayBuffer(PREVIEW_HEADER_BYTES + 1))).toBeNull();
  });
});
