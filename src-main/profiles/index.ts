/** Profiles: presets A–F, inheritance, versions, compilation to the agent snapshot, adaptive rules, exposure ramp. */
/** ProfileDraft / ProfileVersion / ProfileSettings schemas; compareSemVer(a, b) and bumpSemVer(v, bump) for semantic versions. */
export {
  ProfileDraft,
  ProfileVersion,
  ProfileSettings,
  PartialSettings,
  ScheduleOverride,
  SemVer,
  WbCurveName,
  StrategyName,
  DEFAULT_SETTINGS,
  compareSemVer,
  bumpSemVer,
  type Bump,
  type ResolvedProfile,
  type ProfileRef,
} from './definition.js';
/** PRESETS: seed 002 profiles A–F as drafts; preset(letter) finds one. */
export { PRESETS, preset } from './presets.js';
/** WB_CURVES and luxTable(curve): conservative / balanced / warm lux → kelvin tables. */
export { WB_CURVES, luxTable } from './wb-curves.js';
/** resolveProfile(version, lookup) merges ancestors; compileProfile(resolved, {schedules}) → agent ProfileSnapshot; mergeSettings(parent, child). */
export {
  resolveProfile,
  compileProfile,
  mergeSettings,
  baseOf,
  type CompileOptions,
  type VersionLookup,
} from './compile.js';
/** diffValues(a, b) → changed fields as dotted paths with from/to. */
export { diffValues, type FieldChange } from './diff.js';
/** ProfileLibrary(store): save / history / get / resolve / diff / rollback / compile / installPresets; SqliteProfileStore(db) persists it in the station database (MemoryProfileStore for tests; JsonFileProfileStore reads the profiles.json of stations before issue #13). */
export {
  ProfileLibrary,
  SqliteProfileStore,
  JsonFileProfileStore,
  MemoryProfileStore,
  ProfileStoreData,
  type ProfileStore,
  type SaveOptions,
} from './store.js';
/** chooseStrategy(ctx, enabled) picks golden_hour / blue_hour / overcast / stormy from sun and weather; applyStrategy(base, name) adjusts settings. */
export {
  chooseStrategy,
  applyStrategy,
  toProfileBase,
  isStormy,
  isOvercast,
  STRATEGIES,
  type StrategyContext,
  type StrategyAdjustment,
  type BaseSettings,
} from './strategies.js';
/** smoothExposure(targetsEv100, options) → per-frame ISO/shutter with no step above maxStepEv (default 1/3); rampStep(previous, targetEv, options) → one frame (live capture). */
export {
  smoothExposure,
  rampStep,
  settingsEv,
  type RampOptions,
  type RampFrame,
  type PreviousFrame,
} from './exposure-ramp.js';
