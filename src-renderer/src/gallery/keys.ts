/** What a key does in the lightbox (pure, so it can be tested without a DOM). */
export function lightboxKey(key: string): 'next' | 'previous' | 'close' | 'delete' | null {
  switch (key) {
    case 'ArrowRight':
    case 'ArrowDown':
    case 'PageDown':
      return 'next';
    case 'ArrowLeft':
    case 'ArrowUp':
    case 'PageUp':
      return 'previous';
    case 'Escape':
      return 'close';
    case 'Delete':
      return 'delete';
    default:
      return null;
  }
}
