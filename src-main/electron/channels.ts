/** IPC channel names shared by the main process and the preload (no imports: safe to bundle anywhere). */
export const INVOKE_CHANNEL = 'station:invoke';
export const EVENT_CHANNEL = 'station:event';
export const MEDIA_SCHEME = 'skystation-media';
/** Media URLs look like skystation-media://media/<path>. */
export const MEDIA_HOST = 'media';
