import { useStationEvents } from './api/hooks';
import { AgentList } from './components/AgentList';
import { Gallery } from './components/Gallery';
import { ExportsPane } from './exports/ExportsPane';
import { ToastBar } from './components/Toast';
import { PaneTabs } from './schedules/Tabs';
import { useUiStore } from './state/ui-store';

const connectionText = {
  open: 'Connected',
  connecting: 'Connecting…',
  closed: 'Disconnected; reconnecting…',
} as const;

export function App() {
  useStationEvents();
  const connection = useUiStore((s) => s.connection);

  return (
    <div className="app">
      <header className="app-header">
        <h1>Skystation</h1>
        <span className={`connection connection-${connection}`} role="status" data-testid="connection">
          {connectionText[connection]}
        </span>
      </header>
      <main>
        <PaneTabs>
          <section aria-labelledby="cameras-heading">
            <h2 id="cameras-heading">Cameras</h2>
            <AgentList />
          </section>
          <section aria-labelledby="gallery-heading">
            <h2 id="gallery-heading">Newest images</h2>
            <Gallery />
          </section>
          <section aria-labelledby="exports-heading">
            <h2 id="exports-heading">Exports</h2>
            <ExportsPane />
          </section>
        </PaneTabs>
      </main>
      <ToastBar />
    </div>
  );
}
