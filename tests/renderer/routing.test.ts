// URL routing (renderer/routing.ts): the hash picks the first view, changes of view push history
// entries, Back/Forward pick the view again.
import { describe, expect, it } from 'vitest';
import { createStore } from 'zustand/vanilla';
import { hashFor, syncViewWithUrl, viewFromHash } from '../../renderer/routing.js';
import type { ViewId } from '../../renderer/state/store.js';

function fakeWindow(hash: string) {
  const listeners = new Map<string, Set<() => void>>();
  const entries = [hash];
  let at = 0;
  const win = {
    location: { hash },
    history: {
      pushState: (_d: unknown, _u: string, url?: string) => {
        entries.splice(at + 1);
        entries.push(url!);
        at++;
        win.location.hash = url!;
      },
      replaceState: (_d: unknown, _u: string, url?: string) => {
        entries[at] = url!;
        win.location.hash = url!;
      },
    },
    addEventListener: (t: string, f: () => void) => {
      if (!listeners.has(t)) listeners.set(t, new Set());
      listeners.get(t)!.add(f);
    },
    removeEventListener: (t: string, f: () => void) => listeners.get(t)?.delete(f),
    back() {
      at--;
      win.location.hash = entries[at]!;
      for (const f of listeners.get('popstate') ?? []) f();
    },
    entries,
  };
  return win;
}

function viewStore(view: ViewId) {
  return createStore<{ view: ViewId; setView(v: ViewId): void }>()((set) => ({
    view,
    setView: (v) => set({ view: v }),
  }));
}

describe('routing', () => {
  it('reads and writes view hashes', () => {
    expect(viewFromHash('#/timeline')).toBe('timeline');
    expect(viewFromHash('#/properties/1')).toBe('properties');
    expect(viewFromHash('#/nope')).toBeUndefined();
    expect(viewFromHash('')).toBeUndefined();
    expect(hashFor('record')).toBe('#/record');
  });

  it('the URL picks the first view; switching pushes history; Back goes back', () => {
    const win = fakeWindow('#/timeline');
    const store = viewStore('devices');
    const off = syncViewWithUrl(win, store);
    expect(store.getState().view).toBe('timeline'); // a reload keeps the view
    store.getState().setView('record');
    expect(win.location.hash).toBe('#/record');
    store.getState().setView('counters');
    expect(win.entries).toEqual(['#/timeline', '#/record', '#/counters']);
    win.back();
    expect(store.getState().view).toBe('record');
    off();
    win.back();
    expect(store.getState().view).toBe('record'); // disposed: no longer followed
  });

  it('no hash: the current view is written without a new history entry', () => {
    const win = fakeWindow('');
    syncViewWithUrl(win, viewStore('devices'));
    expect(win.entries).toEqual(['#/devices']);
  });
});
