import { describe, expect, it } from 'vitest';
import { readNightPreference, writeNightPreference } from './theme';

function memoryStorage() {
  const map = new Map<string, string>();
  return {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
  };
}

describe('night mode preference', () => {
  it('is off until turned on, and remembers both choices', () => {
    const s = memoryStorage();
    expect(readNightPreference(s)).toBe(false);
    writeNightPreference(s, true);
    expect(readNightPreference(s)).toBe(true);
    writeNightPreference(s, false);
    expect(readNightPreference(s)).toBe(false);
  });

  it('treats missing or failing storage as off and never throws', () => {
    expect(readNightPreference(null)).toBe(false);
    const broken = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
    };
    expect(readNightPreference(broken)).toBe(false);
    expect(() => writeNightPreference(broken, true)).not.toThrow();
  });
});
