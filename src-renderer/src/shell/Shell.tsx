/**
 * The app around the views: header (connection, night mode, shortcuts), the
 * view bar, the current view from the address, toasts and the shortcut list.
 */
import { useEffect } from 'react';
import { useStationEvents } from '../api/hooks';
import { ToastBar } from '../components/Toast';
import { useUiStore } from '../state/ui-store';
import { navigate, useRoute } from './router';
import { hrefFor, resolveRoute } from './routes';
import { matchShortcut, SHORTCUT_EVENT, SHORTCUTS, type ShortcutAction } from './shortcuts';
import { PAGES, TABS } from './views';
import './shell.css';

const connectionText = {
  open: 'Connected to the station',
  connecting: 'Connecting to the station…',
  closed: 'Station connection lost; reconnecting…',
} as const;

export function Shell() {
  useStationEvents();
  const connection = useUiStore((s) => s.connection);
  const night = useUiStore((s) => s.night);
  const setNight = useUiStore((s) => s.setNight);
  const helpOpen = useUiStore((s) => s.helpOpen);
  const setHelpOpen = useUiStore((s) => s.setHelpOpen);
  const route = useRoute();
  const resolved = resolveRoute(route, TABS, PAGES);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const target = e.target instanceof HTMLElement ? e.target : null;
      const action = matchShortcut({
        key: e.key,
        shiftKey: e.shiftKey,
        ctrlKey: e.ctrlKey,
        metaKey: e.metaKey,
        altKey: e.altKey,
        targetTag: target?.tagName,
        targetEditable: target?.isContentEditable,
      });
      if (action === null) return;
      if (run(action)) e.preventDefault();
    };
    const run = (action: ShortcutAction): boolean => {
      const ui = useUiStore.getState();
      switch (action.kind) {
        case 'help':
          ui.setHelpOpen(!ui.helpOpen);
          return true;
        case 'night':
          ui.setNight(!ui.night);
          return true;
        case 'escape':
          if (!ui.helpOpen) return false;
          ui.setHelpOpen(false);
          return true;
        case 'tab': {
          const tab = TABS[action.index];
          if (tab === undefined) return false;
          navigate(tab.id);
          return true;
        }
        default:
          return !window.dispatchEvent(new CustomEvent(SHORTCUT_EVENT, { detail: action, cancelable: true }));
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="app">
      <NightFilterDefs />
      <header className="app-header">
        <h1>
          <a href={hrefFor('cameras')} className="app-title">
            Skystation
          </a>
        </h1>
        <div className="app-header-tools">
          <span className={`connection connection-${connection}`} role="status" data-testid="connection">
            {connectionText[connection]}
          </span>
          <button
            type="button"
            data-testid="night-toggle"
            aria-pressed={night}
            title="Red on black to keep your eyes dark-adapted (Shift+N)"
            onClick={() => setNight(!night)}
          >
            Night mode
          </button>
          <button
            type="button"
            data-testid="shortcuts-button"
            aria-label="Keyboard shortcuts"
            aria-expanded={helpOpen}
            title="Keyboard shortcuts (?)"
            onClick={() => setHelpOpen(!helpOpen)}
          >
            ?
          </button>
        </div>
      </header>
      <nav className="pane-tabs" aria-label="Views" data-testid="views-nav">
        {TABS.map((t, i) => (
          <a
            key={t.id}
            href={hrefFor(t.id)}
            data-testid={`tab-${t.id}`}
            aria-current={resolved.current === t.id ? 'page' : undefined}
            className={resolved.current === t.id ? 'active' : ''}
            title={i < 9 ? `${t.label} (${i + 1})` : t.label}
          >
            {t.label}
          </a>
        ))}
      </nav>
      <main data-testid="view" data-view={route.view}>
        {resolved.kind === 'tab' && resolved.tab.render()}
        {resolved.kind === 'page' && resolved.page.render(resolved.param)}
        {resolved.kind === 'unknown' && (
          <p className="empty" role="alert">
            There is no view at this address. <a href={hrefFor('cameras')}>Go to the cameras</a>.
          </p>
        )}
      </main>
      {helpOpen && <ShortcutHelp onClose={() => setHelpOpen(false)} />}
      <ToastBar />
    </div>
  );
}

function ShortcutHelp({ onClose }: { onClose: () => void }) {
  return (
    <div className="overlay" onClick={onClose} data-testid="shortcut-help">
      <div
        className="overlay-box"
        role="dialog"
        aria-modal="true"
        aria-labelledby="shortcut-help-title"
        onClick={(e) => e.stopPropagation()}
      >
        <h2 id="shortcut-help-title">Keyboard shortcuts</h2>
        <table className="shortcut-table">
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.keys}>
                <td>
                  <kbd>{s.keys}</kbd>
                </td>
                <td>
                  {s.does}
                  {s.where !== undefined && <span className="muted"> ({s.where})</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted small">Shortcuts do nothing while you type in a field.</p>
        <button type="button" onClick={onClose} autoFocus>
          Close
        </button>
      </div>
    </div>
  );
}

/**
 * The filters night mode applies (styles.css: html[data-night]): images, video
 * and canvases show their luminance in red; controls the browser draws keep
 * their brightness in red. Green and blue become zero in both.
 */
function NightFilterDefs() {
  return (
    <svg className="night-filter-defs" aria-hidden="true" focusable="false" width="0" height="0">
      <filter id="night-red" colorInterpolationFilters="sRGB">
        <feColorMatrix type="matrix" values="0.2126 0.7152 0.0722 0 0  0 0 0 0 0  0 0 0 0 0  0 0 0 1 0" />
      </filter>
      {/* For controls the browser draws (check boxes, pickers): the sum keeps red text as bright as it was. */}
      <filter id="night-red-controls" colorInterpolationFilters="sRGB">
        <feColorMatrix type="matrix" values="1 1 1 0 0  0 0 0 0 0  0 0 0 0 0  0 0 0 1 0" />
      </filter>
    </svg>
  );
}
