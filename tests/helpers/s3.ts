/** A local S3-compatible server (s3rver, from the npm registry) with one bucket, "sky", on 127.0.0.1. */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { S3Config } from '../../src-main/archive/s3.js';

export interface LocalS3 {
  /** Its built-in account (S3RVER/S3RVER), path-style. */
  config: S3Config;
  close(): Promise<void>;
}

interface S3rverLike {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverLike;

/** Starts s3rver storing under <dir>/s3. */
export async function startLocalS3(dir: string): Promise<LocalS3> {
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: join(dir, 's3'),
    configureBuckets: [{ name: 'sky' }],
  });
  const { port } = await server.run();
  return {
    config: {
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      bucket: 'sky',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
    },
    close: () => server.close(),
  };
}
