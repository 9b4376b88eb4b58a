// Lint rules, including the import boundaries between folders (VS Code style: code is named by where
// it runs, and lint enforces who may import whom).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { boundaries } from './scripts/eslint-boundaries.mjs';

const uiPackages = ['electron', 'react', 'react-dom', 'react-dom/*', 'zustand', 'recharts'];

/**
 * The runtime's modules that host/ may import (`boundaries/no-deep-import`; dynamic imports count).
 * Its public entry modules, one per folder:
 * - index.js — the xpu runtime API (runtime/README.md);
 * - timeline/index.js, trace/index.js, scenarios/index.js — the timeline model and analysis, trace
 *   export/import, the scenarios (each folder's README).
 * And three leaves that are public without being re-exported by runtime/index.js:
 * - driver.js — the driver choice beyond configureDriver (resolveDriverChoice for devices.list,
 *   packageRoot for the collector's path); index.js re-exports only configureDriver;
 * - recorder-hub.js, record-clock.js — how a consumer shares the recorder slot and reads the device
 *   clock (host/capture.ts is that consumer); index.js exports only the Recorder type.
 * host/diag/ is exempt below: its checks probe the install beneath the API (loader, layouts, kernels).
 */
const runtimeEntryModules = [
  'index.js',
  'timeline/index.js',
  'trace/index.js',
  'scenarios/index.js',
  'driver.js',
  'recorder-hub.js',
  'record-clock.js',
];
const runtimeGuard = {
  folder: 'runtime',
  allow: runtimeEntryModules,
  message: 'Import the runtime through its entry modules (eslint.config.js lists them and why).',
};

/** protocol/ modules that pull in zod (everything else there is types and plain code). */
const zodModules = ['**/protocol/schemas.js', '**/protocol/index.js'];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'native/**',
      'e2e/artifacts/**',
      'test-results/**',
      'playwright-report/**',
      'release/**',
      'bench/results/**',
      '.xpuscope-*',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Playwright specs and benchmarks also run code inside the page (page.evaluate callbacks).
    files: ['e2e/**/*.ts'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    // runtime/: the xpu runtime core runs in plain Node (CLI, server, Electron utility process).
    files: ['runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: uiPackages.map((name) => ({
            name,
            message: 'runtime/ must not depend on UI or Electron code.',
          })),
          patterns: [
            {
              group: ['**/renderer/**', '**/electron/**', '**/host/**'],
              message: 'runtime/ is the bottom layer: it imports only protocol/ types.',
            },
          ],
        },
      ],
    },
  },
  {
    // protocol/: pure data contracts shared by every side.
    files: ['protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', '**/runtime/**', '**/host/**', '**/electron/**', '**/renderer/**'],
              message: 'protocol/ holds plain types and schemas only.',
            },
          ],
        },
      ],
    },
  },
  {
    // Only schemas.ts (and index.ts, which re-exports it) may use zod: the renderer imports the rest.
    files: ['protocol/**/*.ts'],
    ignores: ['protocol/schemas.ts', 'protocol/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'zod',
              message: 'zod belongs in protocol/schemas.ts (the renderer imports this module).',
            },
          ],
          patterns: [
            {
              group: ['node:*', '**/runtime/**', '**/host/**', '**/electron/**', '**/renderer/**'],
              message: 'protocol/ holds plain types and schemas only.',
            },
            { group: ['./schemas.js', './index.js'], message: 'This module must stay free of zod.' },
          ],
        },
      ],
    },
  },
  {
    // renderer/: runs in a browser page (sandboxed Electron window or any browser via `xpuscope serve`).
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...['electron', 'koffi', 'ws'].map((name) => ({
              name,
              message: 'renderer/ talks to the service only through InspectorApi.',
            })),
            { name: 'zod', message: 'The service validates messages; the page bundle has no zod.' },
          ],
          patterns: [
            { group: ['node:*'], message: 'renderer/ runs in a browser page.' },
            {
              group: ['**/runtime/**', '**/host/**', '**/electron/**'],
              message: 'renderer/ imports only the protocol/ contract types.',
            },
            {
              group: zodModules,
              message: 'Import the zod-free protocol modules (contract.ts, bridge.ts, …), not the schemas.',
            },
          ],
        },
      ],
    },
  },
  {
    // host/: the service, `xpuscope serve` and the CLI — plain Node, no Electron, no React; the runtime
    // only through its entry modules.
    files: ['host/**/*.ts'],
    plugins: { boundaries },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: uiPackages.map((name) => ({ name, message: 'host/ runs in plain Node.' })),
          patterns: [
            { group: ['**/renderer/**', '**/electron/**'], message: 'host/ must not import UI code.' },
          ],
        },
      ],
      'boundaries/no-deep-import': ['error', [runtimeGuard]],
    },
  },
  {
    // host/diag/: driver-install diagnostics check the layers beneath the runtime API (the loader's
    // symbols and versions, struct layouts, raw Level Zero calls, the kernels file), so they may import
    // any runtime module.
    files: ['host/diag/**/*.ts'],
    rules: { 'boundaries/no-deep-import': 'off' },
  },
  {
    // electron/: the desktop shell (main, preload, utility). It hosts the service through host/'s
    // entry point and speaks protocol/; the page's code and the runtime's internals stay out.
    files: ['electron/**/*.ts'],
    plugins: { boundaries },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['react', 'react-dom', 'react-dom/*', 'zustand', 'recharts'].map((name) => ({
            name,
            message: 'electron/ is the shell; UI code lives in renderer/.',
          })),
          patterns: [
            { group: ['**/renderer/**'], message: 'electron/ must not import the page (renderer/).' },
          ],
        },
      ],
      'boundaries/no-deep-import': [
        'error',
        [
          {
            folder: 'host',
            // createService for the utility process: the one host module the shell needs.
            allow: ['service.js'],
            message: 'electron/ uses host/ only through host/service.ts.',
          },
          {
            folder: 'runtime',
            allow: [],
            message: 'electron/ reaches the runtime only through the service (host/service.ts).',
          },
          { folder: 'renderer', allow: [], message: 'electron/ must not import the page (renderer/).' },
        ],
      ],
    },
  },
);
