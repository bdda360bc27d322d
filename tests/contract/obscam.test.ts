/**
 * Seed 004 (ObsCam): `curl /api/health` (camera and connection limit) and
 * `curl /api/connect` (close and reopen the camera) against a real agent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObsCamConnectResponse, ObsCamHealth } from '../../agent/src/http/obscam.js';
import { CaptureResponse } from '../../agent/src/protocol/index.js';
import { startAgentProcess, type RunningProcess } from '../helpers/processes.js';
import { agentHttp, expectShape, type AgentHttp } from './client.js';

describe('seed 004 (ObsCam) endpoints against a real agent', () => {
  let dir: string;
  let agent: RunningProcess & { port: number };
  let http: AgentHttp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skys-obscam-'));
    agent = await startAgentProcess(dir, ['--sim-resolution', '64x48']);
    http = agentHttp(agent.port, dir);
  });

  afterAll(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GET /api/health reports the camera and the connection limit', async () => {
    const r = await http.get('/api/health');
    expect(r.status).toBe(200);
    const body = expectShape(ObsCamHealth, r.body, 'GET /api/health');
    expect(body.status).toBe('ok');
    expect(body.camera.connected).toBe(true);
    expect(body.connections).toEqual({ active: 0, max: 5, available: 5 });
  });

  it('POST /api/connect closes and reopens the camera, which then captures; GET changes nothing (405)', async () => {
    const get = await http.request('GET', '/api/connect');
    expect(get.status).toBe(405);
    expect(JSON.stringify(get.body)).toMatch(/POST/);
    for (let i = 0; i < 2; i++) {
      const r = await http.request('POST', '/api/connect');
      expect(r.status).toBe(200);
      const body = expectShape(ObsCamConnectResponse, r.body, 'POST /api/connect');
      expect(body.camera).toMatchObject({ connected: true, state: 'ready' });
    }
    expect(agent.stdout.filter((l) => l.includes('"event":"camera.reconnected"'))).toHaveLength(2);
    const shot = await http.post('/capture', { auto: true });
    expect(shot.status).toBe(200);
    expectShape(CaptureResponse, shot.body, 'POST /capture');
  });
});
