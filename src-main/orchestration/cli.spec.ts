import { describe, expect, it } from 'vitest';
import { parseVariant, resultsTable } from './cli.js';

describe('orchestration CLI helpers', () => {
  it('parses --variant name:JSON and rejects malformed ones', () => {
    expect(parseVariant('warm:{"colour_temperature_k":4500}')).toEqual({
      name: 'warm',
      override: { colour_temperature_k: 4500 },
    });
    expect(() => parseVariant('nocolon')).toThrow(/name:/);
    expect(() => parseVariant('x:[1]')).toThrow(/JSON object/);
    expect(() => parseVariant('x:{oops')).toThrow(/not valid JSON/);
  });

  it('prints one row per variant with its quality figures', () => {
    const text = resultsTable({
      test: {
        id: 'ab-1',
        createdAt: '2025-06-21T18:00:00Z',
        finishedAt: null,
        status: 'done',
        agentIds: ['a'],
        variants: [],
        rounds: 1,
        schedule: null,
        failures: [{ agentId: 'a', variant: 'lo', round: 1, code: 'agent_timeout', message: 'slow' }],
      },
      variants: [
        {
          variant: 'hi',
          override: { iso: 800 },
          captures: 2,
          meanBrightness: 120.5,
          clippedHighlights: 0.01,
          clippedShadows: 0,
          focusScore: 10,
          isoValues: [800],
          shutterSpeeds: ['1/60'],
          items: [],
        },
      ],
    });
    expect(text).toMatch(/^hi\s+2\s+120\.500\s+0\.0100\s+0\.0000\s+10\.00\s+800\s+1\/60/m);
    expect(text).toContain('a lo round 1: slow');
  });
});
