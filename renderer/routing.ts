// URL routing: each view has a URL (`#/timeline`, `#/properties`, …), so reload keeps the view and the
// browser's Back and Forward move between views. Hash URLs, because the page is served as one file by
// `xpuscope serve` and loaded from file:// in the desktop app: no server routes needed.
import { VIEW_IDS, type ViewId } from './state/store.js';

/** The view a location hash names, or undefined (an empty or unknown hash). */
export function viewFromHash(hash: string): ViewId | undefined {
  const m = /^#\/([a-z]+)(?:[/?].*)?$/.exec(hash);
  const id = m?.[1];
  return id !== undefined && (VIEW_IDS as readonly string[]).includes(id) ? (id as ViewId) : undefined;
}

export function hashFor(view: ViewId): string {
  return `#/${view}`;
}

interface HistoryLike {
  location: { hash: string };
  history: {
    pushState(data: unknown, unused: string, url?: string): void;
    replaceState(data: unknown, unused: string, url?: string): void;
  };
  addEventListener(type: 'popstate' | 'hashchange', f: () => void): void;
  removeEventListener(type: 'popstate' | 'hashchange', f: () => void): void;
}

/**
 * Keeps the view and the URL in step: the hash chooses the first view; every change of view pushes a
 * history entry; Back/Forward (or an edited hash) choose the view again. Returns a disposer.
 */
export function syncViewWithUrl(
  win: HistoryLike,
  store: { getState(): { view: ViewId; setView(v: ViewId): void }; subscribe(f: () => void): () => void },
): () => void {
  const initial = viewFromHash(win.location.hash);
  if (initial && initial !== store.getState().view) store.getState().setView(initial);
  else if (!initial) win.history.replaceState(null, '', hashFor(store.getState().view));
  let last = store.getState().view;
  const off = store.subscribe(() => {
    const view = store.getState().view;
    if (view === last) return;
    last = view;
    if (viewFromHash(win.location.hash) !== view) win.history.pushState(null, '', hashFor(view));
  });
  const onNavigate = (): void => {
    const view = viewFromHash(win.location.hash);
    if (view && view !== store.getState().view) {
      last = view;
      store.getState().setView(view);
    }
  };
  win.addEventListener('popstate', onNavigate);
  win.addEventListener('hashchange', onNavigate);
  return () => {
    off();
    win.removeEventListener('popstate', onNavigate);
    win.removeEventListener('hashchange', onNavigate);
  };
}
