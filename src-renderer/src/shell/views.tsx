/**
 * Every view of the app. A tab is one line in TABS (its id is its address,
 * "#/<id>", and its test id is "tab-<id>"); a page about one thing is one line
 * in PAGES ("#/<path>/<param>"), highlighted under the tab it belongs to.
 */
import type { ReactNode } from 'react';
import { AlertsPane } from '../alerts/AlertsPane';
import { CameraPage } from '../cameras/CameraPage';
import { FleetView } from '../cameras/FleetView';
import { ExportsPane } from '../exports/ExportsPane';
import { GalleryView } from '../gallery/GalleryView';
import { SensorsView } from '../components/SensorChart';
import { PlanningPane } from '../planning/PlanningPane';
import { ProfilesPane } from '../profiles/ProfilesPane';
import { SchedulesPane } from '../schedules/SchedulesPane';
import { CameraWall } from '../preview/CameraWall';
import { PreviewView } from '../preview/PreviewView';
import { SettingsPane } from '../settings/SettingsPane';
import { TestsPane } from '../tests/TestsPane';
// The orchestration panes' shared styles (forms, tables), imported once for all of them.
import '../schedules/panes.css';

export interface TabDef {
  /** Lower-case address segment and test id suffix: "#/cameras", data-testid="tab-cameras". */
  id: string;
  label: string;
  render: () => ReactNode;
}

export interface PageDef {
  /** The address segment before the parameter: "camera" for "#/camera/<agentId>". */
  path: string;
  /** The tab shown as current while this page is open. */
  tab: string;
  render: (param: string) => ReactNode;
}

export const TABS: readonly TabDef[] = [
  { id: 'cameras', label: 'Cameras', render: () => <FleetView /> },
  { id: 'live', label: 'Live', render: () => <CameraWall /> },
  { id: 'gallery', label: 'Gallery', render: () => <GalleryView /> },
  { id: 'exports', label: 'Exports', render: () => <ExportsPane /> },
  { id: 'schedules', label: 'Schedules', render: () => <SchedulesPane /> },
  { id: 'planning', label: 'Planning', render: () => <PlanningPane /> },
  { id: 'sensors', label: 'Sensors', render: () => <SensorsView /> },
  { id: 'profiles', label: 'Profiles', render: () => <ProfilesPane /> },
  { id: 'tests', label: 'Tests', render: () => <TestsPane /> },
  { id: 'alerts', label: 'Alerts', render: () => <AlertsPane /> },
  { id: 'settings', label: 'Settings', render: () => <SettingsPane /> },
];

export const PAGES: readonly PageDef[] = [
  { path: 'camera', tab: 'cameras', render: (agentId) => <CameraPage agentId={agentId} /> },
  { path: 'preview', tab: 'live', render: (agentId) => <PreviewView key={agentId} agentId={agentId} /> },
];
