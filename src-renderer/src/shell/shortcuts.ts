/**
 * Keyboard shortcuts: one table (shown by the "?" overlay) and a pure matcher.
 * Shortcuts never fire while the operator types in a field.
 */

/**
 * Views that handle a shortcut themselves (e.g. "C" on a camera page) listen
 * for this window event; its detail is the ShortcutAction, and calling
 * preventDefault() says it was handled.
 */
export const SHORTCUT_EVENT = 'skystation-shortcut';

export interface Shortcut {
  /** What the help overlay shows, e.g. "Shift+N". */
  keys: string;
  /** What it does, in an operator's words. */
  does: string;
  /** Where it works ("everywhere" unless given). */
  where?: string;
}

export type ShortcutAction =
  | { kind: 'help' }
  | { kind: 'night' }
  | { kind: 'tab'; index: number }
  | { kind: 'capture' }
  | { kind: 'back' }
  | { kind: 'escape' };

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: '?', does: 'Show or hide this list' },
  { keys: 'Shift+N', does: 'Night mode on or off (red on black)' },
  { keys: '1 – 9', does: 'Go to the view with that number in the bar at the top' },
  { keys: 'C', does: 'Capture now', where: 'on a camera page' },
  { keys: 'B', does: 'Back to all cameras', where: 'on a camera page' },
  { keys: 'Esc', does: 'Close this list or a dialog' },
];

/** The part of a KeyboardEvent the matcher needs (so it can be tested without a DOM). */
export interface KeyLike {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** The focused element's tag name and whether it is editable. */
  targetTag?: string | undefined;
  targetEditable?: boolean | undefined;
}

const TYPING_TAGS = new Set(['INPUT', 'TEXTAREA', 'SELECT']);

/** The action a key press asks for, or null (typing in a field, a modifier held, an unbound key). */
export function matchShortcut(e: KeyLike): ShortcutAction | null {
  if (e.key === 'Escape') return { kind: 'escape' };
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (e.targetEditable === true || (e.targetTag !== undefined && TYPING_TAGS.has(e.targetTag.toUpperCase()))) {
    return null;
  }
  if (e.key === '?') return { kind: 'help' };
  if (e.shiftKey && (e.key === 'N' || e.key === 'n')) return { kind: 'night' };
  if (e.shiftKey) return null;
  if (/^[1-9]$/.test(e.key)) return { kind: 'tab', index: Number(e.key) - 1 };
  if (e.key === 'c' || e.key === 'C') return { kind: 'capture' };
  if (e.key === 'b' || e.key === 'B') return { kind: 'back' };
  return null;
}
