/**
 * The INDI driver against the REAL Debian indiserver with indi_simulator_ccd
 * (package indi-bin). indiserver 1.9 cannot bind to loopback only, so it runs
 * in a private network namespace (indi-netns.mjs) and the test forwards a
 * port on 127.0.0.1 to it; the driver speaks plain INDI over that TCP port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndiCamera } from '../../agent/src/camera/indi.js';
import { ResilientCamera } from '../../agent/src/camera/resilient.js';
import { parseFits } from '../../agent/src/camera/fits.js';
import { AgentClient } from '../../src-main/agents/agent-client.js';
import { CapturesRepo } from '../../src-main/db/captures-repo.js';
import { openDatabase } from '../../src-main/db/database.js';
import { SyncEngine } from '../../src-main/sync/sync-engine.js';
import { createLogger } from '../../src-main/util/log.js';
import { freePort, startAgentProcess, until } from '../helpers/processes.js';
import { postCapture } from './helpers.js';

const SHORT = { iso: 800, shutter_speed: '1/10', exposure_compensation: 0, awb_mode: 0, ae_metering_mode: 0 };

let dir: string;
let indi: ChildProcess;
let bridge: Server;
let port: number;

/** Starts indiserver + indi_simulator_ccd in a private network namespace, serving on `socketPath`. */
async function startIndi(socketPath: string): Promise<ChildProcess> {
  const child = spawn(
    'unshare',
    ['--net', '--map-root-user', process.execPath, join(import.meta.dirname, 'indi-netns.mjs'), socketPath],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  createInterface({ input: child.stderr }).on('line', (l) => output.push(l));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      if (l === 'ready') resolve();
    });
    child.once('exit', (code) => reject(new Error(`indiserver namespace exited (${code}):\n${output.join('\n')}`)));
  });
  return child;
}

async function stopIndi(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

let socketPath: string;

/** Starts indiserver and forwards 127.0.0.1:<port> to it (one upstream connection per client). */
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skys-indi-'));
  socketPath = join(dir, 'indi.sock');
  indi = await startIndi(socketPath);
  bridge = createServer((client) => {
    const upstream = connect(socketPath);
    client.pipe(upstream);
    upstream.pipe(client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('error', close);
      s.on('close', close);
    }
  });
  await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve));
  port = (bridge.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => bridge?.close(resolve));
  await stopIndi(indi);
  rmSync(dir, { recursive: true, force: true });
});

describe('INDI driver with indiserver + indi_simulator_ccd', () => {
  it('connects the first camera, exposes, and returns the FITS original and a stretched JPEG', async () => {
    const cam = new IndiCamera({ host: '127.0.0.1', port, marginMs: 20_000 });
    await cam.open();
    try {
      expect(cam.deviceName()).toBe('CCD Simulator');
      const caps = cam.capabilities();
      expect(caps).toMatchObject({ model: 'CCD Simulator', width: 1280, height: 1024, temperature: true });
      expect(caps.gainMin).toBe(0);
      expect(caps.gainMax).toBe(100);

      const result = await cam.capture(SHORT);
      const fits = result.extraFiles?.find((f) => f.suffix === '.fits')?.data;
      expect(fits).toBeDefined();
      const image = parseFits(fits!);
      expect(image).toMatchObject({ width: 1280, height: 1024, bitpix: 16 });
      expect(await sharp(result.jpeg).metadata()).toMatchObject({ format: 'jpeg', width: 1280, height: 1024 });
      expect(result).toMatchObject({ width: 1280, height: 1024 });
      expect(typeof result.metadata.temperature_c).toBe('number');
      expect(await cam.temperatureC()).toBe(result.metadata.temperature_c);
      // ISO 800 is three doublings above ISO 100: 30 % of the gain range, on the driver's step of 10.
      expect(cam.numberProperty('CCD_GAIN', 'GAIN')).toBe(30);
      expect(cam.numberProperty('CCD_EXPOSURE', 'CCD_EXPOSURE_VALUE')).toBe(0);
    } finally {
      await cam.close();
    }
  });

  it('names the devices the server has when --indi-device is wrong', async () => {
    const cam = new IndiCamera({ host: '127.0.0.1', port, device: 'No Such Camera', marginMs: 2_000 });
    await expect(cam.open()).rejects.toMatchObject({
      code: 'no_camera',
      message: expect.stringMatching(/has no device "No Such Camera"/) as string,
    });
    await cam.close();
  });

  it('reports a server that is not running as no_camera with what to do', async () => {
    const cam = new IndiCamera({ host: '127.0.0.1', port: await freePort(), marginMs: 2_000 });
    await expect(cam.open()).rejects.toMatchObject({
      code: 'no_camera',
      message: expect.stringMatching(/^No INDI server answers at 127\.0\.0\.1:\d+; start indiserver/) as string,
    });
  });

  it('under the watchdog, a capture fails when the INDI server goes away and works again once it is back', async () => {
    const cam = new ResilientCamera(new IndiCamera({ host: '127.0.0.1', port, marginMs: 10_000 }), {
      marginMs: 10_000,
      initialBackoffMs: 100,
      maxBackoffMs: 400,
    });
    await cam.open();
    try {
      await expect(cam.capture(SHORT)).resolves.toMatchObject({ width: 1280 });
      await stopIndi(indi);
      // The lost connection is noticed at once; the capture's own attempt to reopen finds no server.
      await expect(cam.capture(SHORT)).rejects.toMatchObject({
        code: expect.stringMatching(/^(camera_disconnected|no_camera)$/) as string,
      });
      expect(cam.stats().connected).toBe(false);
      expect(cam.stats().failures.disconnected).toBeGreaterThanOrEqual(1);
      const reconnected = once(cam, 'reconnected');
      indi = await startIndi(socketPath);
      await reconnected;
      await expect(cam.capture(SHORT)).resolves.toMatchObject({ width: 1280 });
      expect(cam.stats().reconnects).toBe(1);
    } finally {
      await cam.close();
    }
  });

  it('reconnects a camera whose server went away while idle, with no capture asking, so the next one works', async () => {
    const cam = new ResilientCamera(new IndiCamera({ host: '127.0.0.1', port, marginMs: 10_000 }), {
      marginMs: 10_000,
      initialBackoffMs: 100,
      maxBackoffMs: 400,
    });
    await cam.open();
    try {
      expect(cam.state()).toBe('ready');
      await stopIndi(indi);
      await until(
        () => cam.state(),
        (s) => s === 'disconnected',
      );
      const reconnected = once(cam, 'reconnected');
      indi = await startIndi(socketPath);
      // Nothing calls the camera: the background probe alone brings it back.
      await reconnected;
      expect(cam.state()).toBe('ready');
      expect(cam.stats()).toMatchObject({ connected: true, reconnects: 1 });
      await expect(cam.capture(SHORT)).resolves.toMatchObject({ width: 1280 });
    } finally {
      await cam.close();
    }
  });

  it('a running agent with --camera indi stores the FITS next to the JPEG', async () => {
    const agent = await startAgentProcess(join(dir, 'agent'), [
      '--camera',
      'indi',
      '--indi-server',
      `127.0.0.1:${port}`,
      '--indi-device',
      'CCD Simulator',
    ]);
    try {
      const r = await postCapture(agent.port, agent.auth, { iso: 400, shutter_speed: '1/10' });
      expect(r.status).toBe(200);
      const jpegPath = r.body['image_path'] as string;
      expect(jpegPath).toMatch(/\.jpg$/);
      const fits = await readFile(jpegPath.replace(/\.jpg$/, '.fits'));
      expect(fits.toString('latin1', 0, 9)).toBe('SIMPLE  =');
      expect(parseFits(fits)).toMatchObject({ width: 1280, height: 1024 });
      expect((await readFile(jpegPath)).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));

      // The journal knows the FITS, and the station copies and verifies it with the JPEG before acknowledging.
      const client = new AgentClient({ host: '127.0.0.1', port: agent.port }, { token: agent.token });
      const [record] = (await client.listCaptures(0, 10, true)).items;
      expect(record?.extra_files).toEqual([
        { suffix: '.fits', sha256: createHash('sha256').update(fits).digest('hex'), size_bytes: fits.length },
      ]);
      const missing = await fetch(`http://127.0.0.1:${agent.port}/captures/${record!.capture_id}/file?extra=.cr2`, {
        headers: agent.auth,
      });
      expect(missing.status).toBe(404);
      const db = openDatabase(join(dir, 'station.sqlite'));
      try {
        const engine = new SyncEngine({
          captures: new CapturesRepo(db),
          mediaDir: join(dir, 'station-media'),
          log: createLogger(null, 'silent'),
          onImported: () => undefined,
        });
        expect(await engine.sync('indi', client)).toMatchObject({ imported: 1, acknowledged: 1, failed: 0 });
        const row = new CapturesRepo(db).get('indi', record!.capture_id)!;
        const copied = await readFile(join(dir, 'station-media', row.imagePath.replace(/\.jpg$/, '.fits')));
        expect(copied.equals(fits)).toBe(true);
      } finally {
        db.close();
      }
    } finally {
      await agent.stop();
    }
  });
});
