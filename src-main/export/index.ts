/** Timelapse exports, night products and frame processing: the brain's export service. */
export {
  runExport,
  resolveOutputSize,
  overlayCommands,
  type ExportProgress,
  type ExportResult,
  type RunExportOptions,
} from './export.js';
export {
  ExportQueue,
  type ExportJob,
  type ExportQueueEvents,
  type ExportQueueOptions,
  type ExportRunner,
  type JobStatus,
} from './queue.js';
export {
  ExportRequestSchema,
  FrameSchema,
  DarkFrameSchema,
  PRESETS,
  PRESET_NAMES,
  parseExportRequest,
  resolveOutputPath,
  type ExportFrame,
  type ExportDarkFrame,
  type ExportRequest,
  type ParsedExportRequest,
  type PresetName,
} from './request.js';
export { findFfmpeg, ffmpegFilters, runFfmpeg, ProgressParser, type FfmpegProgress } from './ffmpeg.js';
export { makeKeogram, makeStartrails, type KeogramOptions, type NightFrame, type NightProductResult } from './night.js';
export {
  fuseExposures,
  fuseImages,
  subtractDark,
  subtractInPlace,
  masterDark,
  pickDark,
  darkDistance,
  shutterSeconds,
  DARK_MAX_DISTANCE,
  type DarkFrame,
  type ExposureMeta,
  type RawImage,
} from './imaging.js';
export {
  planProcessing,
  processUnits,
  matchDarks,
  type DarkSource,
  type PlanFrame,
  type ProcessingPlan,
  type HdrMode,
} from './processing.js';
export { measureBrightness, measureAll, smoothCurve, deflickerGains, flickerIndex } from './deflicker.js';
export { orderFrames, paceFrames, medianInterval, type TimedFrame } from './timeline.js';
