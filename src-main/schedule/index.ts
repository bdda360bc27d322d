/** Schedules, sun and moon, and the capture-plan compiler (issue #5). */
/** Location: zod schema for latitude, longitude, elevation_m and IANA timezone. */
export { Location } from './location.js';
/** Schedule: discriminated union of sunrise, sunset, daytime, night, golden_hour, blue_hour, custom and moon schedules. */
export {
  Schedule,
  SCHEDULE_TYPES,
  TWILIGHT_ALTITUDE_DEG,
  GOLDEN_HOUR_DEG,
  BLUE_HOUR_DEG,
  isEnabled,
  type ScheduleType,
  type Twilight,
} from './schedules.js';
/** importConfig(json|text) → StationConfig (throws CONFIG_INVALID naming the field); exportConfig / exportConfigJson write seed-002 JSON back. */
export { StationConfig, CameraConfig, importConfig, exportConfig, exportConfigJson } from './config.js';
/** compilePlan(request) → {generated_at, horizon, windows}; buildDeploymentBundle(snapshot, plan) → validated DeploymentBundle. */
export {
  compilePlan,
  buildDeploymentBundle,
  resolveOverlaps,
  DEFAULT_PLAN_DAYS,
  type CapturePlan,
  type PlanRequest,
} from './plan.js';
/** scheduleWindows(schedule, location, from, to) → one schedule's raw windows (ms intervals) before overlap resolution. */
export { scheduleWindows } from './windows.js';
/** moonInfo(instant, location) → altitude, phase, illumination, next rise/set; sunAltitudeDeg / altitudeDeg for any body. */
export {
  moonInfo,
  moonIllumination,
  sunAltitudeDeg,
  altitudeDeg,
  aboveAltitude,
  belowAltitude,
  upIntervals,
  type MoonInfo,
  type MoonPhaseName,
} from './astro.js';
/** Interval algebra on [start, end) ms lists: normalize, clip, intersect, subtract, complement. */
export { normalize, clip, intersect, subtract, complement, type Interval } from './intervals.js';
/** Intl-based zone helpers: formatInstant (ISO with offset), zonedTimeToUtc, localMidnight, localDateOf, addDays, zoneOffsetMinutes. */
export {
  formatInstant,
  zonedTimeToUtc,
  localMidnight,
  localDateOf,
  addDays,
  zoneOffsetMinutes,
  parseClockTime,
  isValidTimeZone,
  type LocalDate,
} from './time.js';
