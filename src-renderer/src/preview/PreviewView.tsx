/**
 * The live preview of one camera (#/preview/<agentId>): the picture fitted or
 * at 100 % / 200 % with pan, frame rate and glass-to-paint latency, exposure,
 * resolution and bandwidth, a live histogram with clipping warnings, a focus
 * aid with its trend and best value, overlays (crosshair, thirds, rotate,
 * flip), "Capture still" with an exposure countdown, and the preview settings:
 * the frame rate this viewer asks for, and the camera's size and JPEG quality
 * (shared by everyone watching it; the station reopens its stream with them). The canvas carries data-frame-seq and data-frame-captured-at
 * (ms since the epoch, from the frame header) for anyone measuring from outside.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import type { CaptureView } from '@contract';
import { useAgents, useStation } from '../api/hooks';
import { hrefFor } from '../shell/routes';
import { shutterSeconds } from './analysis';
import { drawHistogram, drawTrend } from './charts';
import { FrameMeasurer, type FocusMode, type Measurement } from './measure';
import { FramePainter, type PaintStats } from './painter';
import {
  openPreviewStream,
  previewBridge,
  type CameraPreviewSettings,
  type PreviewStream,
  type StreamStatus,
} from './stream';
import './preview.css';

type Zoom = 'fit' | 1 | 2;
type Still =
  | { state: 'idle' }
  | { state: 'exposing'; startedAt: number; expectedMs: number | null }
  | { state: 'done'; capture: CaptureView }
  | { state: 'failed'; message: string };

const FPS_CHOICES = [1, 2, 5, 10, 15, 20, 30] as const;
/** Preview widths the settings offer (agent/src/protocol PREVIEW_WIDTH_PRESETS); the height follows the camera. */
const WIDTH_CHOICES = [640, 960, 1280, 1920] as const;
const QUALITY_CHOICES = [30, 50, 70, 85, 95] as const;
const TREND_LENGTH = 60;
const ANALYSE_EVERY_MS = 250;

const statusText: Record<StreamStatus['state'], string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  unavailable: 'Unavailable',
  failed: 'No preview',
};

export function formatExposure(us: number | null): string {
  if (us === null) return '—';
  if (us >= 1_000_000) return `${(us / 1_000_000).toFixed(1)} s`;
  if (us >= 1000 && us < 100_000) return `1/${Math.round(1_000_000 / us)} s`;
  if (us >= 100_000) return `${(us / 1_000_000).toFixed(2)} s`;
  return `${us} µs`;
}

/** "ISO 6400" or "Gain 120" from a frame header; null when it carries neither. */
export function formatSensitivity(iso: number | null, gain: number | null): string | null {
  if (iso !== null) return `ISO ${Math.round(iso)}`;
  if (gain !== null) return `Gain ${Number.isInteger(gain) ? gain : gain.toFixed(1)}`;
  return null;
}

/** A select's choices with the current value among them, in order (a value set elsewhere may be off the list). */
function withCurrent(choices: readonly number[], current: number | undefined): number[] {
  return current === undefined || choices.includes(current)
    ? [...choices]
    : [...choices, current].sort((a, b) => a - b);
}

export function formatRate(bytesPerSecond: number): string {
  if (bytesPerSecond >= 1_000_000) return `${((bytesPerSecond * 8) / 1_000_000).toFixed(1)} Mbit/s`;
  return `${Math.round((bytesPerSecond * 8) / 1000)} kbit/s`;
}

/** The image point (0–1) shown at the viewport's centre, undoing pan, rotation, flips and scale. */
function viewCentre(
  pan: { x: number; y: number },
  scale: number,
  rotate: number,
  flipH: boolean,
  flipV: boolean,
  w: number,
  h: number,
): { x: number; y: number } {
  if (w === 0 || h === 0) return { x: 0.5, y: 0.5 };
  const rad = (-rotate * Math.PI) / 180;
  let x = -pan.x * Math.cos(rad) - -pan.y * Math.sin(rad);
  let y = -pan.x * Math.sin(rad) + -pan.y * Math.cos(rad);
  if (flipH) x = -x;
  if (flipV) y = -y;
  return { x: Math.max(0, Math.min(1, 0.5 + x / scale / w)), y: Math.max(0, Math.min(1, 0.5 + y / scale / h)) };
}

export function PreviewView({ agentId }: { agentId: string }) {
  const { api } = useStation();
  const agents = useAgents();
  const agent = agents.data?.find((a) => a.id === agentId);

  const canvasRef = useRef<HTMLCanvasElement>(null);
  const viewportRef = useRef<HTMLDivElement>(null);
  const histRef = useRef<HTMLCanvasElement>(null);
  const trendRef = useRef<HTMLCanvasElement>(null);
  const streamRef = useRef<PreviewStream | null>(null);
  const painterRef = useRef<FramePainter | null>(null);

  const [status, setStatus] = useState<StreamStatus>({ state: 'connecting' });
  const [stats, setStats] = useState<PaintStats | null>(null);
  const [measurement, setMeasurement] = useState<Measurement | null>(null);
  const [fps, setFps] = useState<number>(30);
  const [camSettings, setCamSettings] = useState<CameraPreviewSettings | null>(null);
  const [zoom, setZoom] = useState<Zoom>('fit');
  const [pan, setPan] = useState({ x: 0, y: 0 });
  const [rotate, setRotate] = useState(0);
  const [flipH, setFlipH] = useState(false);
  const [flipV, setFlipV] = useState(false);
  const [crosshair, setCrosshair] = useState(false);
  const [grid, setGrid] = useState(false);
  const [focusMode, setFocusMode] = useState<FocusMode>('auto');
  const [viewport, setViewport] = useState({ w: 0, h: 0 });
  const [still, setStill] = useState<Still>({ state: 'idle' });
  const [now, setNow] = useState(() => Date.now());
  const [best, setBest] = useState<number | null>(null);
  const [onTop, setOnTop] = useState(false);
  const trend = useRef<number[]>([]);
  const lastExposure = useRef(0);

  const frameW = stats?.width ?? 0;
  const frameH = stats?.height ?? 0;
  const turned = rotate % 180 !== 0;
  // The camera's aspect ratio, for the size choices' heights (the agent keeps it when the width changes).
  const aspect = frameW > 0 && frameH > 0 ? frameH / frameW : 9 / 16;
  const fitScale =
    frameW > 0 && viewport.w > 0
      ? Math.min(viewport.w / (turned ? frameH : frameW), viewport.h / (turned ? frameW : frameH))
      : 1;
  const scale = zoom === 'fit' ? fitScale : zoom / (window.devicePixelRatio || 1);
  const effectivePan = zoom === 'fit' ? { x: 0, y: 0 } : pan;

  // Viewing parameters the analysis needs, without restarting the stream when they change.
  const view = useRef({ scale, pan: effectivePan, rotate, flipH, flipV, focusMode });
  useEffect(() => {
    view.current = { scale, pan: effectivePan, rotate, flipH, flipV, focusMode };
  });

  // The stream, the painter and the measurer live as long as the page shows this camera.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const measurer = new FrameMeasurer();
    let lastAnalysis = 0;
    const painter = new FramePainter(
      canvas,
      (frame, painted) => {
        lastExposure.current = frame.exposureUs;
        const t = performance.now();
        if (t - lastAnalysis < ANALYSE_EVERY_MS) return;
        lastAnalysis = t;
        const v = view.current;
        const centre = viewCentre(v.pan, v.scale, v.rotate, v.flipH, v.flipV, painted.width, painted.height);
        const m = measurer.measure(painted, frame.exposureUs, v.focusMode, centre);
        if (!m) return;
        setMeasurement(m);
        if (m.focusValue !== null) {
          const values = trend.current;
          values.push(m.focusValue);
          if (values.length > TREND_LENGTH) values.shift();
          const better = m.focusKind === 'hfr' ? Math.min : Math.max;
          setBest((b) => (b === null ? m.focusValue : better(b, m.focusValue!)));
        }
      },
      (seq) => streamRef.current?.ack(seq),
    );
    painterRef.current = painter;
    const stream = openPreviewStream(agentId, fps, {
      onFrame: (f) => painter.push(f),
      onStatus: (s) => {
        setStatus(s);
        if (s.settings) setCamSettings(s.settings);
      },
    });
    streamRef.current = stream;
    const timer = setInterval(() => {
      setStats(painter.stats());
      setNow(Date.now());
    }, 500);
    return () => {
      clearInterval(timer);
      stream.close();
      painter.dispose();
      streamRef.current = null;
      painterRef.current = null;
    };
    // fps changes go through setFps on the open stream, not a new connection.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [agentId]);

  // Viewport size, for fitting.
  useEffect(() => {
    const el = viewportRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setViewport({ w: el.clientWidth, h: el.clientHeight }));
    ro.observe(el);
    setViewport({ w: el.clientWidth, h: el.clientHeight });
    return () => ro.disconnect();
  }, []);

  // Charts redraw when a measurement arrives (a few times a second) or the theme changes with it.
  useEffect(() => {
    if (measurement && histRef.current) drawHistogram(histRef.current, measurement.histogram);
    if (trendRef.current) drawTrend(trendRef.current, trend.current, best);
  }, [measurement, best]);

  // A new focus mode or a new reference starts a new trend.
  const resetFocus = useCallback(() => {
    trend.current = [];
    setBest(null);
  }, []);

  const changeFps = (n: number): void => {
    setFps(n);
    streamRef.current?.setFps(n);
  };

  const changeSettings = (change: Partial<CameraPreviewSettings>): void => {
    setCamSettings((c) => (c ? { ...c, ...change } : c));
    streamRef.current?.setSettings(change);
  };

  const captureStill = async (): Promise<void> => {
    let expectedMs: number | null = null;
    try {
      const newest = await api.listCaptures({ agentId, limit: 1 });
      const s = shutterSeconds(newest.items[0]?.shutterSpeed);
      if (s !== null) expectedMs = s * 1000;
    } catch {
      // no estimate: the countdown shows elapsed time instead
    }
    if (expectedMs === null && lastExposure.current > 0) expectedMs = lastExposure.current / 1000;
    setStill({ state: 'exposing', startedAt: Date.now(), expectedMs });
    try {
      const capture = await api.captureNow({ agentId });
      setStill({ state: 'done', capture });
    } catch (err) {
      setStill({ state: 'failed', message: err instanceof Error ? err.message : String(err) });
    }
  };

  // Pan by dragging when zoomed in.
  const drag = useRef<{ x: number; y: number; px: number; py: number } | null>(null);
  const onPointerDown = (e: ReactPointerEvent<HTMLDivElement>): void => {
    if (zoom === 'fit') return;
    drag.current = { x: e.clientX, y: e.clientY, px: pan.x, py: pan.y };
    e.currentTarget.setPointerCapture(e.pointerId);
  };
  const onPointerMove = (e: ReactPointerEvent<HTMLDivElement>): void => {
    const d = drag.current;
    if (!d) return;
    const limitX = (frameW * scale) / 2;
    const limitY = (frameH * scale) / 2;
    setPan({
      x: Math.max(-limitX, Math.min(limitX, d.px + e.clientX - d.x)),
      y: Math.max(-limitY, Math.min(limitY, d.py + e.clientY - d.y)),
    });
  };
  const onPointerUp = (): void => {
    drag.current = null;
  };

  const stageStyle = useMemo(
    () => ({
      width: frameW || undefined,
      height: frameH || undefined,
      transform: `translate(-50%, -50%) translate(${effectivePan.x}px, ${effectivePan.y}px) rotate(${rotate}deg) scale(${scale * (flipH ? -1 : 1)}, ${scale * (flipV ? -1 : 1)})`,
    }),
    [frameW, frameH, effectivePan.x, effectivePan.y, rotate, scale, flipH, flipV],
  );

  const exposing = still.state === 'exposing';
  const remaining =
    exposing && still.expectedMs !== null ? Math.max(0, still.expectedMs - (now - still.startedAt)) : null;
  const focusLabel = measurement?.focusKind === 'hfr' ? 'Half-flux radius' : 'Sharpness';
  const fmtFocus = (v: number | null): string =>
    v === null ? '—' : measurement?.focusKind === 'hfr' ? `${v.toFixed(2)} px` : v.toFixed(1);

  const bridge = previewBridge();
  const popOut = (): void => {
    if (bridge) void bridge.popOut(agentId);
    else window.open(hrefFor('preview', agentId), `skystation-preview-${agentId}`, 'popup,width=1280,height=820');
  };

  return (
    <section className="preview-page" data-testid="preview-page" aria-labelledby="preview-title">
      <header className="preview-bar">
        <a href={hrefFor('live')}>← Camera wall</a>
        <h2 id="preview-title">{agent?.name ?? agentId}</h2>
        <span className={`preview-status preview-status-${status.state}`} role="status" data-testid="preview-status">
          {statusText[status.state]}
          {status.message ? ` — ${status.message}` : ''}
        </span>
        <button type="button" onClick={popOut} data-testid="preview-popout" title="Open this preview in its own window">
          Pop out
        </button>
        {bridge && (
          <label title="Keep this camera's window above other windows">
            <input
              type="checkbox"
              checked={onTop}
              onChange={(e) => {
                setOnTop(e.target.checked);
                void bridge.popOut(agentId, e.target.checked);
              }}
              data-testid="preview-always-on-top"
            />{' '}
            Always on top
          </label>
        )}
      </header>
      <div className="preview-body">
        <div
          className={`preview-viewport${zoom === 'fit' ? '' : ' preview-pannable'}`}
          ref={viewportRef}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={onPointerUp}
          data-testid="preview-viewport"
        >
          <div className="preview-stage" style={stageStyle} data-zoom={String(zoom)} data-scale={scale.toFixed(4)}>
            <canvas
              ref={canvasRef}
              data-testid="preview-frame"
              aria-label={`Live picture from ${agent?.name ?? agentId}`}
            />
            {(crosshair || grid) && (
              <svg className="preview-overlay" viewBox="0 0 300 300" preserveAspectRatio="none" aria-hidden="true">
                {grid && (
                  <g data-testid="preview-grid-lines">
                    <line x1="100" y1="0" x2="100" y2="300" />
                    <line x1="200" y1="0" x2="200" y2="300" />
                    <line x1="0" y1="100" x2="300" y2="100" />
                    <line x1="0" y1="200" x2="300" y2="200" />
                  </g>
                )}
                {crosshair && (
                  <g data-testid="preview-crosshair-lines" className="preview-crosshair">
                    <line x1="150" y1="120" x2="150" y2="180" />
                    <line x1="120" y1="150" x2="180" y2="150" />
                  </g>
                )}
              </svg>
            )}
          </div>
          {status.state !== 'live' && stats?.painted === 0 && (
            <p className="preview-placeholder">{status.message ?? statusText[status.state]}</p>
          )}
          {still.state === 'done' && (
            <figure className="preview-still-shown" data-testid="preview-still">
              <a
                href={api.mediaUrl(still.capture.imagePath)}
                target="_blank"
                rel="noreferrer"
                title="Open at full size"
              >
                <img
                  src={api.mediaUrl(still.capture.imagePath)}
                  alt={`Still from ${still.capture.agentName}`}
                  data-testid="preview-still-image"
                />
              </a>
              <figcaption>
                Still: {still.capture.shutterSpeed} s · ISO {still.capture.iso} · {still.capture.width}×
                {still.capture.height}
                <button type="button" className="primary" onClick={() => setStill({ state: 'idle' })}>
                  Back to live
                </button>
              </figcaption>
            </figure>
          )}
          {exposing && (
            <div className="preview-exposing" data-testid="preview-still-countdown" role="status">
              Exposing a still — the preview pauses
              <strong>
                {remaining !== null && remaining > 0
                  ? `${(remaining / 1000).toFixed(1)} s left`
                  : `${((now - still.startedAt) / 1000).toFixed(1)} s`}
              </strong>
            </div>
          )}
        </div>
        <aside className="preview-side">
          <div className="preview-group" role="group" aria-label="Zoom">
            {(['fit', 1, 2] as const).map((z) => (
              <button
                key={String(z)}
                type="button"
                className={zoom === z ? 'primary' : ''}
                aria-pressed={zoom === z}
                data-testid={`preview-zoom-${z === 'fit' ? 'fit' : z * 100}`}
                onClick={() => {
                  setZoom(z);
                  setPan({ x: 0, y: 0 });
                }}
              >
                {z === 'fit' ? 'Fit' : `${z * 100} %`}
              </button>
            ))}
          </div>
          <div className="preview-group" role="group" aria-label="Overlays">
            <button
              type="button"
              aria-pressed={crosshair}
              onClick={() => setCrosshair(!crosshair)}
              data-testid="preview-crosshair"
            >
              Crosshair
            </button>
            <button type="button" aria-pressed={grid} onClick={() => setGrid(!grid)} data-testid="preview-grid">
              Thirds
            </button>
            <button
              type="button"
              onClick={() => setRotate((rotate + 90) % 360)}
              data-testid="preview-rotate"
              title="Rotate 90°"
            >
              Rotate {rotate}°
            </button>
            <button type="button" aria-pressed={flipH} onClick={() => setFlipH(!flipH)} data-testid="preview-flip-h">
              Flip ↔
            </button>
            <button type="button" aria-pressed={flipV} onClick={() => setFlipV(!flipV)} data-testid="preview-flip-v">
              Flip ↕
            </button>
          </div>
          <dl className="preview-readouts">
            <dt>Frame rate</dt>
            <dd data-testid="preview-fps">{stats ? `${stats.fps.toFixed(1)} fps` : '—'}</dd>
            <dt>Latency</dt>
            <dd data-testid="preview-latency">
              {stats?.latencyMs != null
                ? `${Math.round(stats.latencyMs)} ms (p95 ${Math.round(stats.latencyP95Ms ?? 0)} ms)`
                : '—'}
            </dd>
            <dt>Exposure</dt>
            <dd data-testid="preview-exposure">{formatExposure(stats?.exposureUs ?? null)}</dd>
            <dt>ISO / gain</dt>
            <dd
              data-testid="preview-iso"
              title={
                stats && formatSensitivity(stats.iso, stats.gain) !== null
                  ? 'Of the newest frame, from its header'
                  : 'This camera does not report it for preview frames; the last still’s when there is one'
              }
            >
              {(stats && formatSensitivity(stats.iso, stats.gain)) ??
                (still.state === 'done' ? `ISO ${still.capture.iso}` : '—')}
            </dd>
            <dt>Resolution</dt>
            <dd data-testid="preview-resolution">
              {stats && stats.width > 0 ? `${stats.width}×${stats.height}` : '—'}
            </dd>
            <dt>Bandwidth</dt>
            <dd data-testid="preview-bandwidth">{stats ? formatRate(stats.bytesPerSecond) : '—'}</dd>
            <dt>Frames</dt>
            <dd data-testid="preview-frames">{stats?.painted ?? 0}</dd>
          </dl>
          <figure className="preview-hist">
            <canvas
              ref={histRef}
              data-testid="preview-histogram"
              data-mean-luma={measurement ? measurement.histogram.meanLuma.toFixed(2) : ''}
              aria-label="Histogram: luminance (area), red, green and blue (lines)"
            />
            <figcaption>
              Histogram{measurement ? ` — mean ${Math.round(measurement.histogram.meanLuma)}/255` : ''}
            </figcaption>
          </figure>
          {measurement && measurement.warnings.length > 0 && (
            <ul className="preview-warnings" data-testid="preview-clipping" role="alert">
              {measurement.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
          <div className="preview-focus">
            <div className="preview-focus-head">
              <span>
                {focusLabel}
                {measurement?.focusKind === 'hfr' ? ` (${measurement.stars} stars)` : ''}
              </span>
              <strong data-testid="preview-focus-value">{fmtFocus(measurement?.focusValue ?? null)}</strong>
            </div>
            <canvas ref={trendRef} className="preview-trend" data-testid="preview-focus-trend" aria-hidden="true" />
            <div className="preview-focus-head">
              <span>
                Best so far ({measurement?.focusKind === 'hfr' ? 'smallest' : 'highest'}):{' '}
                <strong data-testid="preview-focus-best">{fmtFocus(best)}</strong>
              </span>
              <button type="button" onClick={resetFocus} data-testid="preview-focus-reset">
                Reset
              </button>
            </div>
            <label>
              Focus aid{' '}
              <select
                value={focusMode}
                onChange={(e) => {
                  setFocusMode(e.target.value as FocusMode);
                  resetFocus();
                }}
                data-testid="preview-focus-mode"
              >
                <option value="auto">Automatic</option>
                <option value="day">Day: detail (Laplacian)</option>
                <option value="night">Night: stars (half-flux radius)</option>
              </select>
            </label>
          </div>
          <fieldset className="preview-settings" data-testid="preview-settings">
            <legend>Preview settings</legend>
            <label className="preview-setting">
              Frame rate{' '}
              <select value={fps} onChange={(e) => changeFps(Number(e.target.value))} data-testid="preview-fps-select">
                {FPS_CHOICES.map((n) => (
                  <option key={n} value={n}>
                    {n} fps
                  </option>
                ))}
              </select>
            </label>
            <label className="preview-setting">
              Size{' '}
              <select
                value={camSettings?.width ?? ''}
                disabled={!camSettings}
                onChange={(e) => changeSettings({ width: Number(e.target.value) })}
                data-testid="preview-size-select"
              >
                {!camSettings && <option value="">—</option>}
                {withCurrent(WIDTH_CHOICES, camSettings?.width).map((w) => (
                  <option key={w} value={w}>
                    {w}×{Math.round((w * aspect) / 2) * 2}
                    {w === 1280 ? ' (default)' : ''}
                  </option>
                ))}
              </select>
            </label>
            <label className="preview-setting">
              JPEG quality{' '}
              <select
                value={camSettings?.quality ?? ''}
                disabled={!camSettings}
                onChange={(e) => changeSettings({ quality: Number(e.target.value) })}
                data-testid="preview-quality-select"
              >
                {!camSettings && <option value="">—</option>}
                {withCurrent(QUALITY_CHOICES, camSettings?.quality).map((q) => (
                  <option key={q} value={q}>
                    {q}
                    {q === 70 ? ' (default)' : ''}
                  </option>
                ))}
              </select>
            </label>
            <p className="preview-setting-note">
              Bandwidth{' '}
              <strong
                data-testid="preview-settings-bandwidth"
                data-bytes-per-frame={stats && stats.fps > 0 ? Math.round(stats.bytesPerSecond / stats.fps) : ''}
              >
                {stats ? formatRate(stats.bytesPerSecond) : '—'}
              </strong>
              {stats && stats.fps > 0 ? ` · ${Math.round(stats.bytesPerSecond / stats.fps / 1024)} KB a frame` : ''}.
              Size and quality are the camera’s: everyone watching it gets them.
            </p>
          </fieldset>
          <div className="preview-still">
            <button
              type="button"
              className="primary"
              disabled={exposing || agent?.state !== 'online'}
              onClick={() => void captureStill()}
              data-testid="preview-capture-still"
            >
              {exposing ? 'Exposing…' : 'Capture still'}
            </button>
            {still.state === 'failed' && (
              <p className="error" role="alert">
                {still.message}
              </p>
            )}
          </div>
        </aside>
      </div>
    </section>
  );
}
