import { describe, expect, it } from 'vitest';
import type { AgentView } from '@contract';
import { agentNow, cameraStatus, formatDuration, nextCaptureText, planSummary, relativeTime } from './fleet-logic';

const NOW = Date.parse('2026-12-07T03:00:00Z');

describe('cameraStatus', () => {
  it('never says online while the station connection is down, and refuses captures with the reason', () => {
    for (const connection of ['closed', 'connecting'] as const) {
      const s = cameraStatus({ state: 'online', cameraReady: true }, connection);
      expect(s.label).not.toMatch(/online/);
      expect(s.canCapture).toBe(false);
      expect(s.whyNot).toMatch(/station/);
    }
  });

  it('lets an online camera capture and explains every other state', () => {
    expect(cameraStatus({ state: 'online', cameraReady: true }, 'open')).toEqual({
      label: 'online',
      tone: 'ok',
      canCapture: true,
      whyNot: null,
    });
    for (const state of ['offline', 'paired', 'unpaired', 'discovered'] as const) {
      const s = cameraStatus({ state, cameraReady: false }, 'open');
      expect(s.canCapture, state).toBe(false);
      expect(s.whyNot, state).toBeTruthy();
    }
  });
});

describe('durations', () => {
  it('reads like a clock an operator can glance at', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(42_400)).toBe('42 s');
    expect(formatDuration(158_000)).toBe('2 min 38 s');
    expect(formatDuration(3_725_000)).toBe('1 h 02 min');
    expect(formatDuration(-5)).toBe('0 s');
  });

  it('says how far a time is from now', () => {
    expect(relativeTime('2026-12-07T03:00:30Z', NOW)).toBe('in 30 s');
    expect(relativeTime('2026-12-07T02:58:00Z', NOW)).toBe('2 min 00 s ago');
    expect(relativeTime('2026-12-07T03:00:00.200Z', NOW)).toBe('now');
    expect(relativeTime(null, NOW)).toBe('—');
    expect(relativeTime('garbage', NOW)).toBe('—');
  });

  it('compares a camera’s times with the camera’s clock', () => {
    // A camera whose clock is 2 h behind says its next capture is at 01:00:30: that is in 30 s.
    expect(relativeTime('2026-12-07T01:00:30Z', agentNow(NOW, -2 * 3_600_000))).toBe('in 30 s');
    expect(agentNow(NOW, null)).toBe(NOW);
  });
});

describe('planSummary', () => {
  const dep = (over: Partial<NonNullable<AgentView['deployment']>>): AgentView['deployment'] => ({
    agentId: 'a',
    profileId: 'ridge_winter',
    version: '1.2.0',
    status: 'deployed',
    deployedAt: '2026-12-01T00:00:00Z',
    horizon: '2026-12-31T00:00:00Z',
    windows: 60,
    error: null,
    redeploys: 0,
    ...over,
  });

  it('names the profile the camera itself reports, before the station’s record', () => {
    const p = planSummary({ deployment: dep({}), deployedProfile: { profileId: 'other', version: '2.0.0' } }, NOW);
    expect(p.profile).toBe('other 2.0.0');
    expect(p.horizon).toMatch(/Planned until .* \(23 days\)/);
    expect(p.tone).toBe('ok');
  });

  it('warns when the plan is about to run out, and says when it has', () => {
    expect(planSummary({ deployment: dep({ horizon: '2026-12-07T15:00:00Z' }) }, NOW)).toMatchObject({
      profile: 'ridge_winter 1.2.0',
      tone: 'warn',
      horizon: 'Plan ends in 12 h 00 min',
    });
    expect(planSummary({ deployment: dep({ horizon: '2026-12-07T01:00:00Z' }) }, NOW)).toMatchObject({
      tone: 'bad',
      horizon: 'The plan ran out 2 h 00 min ago.',
    });
  });

  it('tells what to do when nothing is deployed or the deployment failed', () => {
    expect(planSummary({ deployment: null }, NOW)).toMatchObject({ profile: null, horizon: /Profiles tab/ });
    const failed = planSummary({ deployment: dep({ status: 'failed', error: 'disk full', horizon: null }) }, NOW);
    expect(failed.tone).toBe('bad');
    expect(failed.profile).toBeNull();
    expect(failed.horizon).toMatch(/failed: disk full\. Deploy again/);
  });
});

describe('nextCaptureText', () => {
  const w = (start: string, end: string, schedule: string) => ({ start, end, interval_seconds: 30, schedule });

  it('names the window running now, else the next one to start, ignoring ended ones', () => {
    const windows = [
      w('2026-12-07T06:00:00Z', '2026-12-07T07:00:00Z', 'sunrise'),
      w('2026-12-07T01:00:00Z', '2026-12-07T02:00:00Z', 'ended'),
      w('2026-12-07T04:00:00Z', '2026-12-07T05:00:00Z', 'night'),
    ];
    expect(nextCaptureText(windows, NOW)).toBe('in 1 h 00 min (night)');
    expect(nextCaptureText(windows, Date.parse('2026-12-07T04:30:00Z'))).toMatch(
      /^now, every 30 s until .* \(night\)$/,
    );
    expect(nextCaptureText(windows, Date.parse('2026-12-07T08:00:00Z'))).toBeNull();
    expect(nextCaptureText([], NOW)).toBeNull();
  });
});
