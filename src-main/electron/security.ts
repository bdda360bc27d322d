/**
 * Every window-level security rule in one place: no navigation away from the
 * app, no new windows, no webviews, no permissions (camera, mic, geolocation,
 * notifications...). The app needs none of them.
 */
import { app, session, type WebContents } from 'electron';
import { pathToFileURL } from 'node:url';

/** The one page the app shows: the dev server in development, else the built file. */
export function appPageUrl(rendererIndexFile: string): string {
  return process.env['ELECTRON_RENDERER_URL'] ?? pathToFileURL(rendererIndexFile).href;
}

/** True when `url` belongs to the app's own page (used to trust IPC senders). */
export function isAppUrl(url: string, rendererIndexFile: string): boolean {
  let u: URL;
  let base: URL;
  try {
    u = new URL(url);
    base = new URL(appPageUrl(rendererIndexFile));
  } catch {
    return false;
  }
  if (base.protocol === 'file:') return u.protocol === 'file:' && u.pathname === base.pathname;
  return u.origin === base.origin;
}

function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** Call once, before any window is created (app must be ready). */
export function applySecurity(): void {
  app.on('web-contents-created', (_event, contents) => lockDown(contents));
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  session.defaultSession.setDevicePermissionHandler(() => false);
}
