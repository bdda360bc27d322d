/** UI-only state (server state lives in react-query). */
import { create } from 'zustand';
import type { ConnectionState } from '../api/ws-transport';
import { appendEntries, type LogEntry } from '../alerts/event-log';
import { applyNightMode, browserStorage, readNightPreference, writeNightPreference } from '../shell/theme';

export interface Toast {
  id: number;
  level: 'info' | 'warning' | 'error';
  message: string;
}

interface UiState {
  selectedAgentId: string | null;
  connection: ConnectionState;
  toast: Toast | null;
  /** Red on black for dark adaptation; remembered in localStorage. */
  night: boolean;
  /** The "?" list of keyboard shortcuts. */
  helpOpen: boolean;
  /** What this window saw happen (captures, cameras changing state, exports), newest first. */
  eventLog: LogEntry[];
  selectAgent: (id: string | null) => void;
  setConnection: (state: ConnectionState) => void;
  showToast: (level: Toast['level'], message: string) => void;
  dismissToast: () => void;
  setNight: (on: boolean) => void;
  setHelpOpen: (open: boolean) => void;
  addLogEntries: (entries: readonly LogEntry[]) => void;
}

let toastSeq = 0;

export const useUiStore = create<UiState>()((set) => ({
  selectedAgentId: null,
  connection: 'connecting',
  toast: null,
  night: readNightPreference(browserStorage()),
  helpOpen: false,
  eventLog: [],
  selectAgent: (id) => set({ selectedAgentId: id }),
  setConnection: (connection) => set({ connection }),
  showToast: (level, message) => set({ toast: { id: ++toastSeq, level, message } }),
  dismissToast: () => set({ toast: null }),
  setNight: (night) => {
    writeNightPreference(browserStorage(), night);
    applyNightMode(night);
    set({ night });
  },
  setHelpOpen: (helpOpen) => set({ helpOpen }),
  addLogEntries: (entries) => {
    if (entries.length > 0) set((s) => ({ eventLog: appendEntries(s.eventLog, entries) }));
  },
}));
