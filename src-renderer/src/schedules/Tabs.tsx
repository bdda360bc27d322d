/**
 * The station's panes: "Cameras" (the App's existing content, passed as
 * children) plus Schedules, Profiles, Tests and Alerts (issue #5).
 */
import { useState, type ReactNode } from 'react';
import { AlertsPane } from '../alerts/AlertsPane';
import { ProfilesPane } from '../profiles/ProfilesPane';
import { TestsPane } from '../tests/TestsPane';
import { SettingsPane } from '../settings/SettingsPane';
import { SchedulesPane } from './SchedulesPane';
import './panes.css';

const TABS = ['Cameras', 'Schedules', 'Profiles', 'Tests', 'Alerts', 'Settings'] as const;
type Tab = (typeof TABS)[number];

export function PaneTabs({ children }: { children: ReactNode }) {
  const [tab, setTab] = useState<Tab>('Cameras');
  return (
    <>
      <nav className="pane-tabs" role="tablist" aria-label="Views">
        {TABS.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            data-testid={`tab-${t.toLowerCase()}`}
            className={tab === t ? 'active' : ''}
            onClick={() => setTab(t)}
          >
            {t}
          </button>
        ))}
      </nav>
      <div role="tabpanel" aria-label={tab}>
        {tab === 'Cameras' && children}
        {tab === 'Schedules' && <SchedulesPane />}
        {tab === 'Profiles' && <ProfilesPane />}
        {tab === 'Tests' && <TestsPane />}
        {tab === 'Alerts' && <AlertsPane />}
        {tab === 'Settings' && <SettingsPane />}
      </div>
    </>
  );
}
