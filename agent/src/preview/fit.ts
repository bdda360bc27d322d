/**
 * Fits a camera's own preview frames to the size the preview asks for. Some
 * cameras' live views have a fixed size the agent cannot ask for (gphoto2's
 * --capture-movie: the body decides, often 640–1056 wide): a frame wider than
 * asked is scaled down and encoded at the asked JPEG quality; a narrower one
 * passes unchanged (scaling up adds bytes, not detail). Either way the frame
 * carries its real width and height.
 */
import type { PreviewFrame, PreviewOptions } from '../camera/driver.js';
import { jpegSize } from '../camera/mjpeg.js';
import { loadSharp } from '../util/sharp.js';

export async function fitPreviewFrame(frame: PreviewFrame, options: PreviewOptions): Promise<PreviewFrame> {
  const size = jpegSize(frame.jpeg);
  if (size === null) return frame;
  if (size.width <= options.width) return { ...frame, ...size };
  const sharp = await loadSharp();
  const { data, info } = await sharp(frame.jpeg)
    .resize({ width: options.width, kernel: 'linear' })
    .jpeg({ quality: options.quality ?? 70, mozjpeg: false, optimiseCoding: false, chromaSubsampling: '4:2:0' })
    .toBuffer({ resolveWithObject: true });
  return { ...frame, jpeg: data, width: info.width, height: info.height };
}

/** The frames of `source`, each fitted (see fitPreviewFrame). */
export async function* fitPreviewFrames(
  source: AsyncIterable<PreviewFrame>,
  options: PreviewOptions,
): AsyncIterable<PreviewFrame> {
  for await (const frame of source) yield await fitPreviewFrame(frame, options);
}
