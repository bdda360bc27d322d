import type { CaptureView } from '../../../src-main/api/contract';
import { useNewestCaptures, useStation } from '../api/hooks';
import { errorText, formatTime } from '../format';

export function Gallery() {
  const captures = useNewestCaptures();

  if (captures.isPending) return <p className="muted">Loading the newest images…</p>;
  if (captures.isError) {
    return (
      <p className="error" role="alert">
        Could not load the gallery: {errorText(captures.error)}{' '}
        <button type="button" onClick={() => void captures.refetch()}>
          Try again
        </button>
      </p>
    );
  }
  if (captures.data.items.length === 0) {
    return (
      <p className="empty" data-testid="gallery-empty">
        No images yet. Press “Capture now” on an online camera, or wait for its schedule; new images appear here.
      </p>
    );
  }
  return (
    <ul className="gallery" aria-label="Newest images">
      {captures.data.items.map((c) => (
        <GalleryItem key={c.id} capture={c} />
      ))}
    </ul>
  );
}

function GalleryItem({ capture }: { capture: CaptureView }) {
  const { api } = useStation();
  const time = formatTime(capture.capturedAt);
  return (
    <li className="gallery-item">
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
        )}
        <figcaption>
          <time dateTime={capture.capturedAt}>{time}</time>
          <span>ISO {capture.iso}</span>
          <span>{capture.shutterSpeed} s</span>
        </figcaption>
      </figure>
    </li>
  );
}
