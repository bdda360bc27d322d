import { describe, expect, it } from 'vitest';
import { getPath, hasPath, numberInput, setPath, settingsKey, unsetPath } from './settings-draft';
import { roundKelvin, roundLux, sortPoints } from './WbCurveEditor';

describe('a profile draft', () => {
  const own = { iso_max: 800, strategies: { golden_hour: true }, schedule_overrides: { night: { iso_max: 6400 } } };

  it('reads, sets and clears fields by path without touching the input', () => {
    expect(getPath(own, 'schedule_overrides.night.iso_max')).toBe(6400);
    expect(getPath(own, 'strategies.blue_hour')).toBeUndefined();
    expect(hasPath(own, 'strategies.golden_hour')).toBe(true);
    expect(hasPath({ adaptive_wb_curve: null }, 'adaptive_wb_curve')).toBe(true);
    expect(hasPath(own, 'iso_min')).toBe(false);
    const set = setPath(own, 'schedule_overrides.dusk.shutter_max', '8');
    expect(set['schedule_overrides']).toEqual({ night: { iso_max: 6400 }, dusk: { shutter_max: '8' } });
    expect(own.schedule_overrides).toEqual({ night: { iso_max: 6400 } });
  });

  it('drops objects a clear leaves empty, so the field is inherited again', () => {
    expect(unsetPath(own, 'schedule_overrides.night.iso_max')).toEqual({
      iso_max: 800,
      strategies: { golden_hour: true },
    });
    expect(unsetPath(own, 'iso_max')).not.toHaveProperty('iso_max');
    expect(unsetPath(own, 'iso_min')).toBe(own);
  });

  it('keeps what is typed when it is not a number, for the brain to explain', () => {
    expect(numberInput('1,5')).toBe(1.5);
    expect(numberInput(' 800 ')).toBe(800);
    expect(numberInput('lots')).toBe('lots');
    expect(numberInput('  ')).toBeUndefined();
  });

  it('compares drafts whatever the order of their keys', () => {
    expect(settingsKey({ a: 1, b: { d: 2, c: 3 } })).toBe(settingsKey({ b: { c: 3, d: 2 }, a: 1 }));
  });
});

describe('curve points', () => {
  it('round as an operator reads them and sort brightest first', () => {
    expect(roundLux(103.7)).toBe(100);
    expect(roundLux(3456)).toBe(3500);
    expect(roundLux(0.01)).toBe(0.5);
    expect(roundKelvin(4234)).toBe(4230);
    expect(roundKelvin(99_999)).toBe(15_000);
    expect(
      sortPoints([
        [1, 3800],
        [10000, 5500],
        [100, 4000],
      ]),
    ).toEqual([
      [10000, 5500],
      [100, 4000],
      [1, 3800],
    ]);
  });
});
