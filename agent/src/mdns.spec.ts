import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { capabilityTags, mdnsEnabled, mdnsModeFrom, startAdvertiser } from './mdns.js';
import { AgentTxt, advertisedFromTxt, buildTxt, instanceNameFor, type AdvertisedAgent } from './protocol/mdns.js';

function memoryLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

const agent: AdvertisedAgent = {
  id: '3f2a9c1e-1111-4000-8000-000000000001',
  name: 'roof cam',
  version: '0.1.0',
  cameraModel: 'Canon EOS 6D',
  capabilities: ['preview', 'long-exposure'],
  tlsFingerprint: 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89',
};

describe('mDNS settings', () => {
  it('is on unless --no-mdns or SKYSTATION_MDNS=off', () => {
    expect(mdnsEnabled(true, {})).toBe(true);
    expect(mdnsEnabled(false, {})).toBe(false);
    expect(mdnsEnabled(true, { SKYSTATION_MDNS: 'OFF' })).toBe(false);
    expect(mdnsEnabled(true, { SKYSTATION_MDNS: 'on' })).toBe(true);
  });
  it('picks the advertiser from --mdns, then SKYSTATION_MDNS, then bonjour', () => {
    expect(mdnsModeFrom(undefined, {})).toBe('bonjour');
    expect(mdnsModeFrom('avahi', {})).toBe('avahi');
    expect(mdnsModeFrom(undefined, { SKYSTATION_MDNS: 'avahi' })).toBe('avahi');
    expect(mdnsModeFrom('bonjour', { SKYSTATION_MDNS: 'avahi' })).toBe('bonjour');
  });
  it('turns camera capabilities into tags', () => {
    const base = {
      model: 'x',
      width: 1,
      height: 1,
      isoMin: 100,
      isoMax: 6400,
      shutterMinSeconds: 0.001,
      shutterMaxSeconds: 30,
      whiteBalanceModes: [],
    };
    expect(
      capabilityTags({
        ...base,
        longExposure: true,
        livePreview: true,
        bracketing: false,
        autofocus: false,
        temperature: true,
        gainMin: 0,
        gainMax: 10,
      }),
    ).toEqual(['preview', 'temperature', 'long-exposure', 'gain']);
  });
});

describe('TXT record', () => {
  it('round-trips through the station’s parser', () => {
    const txt = buildTxt(agent);
    expect(txt).toMatchObject({ txtvers: '1', id: agent.id, name: 'roof cam', model: 'Canon EOS 6D' });
    expect(txt['caps']).toBe('preview,long-exposure');
    const parsed = AgentTxt.parse(txt);
    expect(advertisedFromTxt(parsed)).toEqual({ ...agent, apiPath: '/' });
  });
  it('leaves out empty values (bonjour-service cannot decode "key=") and keeps the TXT small', () => {
    const txt = buildTxt({ ...agent, cameraModel: '', capabilities: [], tlsFingerprint: null });
    expect(Object.keys(txt).sort()).toEqual(['id', 'name', 'path', 'txtvers', 'version']);
    const bytes = Object.entries(buildTxt(agent)).reduce((n, [k, v]) => n + k.length + v.length + 2, 0);
    expect(bytes).toBeLessThan(400);
  });
  it('ignores unknown keys from newer agents but rejects bad known ones', () => {
    expect(AgentTxt.safeParse({ ...buildTxt(agent), future: 'x' }).success).toBe(true);
    expect(AgentTxt.safeParse({ ...buildTxt(agent), id: 'no spaces allowed' }).success).toBe(false);
    expect(AgentTxt.safeParse({ ...buildTxt(agent), tlsfp: 'zz' }).success).toBe(false);
    expect(AgentTxt.safeParse({ name: 'x', version: '1' }).success).toBe(false);
  });
  it('makes a unique, DNS-SD sized instance name', () => {
    expect(instanceNameFor(agent)).toBe('roof cam (3f2a9c1e)');
    expect(instanceNameFor({ id: agent.id, name: 'a.b' })).toBe('a-b (3f2a9c1e)');
    const long = instanceNameFor({ id: agent.id, name: 'é'.repeat(64) });
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(63);
    expect(long.endsWith('(3f2a9c1e)')).toBe(true);
  });
});

describe('startAdvertiser', () => {
  it('does nothing when disabled', async () => {
    const { log, lines } = memoryLog();
    const adv = startAdvertiser({ enabled: false, log, port: 8080, id: agent.id, name: 'x' });
    expect(adv.mode).toBe('off');
    await adv.update({ name: 'y' });
    await adv.stop();
    expect(lines.map((l) => l['event'])).toEqual(['mdns.disabled']);
  });
  it('re-announces when refresh() reports a change, and only then', async () => {
    const { log, lines } = memoryLog();
    let reads = 0;
    const adv = startAdvertiser({
      enabled: true,
      mode: 'avahi',
      avahiCommand: '/nonexistent/avahi-publish-service',
      log,
      port: 8080,
      id: agent.id,
      name: 'x',
      cameraModel: 'Camera A',
      refresh: () => {
        reads += 1;
        return { cameraModel: 'Camera B' };
      },
      refreshMs: 10,
    });
    for (let i = 0; i < 200 && reads < 5; i++) await new Promise((r) => setTimeout(r, 10));
    await adv.stop();
    expect(reads).toBeGreaterThanOrEqual(5);
    expect(lines.filter((l) => l['event'] === 'mdns.updated')).toHaveLength(1);
  });

  it('says how to fix a missing avahi-publish-service, without throwing', async () => {
    const { log, lines } = memoryLog();
    const adv = startAdvertiser({
      enabled: true,
      mode: 'avahi',
      avahiCommand: '/nonexistent/avahi-publish-service',
      log,
      port: 8080,
      id: agent.id,
      name: 'x',
    });
    expect(adv.mode).toBe('avahi');
    for (let i = 0; i < 100 && !lines.some((l) => l['event'] === 'mdns.avahi_missing'); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const missing = lines.find((l) => l['event'] === 'mdns.avahi_missing');
    expect(missing?.['msg']).toMatch(/install avahi-utils or start the agent with --mdns bonjour/);
    await adv.stop();
  });
});
