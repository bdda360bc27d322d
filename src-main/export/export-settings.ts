/**
 * The exports' settings (automatic night products, the S3 archive), one
 * zod-checked document in the station database (station_settings, key
 * "exports.settings"; stations before issue #13 kept
 * <dataDir>/exports/settings.json, imported once at start).
 */
import { z } from 'zod';
import type { OrchestrationRepo } from '../db/orchestration-repo.js';
import { StationError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { ExportSettingsPatch, type ExportSettingsView } from './api-types.js';

const SettingsFile = z.strictObject({
  version: z.literal(1),
  autoNightProducts: z.boolean(),
  nightQuietMinutes: z.number().int().min(1).max(1440),
  archiveExports: z.boolean(),
  archiveOriginals: z.boolean(),
  s3: z
    .strictObject({
      endpoint: z.string().nullable(),
      region: z.string(),
      bucket: z.string(),
      prefix: z.string(),
      accessKeyId: z.string(),
      secretAccessKey: z.string(),
      forcePathStyle: z.boolean(),
    })
    .nullable(),
});
export type ExportSettings = z.infer<typeof SettingsFile>;
/** The settings document (and exports/settings.json of stations before issue #13). */
export { SettingsFile as ExportSettingsFile };
/** The settings document's key in station_settings. */
export const EXPORT_SETTINGS_KEY = 'exports.settings';

const DEFAULT_SETTINGS: ExportSettings = {
  version: 1,
  autoNightProducts: true,
  nightQuietMinutes: 10,
  archiveExports: false,
  archiveOriginals: false,
  s3: null,
};

export class ExportSettingsStore {
  private settings: ExportSettings = { ...DEFAULT_SETTINGS };

  constructor(private readonly deps: { docs: OrchestrationRepo; log: Logger }) {}

  load(): void {
    const stored = this.deps.docs.getSetting(EXPORT_SETTINGS_KEY);
    if (stored === undefined) return;
    const parsed = SettingsFile.safeParse(stored);
    if (parsed.success) this.settings = parsed.data;
    else
      this.deps.log.error('export settings in the database are unreadable; the defaults are in use until saved again');
  }

  /** The full settings, secret included (for the archive; never sent to a UI). */
  get(): ExportSettings {
    return this.settings;
  }

  /** What a UI sees: the S3 secret only as set or not. */
  view(archive: ExportSettingsView['archive']): ExportSettingsView {
    const s = this.settings;
    return {
      autoNightProducts: s.autoNightProducts,
      nightQuietMinutes: s.nightQuietMinutes,
      archiveExports: s.archiveExports,
      archiveOriginals: s.archiveOriginals,
      s3: s.s3 && {
        endpoint: s.s3.endpoint,
        region: s.s3.region,
        bucket: s.s3.bucket,
        prefix: s.s3.prefix,
        accessKeyId: s.s3.accessKeyId,
        secretAccessKeySet: s.s3.secretAccessKey !== '',
        forcePathStyle: s.s3.forcePathStyle,
      },
      archive,
    };
  }

  /** Applies a patch (refused as a whole when it leaves the archive on without S3); true when the S3 config changed. */
  update(input: z.input<typeof ExportSettingsPatch>): { s3Changed: boolean } {
    const patch = ExportSettingsPatch.parse(input);
    const next: ExportSettings = { ...this.settings };
    if (patch.autoNightProducts !== undefined) next.autoNightProducts = patch.autoNightProducts;
    if (patch.nightQuietMinutes !== undefined) next.nightQuietMinutes = patch.nightQuietMinutes;
    if (patch.archiveExports !== undefined) next.archiveExports = patch.archiveExports;
    if (patch.archiveOriginals !== undefined) next.archiveOriginals = patch.archiveOriginals;
    if (patch.s3 === null) next.s3 = null;
    else if (patch.s3 !== undefined) {
      const secret = patch.s3.secretAccessKey ?? this.settings.s3?.secretAccessKey;
      if (secret === undefined) {
        throw new StationError('s3_secret_missing', 'Enter the S3 secret access key (it is not stored yet).');
      }
      next.s3 = {
        endpoint: patch.s3.endpoint ?? null,
        region: patch.s3.region,
        bucket: patch.s3.bucket,
        prefix: patch.s3.prefix,
        accessKeyId: patch.s3.accessKeyId,
        secretAccessKey: secret,
        forcePathStyle: patch.s3.forcePathStyle,
      };
    }
    if ((next.archiveExports || next.archiveOriginals) && next.s3 === null) {
      throw new StationError('s3_not_configured', 'Set the S3 bucket and keys before turning the archive on.');
    }
    this.deps.docs.setSetting(EXPORT_SETTINGS_KEY, next);
    const s3Changed = JSON.stringify(next.s3) !== JSON.stringify(this.settings.s3);
    this.settings = next;
    return { s3Changed };
  }
}
