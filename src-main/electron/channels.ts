/** IPC channel names shared by the main process and the preload (no imports: safe to bundle anywhere). */
export const INVOKE_CHANNEL = 'station:invoke';
export const EVENT_CHANNEL = 'station:event';
/** Desktop only: show a media file (an export) in the system's file manager. */
export const SHOW_IN_FOLDER_CHANNEL = 'desktop:show-in-folder';
export const MEDIA_SCHEME = 'skystation-media';
/** Media URLs look like skystation-media://media/<path>. */
export const MEDIA_HOST = 'media';
