/**
 * One capture, large (a dialog): the full image, what it was taken with, its
 * histogram, previous/next (arrow keys), mark as dark, tags and delete.
 */
import { useEffect, useRef, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type GalleryDetailView, type GalleryFilter, type GalleryNightView, StationApiError } from '@contract';
import { useStation } from '../api/hooks';
import { errorText, formatLux, formatTime } from '../format';
import { histogramPath, lumaHistogram } from './histogram';
import { buildLayout, locate } from './layout';
import { lightboxKey } from './keys';
import { stretchFilter } from './stretch';
import { nightFilter } from './filters';
import { exposureText } from './exposure-text';

const HIST_W = 256;
const HIST_H = 64;

function Histogram({ src }: { src: string }) {
  const [counts, setCounts] = useState<number[] | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    const img = new Image();
    img.decoding = 'async';
    img.onload = () => {
      if (!live) return;
      try {
        const w = 256;
        const h = Math.max(1, Math.round((img.naturalHeight / Math.max(1, img.naturalWidth)) * w));
        const canvas = document.createElement('canvas');
        canvas.width = w;
        canvas.height = h;
        const ctx = canvas.getContext('2d');
        if (!ctx) throw new Error('no 2d context');
        ctx.drawImage(img, 0, 0, w, h);
        setCounts(lumaHistogram(ctx.getImageData(0, 0, w, h).data));
      } catch {
        setFailed(true);
      }
    };
    img.onerror = () => live && setFailed(true);
    img.src = src;
    return () => {
      live = false;
    };
  }, [src]);
  if (failed) return <p className="muted small">No histogram for this image.</p>;
  if (!counts) return <p className="muted small">Measuring…</p>;
  return (
    <svg
      className="gallery-histogram"
      data-testid="lightbox-histogram"
      viewBox={`0 0 ${HIST_W} ${HIST_H}`}
      role="img"
      aria-label="Brightness histogram, dark on the left, bright on the right"
    >
      <path d={histogramPath(counts, HIST_W, HIST_H)} />
    </svg>
  );
}

function Meta({ d }: { d: GalleryDetailView }) {
  const rows: [string, string][] = [
    ['Camera', d.agentName],
    ['Taken', formatTime(d.capturedAt)],
    ['Exposure', exposureText(d.shutterSpeed, d.iso)],
    ['Size', `${d.width} × ${d.height}, ${(d.sizeBytes / 1_048_576).toFixed(1)} MB`],
    ['Schedule', d.schedule ?? '—'],
    ['Profile', d.profile ? `${d.profile}${d.profileVersion ? ` ${d.profileVersion}` : ''}` : '—'],
  ];
  if (d.testId) rows.push(['Test', `${d.testId}${d.variant ? `, variant ${d.variant}` : ''}`]);
  if (d.lux !== null) rows.push(['Light', formatLux(d.lux)]);
  if (d.temperatureC !== null) rows.push(['Temperature', `${d.temperatureC.toFixed(1)} °C`]);
  if (d.bracket) rows.push(['Bracket', `image ${d.bracket.index + 1} of ${d.bracket.count}, ${d.bracket.ev} EV`]);
  if (d.meanBrightness !== null) rows.push(['Mean brightness', `${Math.round(d.meanBrightness)} of 255`]);
  if (d.clippedHighlights !== null) rows.push(['Blown highlights', `${(d.clippedHighlights * 100).toFixed(1)} %`]);
  rows.push(['Kind', d.frameKind === 'dark' ? 'Dark frame (lens capped)' : 'Picture']);
  if (d.reconciled) rows.push(['Reconciled', 'after a camera crash']);
  return (
    <dl className="gallery-meta" data-testid="lightbox-meta">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Lightbox({
  nights,
  filter,
  total,
  index,
  onIndex,
  onClose,
  onChanged,
}: {
  nights: readonly GalleryNightView[];
  filter: GalleryFilter;
  total: number;
  index: number;
  onIndex: (i: number) => void;
  onClose: () => void;
  /** Something changed (tag, dark, delete): the gallery refetches. */
  onChanged: () => void;
}) {
  const { api } = useStation();
  const dialog = useRef<HTMLDivElement>(null);
  const [confirmDelete, setConfirmDelete] = useState<'ask' | 'only_copy' | null>(null);
  const [onlyCopyText, setOnlyCopyText] = useState('');
  const [tagText, setTagText] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const [stretch, setStretch] = useState(true);

  const item = useQuery({
    queryKey: ['gallery', 'at', JSON.stringify(filter), nights.length, total, index],
    queryFn: async () => {
      const layout = buildLayout(nights, { columns: 1, rowHeight: 1, headerHeight: 0 });
      const at = locate(layout, index);
      if (!at) return null;
      const night = nights[at.nightIndex]!;
      const page = await api['gallery.page']({ filter: nightFilter(filter, night), offset: at.local, limit: 1 });
      const first = page.items[0];
      return first ? api['gallery.get']({ id: first.id }) : null;
    },
    placeholderData: (prev) => prev,
  });
  const d = item.data ?? null;

  const del = useMutation({
    mutationFn: (confirmOnlyCopy: boolean) => api['gallery.delete']({ ids: [d!.id], confirmOnlyCopy }),
    onSuccess: (r) => {
      setConfirmDelete(null);
      setNotice(r.message);
      if (total <= 1) onClose();
      onChanged();
    },
    onError: (err) => {
      if (err instanceof StationApiError && err.code === 'only_copy') {
        setOnlyCopyText(err.message.replace(/^\[only_copy\]\s*/, ''));
        setConfirmDelete('only_copy');
      }
    },
  });
  const kind = useMutation({
    mutationFn: (k: 'light' | 'dark') => api.setFrameKind({ ids: [d!.id], kind: k }),
    onSuccess: (_r, k) => {
      setNotice(
        k === 'dark'
          ? 'Marked as a dark frame: exports subtract it from night frames of the same exposure, and never show it.'
          : 'Marked as a picture again.',
      );
      onChanged();
    },
  });
  const tag = useMutation({
    mutationFn: (p: { add?: string[]; remove?: string[] }) => api['gallery.tag']({ ids: [d!.id], ...p }),
    onSuccess: () => {
      setTagText('');
      onChanged();
    },
  });

  const go = (delta: number) => {
    const next = index + delta;
    if (next >= 0 && next < total) {
      setConfirmDelete(null);
      setNotice(null);
      onIndex(next);
    }
  };

  useEffect(() => {
    dialog.current?.focus();
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT')) {
        if (e.key === 'Escape') t.blur();
        return;
      }
      const action = lightboxKey(e.key);
      if (action === null) return;
      e.preventDefault();
      e.stopPropagation();
      if (action === 'next') go(1);
      else if (action === 'previous') go(-1);
      else if (action === 'close') onClose();
      else if (action === 'delete' && d) setConfirmDelete('ask');
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  });

  const dark = d?.frameKind === 'dark';
  return (
    <div className="gallery-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={dialog}
        className="gallery-lightbox"
        role="dialog"
        aria-modal="true"
        aria-label={d ? `${d.agentName}, ${formatTime(d.capturedAt)}` : 'Image'}
        tabIndex={-1}
        data-testid="lightbox"
        data-capture-id={d?.id}
        data-index={index}
      >
        <div className="gallery-lightbox-image">
          {d ? (
            <div style={stretch ? { filter: stretchFilter(d.meanBrightness) } : undefined}>
              <img src={api.mediaUrl(d.imagePath)} alt={`${d.agentName}, ${formatTime(d.capturedAt)}`} />
            </div>
          ) : item.isError ? (
            <p className="error">{errorText(item.error)}</p>
          ) : (
            <p className="muted">Loading…</p>
          )}
        </div>
        <aside className="gallery-lightbox-side">
          <div className="gallery-lightbox-nav">
            <button type="button" data-testid="lightbox-previous" disabled={index <= 0} onClick={() => go(-1)}>
              ← Newer
            </button>
            <span className="muted small" data-testid="lightbox-position">
              {(index + 1).toLocaleString()} of {total.toLocaleString()}
            </span>
            <button type="button" data-testid="lightbox-next" disabled={index >= total - 1} onClick={() => go(1)}>
              Older →
            </button>
            <button type="button" data-testid="lightbox-close" aria-label="Close" onClick={onClose}>
              ✕
            </button>
          </div>
          {d && (
            <>
              <Meta d={d} />
              {stretchFilter(d.meanBrightness) !== undefined && (
                <label className="small">
                  <input type="checkbox" checked={stretch} onChange={(e) => setStretch(e.target.checked)} /> Brighten
                  this dark image for viewing (the file is not changed)
                </label>
              )}
              <Histogram src={api.mediaUrl(d.thumbPath)} />
              <div className="gallery-tags" aria-label="Tags">
                {d.tags.map((t) => (
                  <span key={t} className="gallery-tag" data-testid="lightbox-tag">
                    {t}{' '}
                    <button
                      type="button"
                      className="link-button"
                      aria-label={`Remove the tag ${t}`}
                      onClick={() => tag.mutate({ remove: [t] })}
                    >
                      ✕
                    </button>
                  </span>
                ))}
                <form
                  onSubmit={(e) => {
                    e.preventDefault();
                    const t = tagText.trim();
                    if (t) tag.mutate({ add: [t] });
                  }}
                >
                  <input
                    data-testid="lightbox-tag-input"
                    aria-label="New tag"
                    placeholder="meteor, aurora…"
                    maxLength={40}
                    value={tagText}
                    onChange={(e) => setTagText(e.target.value)}
                  />
                  <button type="submit" data-testid="lightbox-tag-add" disabled={tag.isPending || !tagText.trim()}>
                    Add tag
                  </button>
                </form>
                {tag.isError && <p className="error">{errorText(tag.error)}</p>}
              </div>
              <div className="gallery-lightbox-actions">
                <button
                  type="button"
                  data-testid="lightbox-mark-dark"
                  disabled={kind.isPending}
                  onClick={() => kind.mutate(dark ? 'light' : 'dark')}
                  title="A dark frame is taken with the lens capped; exports subtract it from night frames to remove sensor noise"
                >
                  {dark ? 'Use as a picture again' : 'Mark as dark frame'}
                </button>
                <button type="button" data-testid="lightbox-delete" onClick={() => setConfirmDelete('ask')}>
                  Delete…
                </button>
              </div>
              {kind.isError && <p className="error">{errorText(kind.error)}</p>}
              {confirmDelete === 'ask' && (
                <div className="gallery-confirm" role="alertdialog" aria-label="Delete this image?">
                  <p>
                    Delete this image from this computer? The camera&apos;s copy is not touched: a camera keeps the
                    images it has sent until its retention removes them, and does not send them again.
                  </p>
                  <button
                    type="button"
                    data-testid="lightbox-delete-confirm"
                    disabled={del.isPending}
                    onClick={() => del.mutate(false)}
                  >
                    Delete
                  </button>{' '}
                  <button type="button" onClick={() => setConfirmDelete(null)}>
                    Keep it
                  </button>
                </div>
              )}
              {confirmDelete === 'only_copy' && (
                <div className="gallery-confirm gallery-confirm-danger" role="alertdialog" aria-label="Only copy">
                  <p data-testid="lightbox-only-copy">{onlyCopyText}</p>
                  <button
                    type="button"
                    data-testid="lightbox-delete-for-good"
                    disabled={del.isPending}
                    onClick={() => del.mutate(true)}
                  >
                    Delete it for good
                  </button>{' '}
                  <button type="button" onClick={() => setConfirmDelete(null)}>
                    Keep it
                  </button>
                </div>
              )}
              {del.isError && !(del.error instanceof StationApiError && del.error.code === 'only_copy') && (
                <p className="error">{errorText(del.error)}</p>
              )}
            </>
          )}
          {notice && (
            <p className="gallery-notice" role="status" data-testid="lightbox-notice">
              {notice}
            </p>
          )}
          <p className="muted small">← → newer and older, Delete to delete, Esc to close.</p>
        </aside>
      </div>
    </div>
  );
}
