/** UI-only state (server state lives in react-query). */
import { create } from 'zustand';
import type { ConnectionState } from '../api/ws-transport';

export interface Toast {
  id: number;
  level: 'info' | 'warning' | 'error';
  message: string;
}

interface UiState {
  selectedAgentId: string | null;
  connection: ConnectionState;
  toast: Toast | null;
  selectAgent: (id: string | null) => void;
  setConnection: (state: ConnectionState) => void;
  showToast: (level: Toast['level'], message: string) => void;
  dismissToast: () => void;
}

let toastSeq = 0;

export const useUiStore = create<UiState>()((set) => ({
  selectedAgentId: null,
  connection: 'connecting',
  toast: null,
  selectAgent: (id) => set({ selectedAgentId: id }),
  setConnection: (connection) => set({ connection }),
  showToast: (level, message) => set({ toast: { id: ++toastSeq, level, message } }),
  dismissToast: () => set({ toast: null }),
}));
