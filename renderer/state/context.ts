// Gives components the app store without prop drilling: <StoreProvider store={…}> + useApp(selector).
import { createContext, createElement, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { AppActions, AppState, AppStore } from './store.js';

/** The store of the session shown (renderer/Root.tsx switches it); null outside <StoreProvider>. */
export const StoreContext = createContext<AppStore | null>(null);

export function StoreProvider(props: { store: AppStore; children?: ReactNode }) {
  return createElement(StoreContext.Provider, { value: props.store }, props.children);
}

export function useApp<T>(selector: (state: AppState & AppActions) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useApp() outside <StoreProvider>');
  return useStore(store, selector);
}
