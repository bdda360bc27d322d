import { useEffect } from 'react';
import { useUiStore } from '../state/ui-store';

const TOAST_MS = 8000;

export function ToastBar() {
  const toast = useUiStore((s) => s.toast);
  const dismiss = useUiStore((s) => s.dismissToast);

  useEffect(() => {
    if (toast === null || toast.level === 'error') return undefined;
    const t = setTimeout(dismiss, TOAST_MS);
    return () => clearTimeout(t);
  }, [toast, dismiss]);

  if (toast === null) return null;
  return (
    <div className={`toast toast-${toast.level}`} role={toast.level === 'info' ? 'status' : 'alert'}>
      <span>{toast.message}</span>
      <button type="button" aria-label="Dismiss message" onClick={dismiss}>
        ×
      </button>
    </div>
  );
}
