// End-to-end tests: one spec, two targets. `web` opens the UI that `xpuscope serve` serves in the
// system Chromium; `electron` opens the desktop app (skipped, with the reason printed, where the
// Electron binary or a display is missing). See e2e/README.md.
import { defineConfig } from '@playwright/test';
import type { E2eOptions } from './e2e/fixtures.js';

const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export default defineConfig<E2eOptions>({
  testDir: 'e2e',
  outputDir: 'e2e/artifacts/test-results',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  forbidOnly: !!process.env.CI,
  reporter: [['list'], ['json', { outputFile: 'e2e/artifacts/report.json' }]],
  use: {
    viewport: { width: 1280, height: 800 },
    colorScheme: 'dark',
    trace: 'off',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'web',
      use: {
        target: 'web',
        browserName: 'chromium',
        launchOptions: {
          executablePath: process.env.XPUSCOPE_E2E_CHROMIUM ?? '/usr/bin/chromium',
          args: chromiumArgs,
        },
      },
    },
    {
      name: 'electron',
      use: { target: 'electron' },
    },
  ],
});
