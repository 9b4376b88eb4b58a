// Builds the renderer (a plain browser page) to dist/renderer. `base: './'` keeps asset URLs relative
// so the same build loads from file:// in Electron and from `xpuscope serve` over HTTP.
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

// The CSP meta tag in index.html forbids inline scripts; Vite's dev server injects one (React
// refresh), so the tag is dropped in dev only. Built output always carries it.
const relaxCspInDev: Plugin = {
  name: 'xpuscope-relax-csp-in-dev',
  apply: 'serve',
  transformIndexHtml: (html) => html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\s*/, ''),
};

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react(), relaxCspInDev],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    // One small app: no need for modulepreload polyfills (which would need inline script).
    modulePreload: { polyfill: false },
  },
});
