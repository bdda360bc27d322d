import { describe, expect, it } from 'vitest';
import { lightboxKey } from './keys';

describe('lightbox keys', () => {
  it('arrows move through the gallery, Esc closes, Delete asks to delete, other keys do nothing', () => {
    expect(lightboxKey('ArrowRight')).toBe('next');
    expect(lightboxKey('ArrowLeft')).toBe('previous');
    expect(lightboxKey('PageDown')).toBe('next');
    expect(lightboxKey('Escape')).toBe('close');
    expect(lightboxKey('Delete')).toBe('delete');
    expect(lightboxKey('d')).toBeNull();
  });
});
