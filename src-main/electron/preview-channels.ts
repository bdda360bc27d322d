/**
 * The live preview's IPC channel names, shared by the main process
 * (preview-window.ts) and the sandboxed preload: no imports, safe to bundle
 * anywhere.
 */
/** renderer → main: {streamId, agentId, fps} opens a stream. */
export const PREVIEW_OPEN_CHANNEL = 'preview:open';
/** renderer → main: {streamId, text} (an {ack} or {fps} message, as on the WebSocket). */
export const PREVIEW_SEND_CHANNEL = 'preview:send';
/** renderer → main: {streamId} closes a stream. */
export const PREVIEW_CLOSE_CHANNEL = 'preview:close';
/** main → renderer: (streamId, frame bytes or a JSON text message). */
export const PREVIEW_DATA_CHANNEL = 'preview:data';
/** main → renderer: (streamId, code, reason) when the relay ended the stream. */
export const PREVIEW_ENDED_CHANNEL = 'preview:ended';
/** renderer → main (invoke): {agentId, alwaysOnTop?} opens or updates that camera's pop-out window. */
export const PREVIEW_WINDOW_CHANNEL = 'preview:window';
