/** The objects the preload exposes to the renderer (see src-preload/index.ts). */
import type { StationBridge } from '../src-main/api/contract';

declare global {
  interface Window {
    /** Present inside the Electron app; absent when the UI is served to a browser. */
    skystation?: StationBridge;
    /** Desktop-only helpers; absent in a browser. */
    skystationDesktop?: { showInFolder(mediaPath: string): Promise<boolean> };
  }
}

export {};
