/**
 * The gallery (issue #15): every capture, newest first, grouped by night, in
 * a virtualised grid (only the rows on screen exist in the page, their
 * captures fetched in chunks of one night), with filters and a lightbox.
 */
import { memo, useCallback, useEffect, useMemo, useRef, useState, type CSSProperties } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { GalleryFilter, GalleryItemView, GalleryNightView } from '@contract';
import { useStation } from '../api/hooks';
import { ChunkCache } from './chunk-cache';
import { FilterBar } from './FilterBar';
import { EMPTY_FILTER, nightFilter, nightLabel, toApiFilter, type FilterState } from './filters';
import { buildLayout, columnsFor, locate, scrollTopFor, visibleRows, type GridLayout } from './layout';
import { Lightbox } from './Lightbox';
import { stretchFilter } from './stretch';
import { RECONCILED_TITLE } from './exposure-text';
import './gallery.css';
import { LoadFailed } from '../components/LoadFailed';

export const CELL_WIDTH = 176;
export const THUMB_HEIGHT = 99;
export const GAP = 8;
const ROW_HEIGHT = THUMB_HEIGHT + 22 + GAP;
const HEADER_HEIGHT = 34;

const utcOffsetMinutes = (): number => -new Date().getTimezoneOffset();

const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * "21:05:30" in local time. By hand: toLocaleTimeString (a new Intl formatter
 * per call) was the largest item of a scroll's CPU profile, and even a shared
 * Intl.DateTimeFormat cost more than the rest of a cell.
 */
export function clockTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

export function GalleryView() {
  const { api } = useStation();
  const client = useQueryClient();
  const [form, setForm] = useState<FilterState>(EMPTY_FILTER);
  const { filter, problem } = useMemo(() => toApiFilter(form), [form]);
  const filterKey = JSON.stringify(filter);
  const facets = useQuery({ queryKey: ['gallery', 'facets'], queryFn: () => api['gallery.facets']() });
  const nights = useQuery({
    queryKey: ['gallery', 'nights', filterKey],
    queryFn: () => api['gallery.nights']({ filter, utcOffsetMinutes: utcOffsetMinutes() }),
    enabled: problem === null,
    placeholderData: (prev) => prev,
  });
  const [open, setOpen] = useState<number | null>(null);

  // New captures: recount (at most every 3 s), so the grid grows without a reload.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = api.onEvent((e) => {
      if (e.event !== 'capture.added' || timer !== null) return;
      timer = setTimeout(() => {
        timer = null;
        void client.invalidateQueries({ queryKey: ['gallery'] });
      }, 3_000);
    });
    return () => {
      off();
      if (timer !== null) clearTimeout(timer);
    };
  }, [api, client]);

  const refresh = useCallback(() => void client.invalidateQueries({ queryKey: ['gallery'] }), [client]);

  return (
    <section className="gallery-view" aria-labelledby="gallery-title">
      <div className="gallery-head">
        <h2 id="gallery-title">Gallery</h2>
        <span className="muted" data-testid="gallery-total" role="status">
          {nights.data
            ? `${nights.data.total.toLocaleString()} ${nights.data.total === 1 ? 'image' : 'images'}, ${nights.data.nights.length} ${nights.data.nights.length === 1 ? 'night' : 'nights'}`
            : ''}
        </span>
      </div>
      <FilterBar state={form} facets={facets.data} problem={problem} onChange={setForm} />
      {nights.isError && <LoadFailed what="the gallery" query={nights} />}
      {nights.data && nights.data.total === 0 && (
        <p className="empty" data-testid="gallery-empty">
          {form === EMPTY_FILTER
            ? 'No images yet. Press “Capture now” on a camera, or wait for its schedule; new images appear here.'
            : 'No image matches these filters. Clear a filter to see more.'}
        </p>
      )}
      {nights.data && nights.data.total > 0 && (
        <Grid key={filterKey} nights={nights.data.nights} filter={filter} onOpen={setOpen} scrollTo={open} />
      )}
      {open !== null && nights.data && (
        <Lightbox
          nights={nights.data.nights}
          filter={filter}
          total={nights.data.total}
          index={Math.min(open, nights.data.total - 1)}
          onIndex={setOpen}
          onClose={() => setOpen(null)}
          onChanged={refresh}
        />
      )}
    </section>
  );
}

function Grid({
  nights,
  filter,
  onOpen,
  scrollTo,
}: {
  nights: readonly GalleryNightView[];
  filter: GalleryFilter;
  onOpen: (index: number) => void;
  /** A capture the lightbox shows: kept in view behind it. */
  scrollTo: number | null;
}) {
  const { api } = useStation();
  const scroller = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 600, width: 900 });
  const [, setTick] = useState(0);
  const cache = useMemo(() => {
    const byNight = new Map(nights.map((n) => [n.night, n]));
    return new ChunkCache<GalleryItemView>(async (key, offset, limit) => {
      const night = byNight.get(key.night);
      if (!night) return [];
      return (await api['gallery.page']({ filter: nightFilter(filter, night), offset, limit })).items;
    });
  }, [api, nights, filter]);
  useEffect(() => {
    // Chunks arriving together cause one render, in the next frame.
    let pending: number | null = null;
    const off = cache.subscribe(() => {
      pending ??= requestAnimationFrame(() => {
        pending = null;
        setTick((t) => t + 1);
      });
    });
    return () => {
      off();
      if (pending !== null) cancelAnimationFrame(pending);
      cache.close();
    };
  }, [cache]);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return undefined;
    const measure = () => setView((v) => ({ ...v, height: el.clientHeight, width: el.clientWidth }));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const layout: GridLayout = useMemo(
    () =>
      buildLayout(nights, {
        columns: columnsFor(view.width - 2 * GAP, CELL_WIDTH, GAP),
        rowHeight: ROW_HEIGHT,
        headerHeight: HEADER_HEIGHT,
      }),
    [nights, view.width],
  );
  const rows = visibleRows(layout, view.top, view.height, ROW_HEIGHT);

  useEffect(() => {
    cache.want(
      rows.flatMap((r) =>
        r.kind === 'cells' ? [{ night: nights[r.nightIndex]!.night, first: r.first, count: r.count }] : [],
      ),
    );
  });

  // Keep the lightbox's capture in view behind it.
  useEffect(() => {
    const el = scroller.current;
    if (scrollTo === null || !el) return;
    const at = locate(layout, scrollTo);
    if (!at) return;
    const top = scrollTopFor(layout, scrollTo);
    if (top < el.scrollTop || top + ROW_HEIGHT > el.scrollTop + el.clientHeight) el.scrollTop = top;
  }, [scrollTo, layout]);

  const frame = useRef<number | null>(null);
  const onScroll = () => {
    if (frame.current !== null) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = null;
      const el = scroller.current;
      if (el) setView((v) => (v.top === el.scrollTop ? v : { ...v, top: el.scrollTop }));
    });
  };
  useEffect(
    () => () => {
      if (frame.current !== null) cancelAnimationFrame(frame.current);
    },
    [],
  );

  return (
    <div
      ref={scroller}
      className="gallery-scroller"
      data-testid="gallery-scroller"
      data-total={layout.total}
      onScroll={onScroll}
      tabIndex={0}
      aria-label={`Images, ${layout.total.toLocaleString()} in ${nights.length} nights, newest first`}
    >
      <div className="gallery-canvas" style={{ height: layout.height }}>
        {rows.map((r) => {
          const night = nights[r.nightIndex]!;
          const style: CSSProperties = { transform: `translateY(${r.top}px)` };
          if (r.kind === 'header') {
            return (
              <h3
                key={r.key}
                className="gallery-night"
                style={style}
                data-testid="gallery-night"
                data-night={night.night}
              >
                {nightLabel(night.night)} <span className="muted">{night.count.toLocaleString()}</span>
              </h3>
            );
          }
          const base = layout.nightStart[r.nightIndex]!;
          return (
            <div key={r.key} className="gallery-row" style={style}>
              {Array.from({ length: r.count }, (_, k) => {
                const local = r.first + k;
                const item = cache.get(night.night, local);
                return (
                  <Cell
                    key={local}
                    item={item}
                    failed={item === undefined ? cache.error(night.night, local) : undefined}
                    thumbUrl={item ? api.mediaUrl(item.thumbPath) : null}
                    index={base + local}
                    onOpen={onOpen}
                  />
                );
              })}
            </div>
          );
        })}
      </div>
    </div>
  );
}

/** One cell; memoised, so a chunk arriving re-renders only the cells it fills. */
const Cell = memo(function Cell({
  item,
  failed,
  thumbUrl,
  index,
  onOpen,
}: {
  item: GalleryItemView | undefined;
  failed: string | undefined;
  thumbUrl: string | null;
  /** Index in the whole filtered list (what onOpen is called with). */
  index: number;
  onOpen: (index: number) => void;
}) {
  if (!item) {
    return (
      <div className="gallery-cell gallery-cell-loading" aria-hidden={failed === undefined} title={failed}>
        <div className="gallery-thumb" />
        <span className="gallery-caption">{failed ? 'Not loaded; scroll to retry' : ''}</span>
      </div>
    );
  }
  const dark = item.frameKind === 'dark';
  const filter = stretchFilter(item.meanBrightness);
  return (
    <button
      type="button"
      className={dark ? 'gallery-cell gallery-cell-dark' : 'gallery-cell'}
      data-testid="gallery-cell"
      data-capture-id={item.id}
      data-frame-kind={item.frameKind ?? 'light'}
      data-reconciled={item.reconciled ? 'true' : undefined}
      data-stretched={filter ? 'true' : undefined}
      onClick={() => onOpen(index)}
      aria-label={`${item.agentName}, ${clockTime(item.capturedAt)}${dark ? ', dark frame' : ''}${item.reconciled ? ', reconciled after a crash' : ''}`}
    >
      <div className="gallery-thumb" style={filter ? { filter } : undefined}>
        {item.thumbReady === false || thumbUrl === null ? null : (
          <img src={thumbUrl} alt="" loading="lazy" decoding="async" width={CELL_WIDTH} height={THUMB_HEIGHT} />
        )}
      </div>
      {item.reconciled && (
        <span className="gallery-badge" data-testid="gallery-reconciled" title={RECONCILED_TITLE}>
          Reconciled
        </span>
      )}
      <span className="gallery-caption">
        <time dateTime={item.capturedAt}>{clockTime(item.capturedAt)}</time>
        <span className="muted">{item.agentName}</span>
        {dark && <span className="gallery-flag">Dark</span>}
        {item.bracket && (
          <span
            className="gallery-flag"
            title={`Image ${item.bracket.index + 1} of a bracketed set of ${item.bracket.count}`}
          >
            {item.bracket.ev > 0 ? '+' : ''}
            {item.bracket.ev} EV
          </span>
        )}
        {item.tags.length > 0 && <span className="gallery-flag">{item.tags.join(', ')}</span>}
      </span>
    </button>
  );
});
