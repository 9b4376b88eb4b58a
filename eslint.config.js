// Lint rules, including the import boundaries between folders (VS Code style: code is named by where
// it runs, and lint enforces who may import whom).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const uiPackages = ['electron', 'react', 'react-dom', 'react-dom/*', 'zustand', 'recharts'];

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
    // renderer/: runs in a browser page (sandboxed Electron window or any browser via `xpuscope serve`).
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron', 'koffi', 'ws'].map((name) => ({
            name,
            message: 'renderer/ talks to the service only through InspectorApi.',
          })),
          patterns: [
            { group: ['node:*'], message: 'renderer/ runs in a browser page.' },
            {
              group: ['**/runtime/**', '**/host/**', '**/electron/**'],
              message: 'renderer/ imports only the protocol/ contract types.',
            },
          ],
        },
      ],
    },
  },
  {
    // host/: the service, `xpuscope serve` and the CLI — plain Node, no Electron, no React.
    files: ['host/**/*.ts'],
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
    },
  },
);
