/** Station settings (weather provider, S3 archive): the store, the service the brain starts, the API types. */
export { StationSettings, type SettingsHandlers, type StationSettingsOptions } from './service.js';
export {
  SettingsStore,
  SETTINGS_FILE,
  SETTINGS_SECRETS_FILE,
  settingsSecretsVault,
  type ResolvedSettings,
} from './store.js';
export * from './api-types.js';
