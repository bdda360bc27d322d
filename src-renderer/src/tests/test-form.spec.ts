import { describe, expect, it } from 'vitest';
import { blankVariant, buildVariants, describeOverride } from './test-form';

describe('A/B test form', () => {
  it('turns filled-in fields into overrides and leaves empty ones to the profile', () => {
    const r = buildVariants([
      blankVariant('base'),
      { ...blankVariant('brighter', '0.7'), iso: '800', shutter: '1/500', awb: '1', colourK: '5200', metering: '1' },
    ]);
    expect(r).toEqual({
      ok: true,
      variants: [
        { name: 'base', override: {} },
        {
          name: 'brighter',
          override: {
            exposure_compensation: 0.7,
            iso: 800,
            shutter_speed: '1/500',
            awb_mode: 1,
            colour_temperature_k: 5200,
            ae_metering_mode: 1,
          },
        },
      ],
    });
  });

  it("refuses bad values in an operator's words", () => {
    const r = buildVariants([
      { ...blankVariant('a b', '9'), iso: '12', shutter: 'fast', colourK: '900' },
      blankVariant('dup'),
      blankVariant('dup'),
    ]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const e = r.errors[0]!;
    expect(Object.keys(e).sort()).toEqual(['colourK', 'ev', 'iso', 'name', 'shutter']);
    expect(e.name).toMatch(/no spaces/);
    expect(e.ev).toMatch(/-8 to \+8/);
    expect(e.iso).toMatch(/25 to 102400/);
    expect(e.shutter).toMatch(/1\/500/);
    expect(e.colourK).toMatch(/kelvin/);
    expect(r.errors[2]!.name).toMatch(/Two variants are called "dup"/);
    const one = buildVariants([blankVariant('only')]);
    expect(one.ok === false && one.general).toMatch(/at least two variants/);
  });

  it('says an override in words', () => {
    expect(describeOverride({})).toBe('the profile as it is');
    expect(describeOverride({ exposure_compensation: 0.7, iso: 800, ae_metering_mode: 2 })).toBe(
      'EV +0.7, ISO 800, matrix metering',
    );
  });
});
