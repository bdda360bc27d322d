import { describe, expect, it } from 'vitest';
import { AgentError } from '../util/errors.js';
import { parseSessionId, SessionManager } from './sessions.js';

function clock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function code(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof AgentError ? err.code : 'not-an-agent-error';
  }
}

describe('sessions and roles', () => {
  it('makes the first session master and later ones observers', () => {
    const s = new SessionManager();
    expect(s.touch('alpha-session')).toBe('master');
    expect(s.touch('bravo-session')).toBe('observer');
    expect(s.touch('alpha-session')).toBe('master');
    expect(code(() => s.requireMaster('bravo-session'))).toBe('not_master');
    expect(code(() => s.requireMaster('alpha-session'))).toBeNull();
  });

  it('lets the station (no session) act as the owner even after a session forces master', () => {
    const s = new SessionManager();
    s.touch('alpha-session');
    expect(s.touch(null)).toBe('master');
    s.forceMaster('bravo-session');
    expect(s.touch(null)).toBe('master');
    expect(code(() => s.requireMaster(null))).toBeNull();
    expect(code(() => s.requireMaster('alpha-session'))).toBe('not_master');
    expect(s.view('bravo-session')).toMatchObject({ role: 'master', master_session_id: 'bravo-session', forced: true });
  });

  it('expires idle sessions, promotes the oldest live one and clears a forced master', () => {
    const c = clock();
    const s = new SessionManager({ idleMs: 1_000, now: c.now });
    s.touch('alpha-session');
    c.advance(10);
    s.touch('bravo-session');
    c.advance(10);
    s.touch('charlie-session');
    s.forceMaster('charlie-session');
    c.advance(600);
    s.touch('bravo-session');
    c.advance(600); // alpha and charlie idle for over a second, bravo for 600 ms
    expect(s.touch('bravo-session')).toBe('master');
    expect(s.touch(null)).toBe('master');
    expect(s.view(null)).toMatchObject({ sessions: 1, forced: false });
  });

  it('keeps a session with an open socket alive however idle it is', () => {
    const c = clock();
    const s = new SessionManager({ idleMs: 1_000, now: c.now });
    const release = s.openConnection('alpha-session');
    expect(release).not.toBeNull();
    s.touch('bravo-session');
    c.advance(5_000);
    expect(s.touch('bravo-session')).toBe('observer');
    release!();
    c.advance(1_001);
    expect(s.touch('bravo-session')).toBe('master');
  });

  it('allows five live connections and refuses the sixth until one closes', () => {
    const s = new SessionManager();
    const slots = [1, 2, 3, 4, 5].map(() => s.openConnection(null));
    expect(slots.every((r) => r !== null)).toBe(true);
    expect(s.openConnection(null)).toBeNull();
    slots[0]!();
    slots[0]!(); // releasing twice frees one slot only
    expect(s.liveConnections()).toBe(4);
    expect(s.openConnection('alpha-session')).not.toBeNull();
    expect(s.openConnection(null)).toBeNull();
  });

  it('accepts only well-formed session ids', () => {
    expect(parseSessionId(undefined)).toBeNull();
    expect(parseSessionId('')).toBeNull();
    expect(parseSessionId('0b7c3a52-6f7e-4c1e-9d43-1a2b3c4d5e6f')).toBe('0b7c3a52-6f7e-4c1e-9d43-1a2b3c4d5e6f');
    for (const bad of ['short', '../../etc/passwd', 'x'.repeat(65), 'with space 123']) {
      expect(code(() => parseSessionId(bad))).toBe('invalid_session');
    }
  });

  it('keeps at most maxSessions: the idlest session without a socket goes, else 503 too_many_sessions', () => {
    const c = clock();
    const s = new SessionManager({ maxSessions: 3, now: c.now });
    s.touch('master-session');
    c.advance(1);
    const release = s.openConnection('watcher-session');
    c.advance(1);
    s.touch('idle-session-1');
    c.advance(1);
    expect(s.sessionCount()).toBe(3);
    s.touch('newcomer-session');
    expect(s.sessionCount()).toBe(3);
    expect(s.view('idle-session-1').sessions).toBe(3);
    // idle-session-1 came back and pushed newcomer out; master and the watcher with a socket always stay.
    expect(s.touch('master-session')).toBe('master');
    for (let i = 0; i < 100; i++) s.touch(`flood-session-${i}`);
    expect(s.sessionCount()).toBe(3);
    expect(s.touch('master-session')).toBe('master');
    const full = new SessionManager({ maxSessions: 2, now: c.now });
    full.touch('master-session');
    const r = full.openConnection('watcher-session');
    expect(code(() => full.touch('third-session'))).toBe('too_many_sessions');
    // A refused session takes no connection slot with it.
    expect(code(() => full.openConnection('third-session'))).toBe('too_many_sessions');
    expect(full.liveConnections()).toBe(1);
    r?.();
    release?.();
  });
});
