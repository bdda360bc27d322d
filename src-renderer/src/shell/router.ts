/** The hash router's React side: the current route, and going somewhere. */
import { useSyncExternalStore } from 'react';
import { hrefFor, parseHash, type Route } from './routes';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

const currentHash = (): string => window.location.hash;

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, currentHash);
  return parseHash(hash);
}

export function navigate(view: string, param?: string | null): void {
  window.location.hash = hrefFor(view, param);
}
