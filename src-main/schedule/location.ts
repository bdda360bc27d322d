/** Where a camera stands: the input of every sun and moon calculation. */
import { z } from 'zod';
import { isValidTimeZone } from './time.js';

export const Location = z.strictObject({
  latitude: z.number().min(-90, 'latitude must be between -90 and 90').max(90, 'latitude must be between -90 and 90'),
  longitude: z
    .number()
    .min(-180, 'longitude must be between -180 and 180')
    .max(180, 'longitude must be between -180 and 180'),
  /** Metres above sea level; 0 when absent (seed 002's example has none). */
  elevation_m: z.number().min(-500).max(9000).optional(),
  timezone: z
    .string()
    .refine(isValidTimeZone, { message: 'timezone must be an IANA time zone name, like "America/Denver"' }),
});
export type Location = z.infer<typeof Location>;
