/** The newest images (a strip on the Cameras view); the Gallery view holds every image. */
import { stretchFilter } from '../gallery/stretch';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { CapturePage, CaptureView } from '@contract';
import { queryKeys, useNewestCaptures, useStation } from '../api/hooks';
import { errorText, formatTime } from '../format';
import './gallery-marks.css';
import { LoadFailed } from './LoadFailed';

export function Gallery() {
  const captures = useNewestCaptures();

  if (captures.isPending) return <p className="muted">Loading the newest images…</p>;
  if (captures.isError) {
    return <LoadFailed what="the gallery" query={captures} />;
  }
  if (captures.data.items.length === 0) {
    return (
      <p className="empty" data-testid="gallery-empty">
        No images yet. Press “Capture now” on an online camera, or wait for its schedule; new images appear here.
      </p>
    );
  }
  return (
    <>
      <ul className="gallery" aria-label="Newest images">
        {captures.data.items.map((c) => (
          <GalleryItem key={c.id} capture={c} />
        ))}
      </ul>
      <p className="small">
        <a href="#/gallery" data-testid="open-gallery">
          Every image, night by night, with filters, in the Gallery →
        </a>
      </p>
    </>
  );
}

/**
 * Mark a capture as a dark frame (taken with the lens capped) or back as a
 * light. Darks are never exported as pictures: exports subtract them from the
 * night frames of the same camera, exposure, gain and temperature.
 */
function useSetFrameKind(capture: CaptureView) {
  const { api } = useStation();
  const client = useQueryClient();
  return useMutation({
    mutationKey: ['setFrameKind', capture.id],
    mutationFn: (kind: 'light' | 'dark') => api.setFrameKind({ ids: [capture.id], kind }),
    onSuccess: (r) => {
      client.setQueryData<CapturePage>(queryKeys.newestCaptures, (page) =>
        page === undefined
          ? page
          : { ...page, items: page.items.map((c) => r.updated.find((u) => u.id === c.id) ?? c) },
      );
    },
  });
}

function GalleryItem({ capture }: { capture: CaptureView }) {
  const { api } = useStation();
  const time = formatTime(capture.capturedAt);
  const setKind = useSetFrameKind(capture);
  const dark = capture.frameKind === 'dark';
  return (
    <li
      className={dark ? 'gallery-item gallery-item-dark' : 'gallery-item'}
      data-frame-kind={capture.frameKind ?? 'light'}
    >
      <figure>
        {capture.thumbReady === false ? (
          <div
            data-testid="gallery-item"
            data-capture-id={capture.id}
            className="gallery-placeholder"
            role="img"
            aria-label={`${capture.agentName}, ${time} (thumbnail on its way)`}
            style={{ width: 240, height: Math.round((240 * capture.height) / Math.max(1, capture.width)) }}
          />
        ) : (
          // A night frame is brightened for display (as in the Gallery); the file is untouched.
          <div style={{ filter: stretchFilter(capture.meanBrightness) }}>
            <img
              data-testid="gallery-item"
              data-capture-id={capture.id}
              src={api.mediaUrl(capture.thumbPath)}
              alt={`${capture.agentName}, ${time}`}
              loading="lazy"
              decoding="async"
              width={240}
              height={Math.round((240 * capture.height) / Math.max(1, capture.width))}
            />
          </div>
        )}
        {(dark || capture.bracket) && (
          <div className="gallery-badges">
            {dark && (
              <span
                className="badge badge-dark"
                data-testid="dark-badge"
                title="A dark frame: subtracted from night frames in exports, never exported itself"
              >
                Dark
              </span>
            )}
            {capture.bracket && (
              <span
                className="badge badge-bracket"
                title={`Image ${capture.bracket.index + 1} of a bracketed set of ${capture.bracket.count}; exports merge the set into one frame`}
              >
                HDR {capture.bracket.ev > 0 ? '+' : ''}
                {capture.bracket.ev} EV
              </span>
            )}
          </div>
        )}
        <figcaption>
          <time dateTime={capture.capturedAt}>{time}</time>
          <span>ISO {capture.iso}</span>
          <span>{capture.shutterSpeed} s</span>
        </figcaption>
        <div className="gallery-actions">
          <button
            type="button"
            className="link-button"
            data-testid="mark-dark"
            disabled={setKind.isPending}
            onClick={() => setKind.mutate(dark ? 'light' : 'dark')}
            title={
              dark
                ? 'Use this image as a normal picture again'
                : 'This image was taken with the lens capped: use it to remove sensor noise from night frames'
            }
          >
            {dark ? 'Unmark dark' : 'Mark as dark'}
          </button>
          {setKind.isError && (
            <span className="error" role="alert">
              {errorText(setKind.error)}
            </span>
          )}
        </div>
      </figure>
    </li>
  );
}
