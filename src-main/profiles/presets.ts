/** Seed 002 profiles A–F as stored drafts (profile_id "a" … "f", as the seed's capture requests name them). */
import type { ProfileDraft } from './definition.js';

const METERING = { centre: 0, spot: 1, matrix: 2 } as const;
const AWB = { auto: 0, daylight: 1 } as const;

export const PRESETS: readonly ProfileDraft[] = [
  {
    profile_id: 'a',
    name: 'A: Center-weighted auto',
    description: 'General purpose, balanced exposure; slight bias for the foreground.',
    settings: { metering_mode: METERING.centre, ev_compensation: 0.3, awb_mode: AWB.auto, adaptive_wb_curve: null },
  },
  {
    profile_id: 'b',
    name: 'B: Daylight fixed',
    description: 'Consistent colour across the timelapse.',
    settings: { metering_mode: METERING.matrix, ev_compensation: 0, awb_mode: AWB.daylight, adaptive_wb_curve: null },
  },
  {
    profile_id: 'c',
    name: 'C: Conservative adaptive',
    description: 'Protect highlights, subtle warmth.',
    settings: {
      metering_mode: METERING.matrix,
      ev_compensation: -0.3,
      awb_mode: AWB.auto,
      adaptive_wb_curve: 'conservative',
    },
  },
  {
    profile_id: 'd',
    name: 'D: Warm dramatic',
    description: 'Embrace golden tones, dramatic sunset.',
    settings: { metering_mode: METERING.matrix, ev_compensation: 0, awb_mode: AWB.auto, adaptive_wb_curve: 'warm' },
  },
  {
    profile_id: 'e',
    name: 'E: Balanced adaptive',
    description: 'Matches daylight when bright, natural warmth.',
    settings: { metering_mode: METERING.matrix, ev_compensation: 0, awb_mode: AWB.auto, adaptive_wb_curve: 'balanced' },
  },
  {
    profile_id: 'f',
    name: 'F: Mountain spot metering',
    description: 'Mountain landscapes with a bright sky; ignore the sky, expose the mountain.',
    settings: { metering_mode: METERING.spot, ev_compensation: 0.7, awb_mode: AWB.daylight, adaptive_wb_curve: null },
  },
];

/** A preset by letter (case-insensitive), or undefined. */
export const preset = (letter: string): ProfileDraft | undefined =>
  PRESETS.find((p) => p.profile_id === letter.toLowerCase());
