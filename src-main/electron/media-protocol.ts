/**
 * skystation-media://media/<path> serves files from the station's media
 * folder (thumbnails, images, exports) to the renderer, and nothing else.
 */
import { net, protocol } from 'electron';
import { pathToFileURL } from 'node:url';
import { MEDIA_SCHEME } from './channels';
import { resolveMediaPath } from './media-path';

/** Must run before app 'ready'. */
export function registerMediaScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: MEDIA_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
  ]);
}

/** Call after app 'ready'. */
export function handleMediaProtocol(mediaDir: string): void {
  protocol.handle(MEDIA_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return new Response('Method not allowed', { status: 405 });
    const file = resolveMediaPath(mediaDir, request.url);
    if (file === null) return new Response('Bad media path', { status: 400 });
    try {
      return await net.fetch(pathToFileURL(file).href);
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });
}
