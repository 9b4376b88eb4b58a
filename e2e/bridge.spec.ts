// The built renderer as the Electron window loads it — from file://, with the strict CSP — talking to
// a stand-in for the preload's `window.xpuscope` bridge. Runs in the web project's Chromium, so the
// Electron transport path is covered even where the Electron binary is absent.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import type { DeviceList } from '../protocol/devices.js';
import { expect, root, test } from './fixtures.js';

const simulated: DeviceList = {
  schema: 'xpuscope.devices/1',
  driver: {
    requested: 'sim',
    mode: 'sim',
    simulated: true,
    reason: 'sim: the simulated Level Zero driver was requested.',
  },
  loader: { library: 'libze_loader.so.1', loaded: true, version: '1.8.0' },
  devices: [
    {
      index: 0,
      name: 'Intel(R) Arc(TM) A770 Graphics',
      type: 'gpu',
      vendorId: 0x8086,
      deviceId: 0x56a0,
      integrated: false,
      simulated: true,
      totalMemory: 16225243136,
      driverVersion: '1.3.27642',
    },
  ],
};

/** Installs the stand-in bridge before any page script runs; `window.__xpuscopePush` plays main. */
async function installBridge(page: Page, list: DeviceList): Promise<void> {
  await page.addInitScript((devices) => {
    const w = window as unknown as Record<string, unknown>;
    w.__xpuscopeCalls = [];
    w.xpuscope = Object.freeze({
      version: 1,
      call: async (method: string) => {
        (w.__xpuscopeCalls as string[]).push(method);
        if (method === 'devices.list') return { result: devices };
        if (method === 'service.hello')
          return { result: { name: 'xpuscope', version: '0.0.0', protocol: 1 } };
        return { error: { code: 'UNKNOWN_METHOD', message: `Unknown method "${method}".` } };
      },
      onEvent: (handler: (m: unknown) => void) => {
        w.__xpuscopePush = handler;
        return () => {};
      },
    });
  }, list);
}

test.describe('renderer over the Electron bridge (file://)', () => {
  test.skip(
    ({ target }) => target !== 'web',
    'runs in plain Chromium; the electron project runs the real app',
  );

  test('shows the devices from the bridge and follows service restarts', async ({
    playwright,
    launchOptions,
    viewport,
    saveScreenshot,
  }) => {
    const browser = await playwright.chromium.launch({
      ...launchOptions,
      // Electron allows module scripts from file://; plain Chromium needs this flag for it.
      args: [...(launchOptions.args ?? []), '--allow-file-access-from-files'],
    });
    try {
      const page = await browser.newPage({ viewport });
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await installBridge(page, simulated);
      await page.goto(pathToFileURL(join(root, 'dist', 'renderer', 'index.html')).href);

      await expect(page.getByTestId('connection-status')).toContainText('electron');
      await expect(page.getByTestId('device-name')).toContainText('Intel(R) Arc(TM) A770 Graphics');
      await expect(page.getByTestId('simulated-badge')).toBeVisible();

      // main reports the utility process died, then that it was restarted.
      await page.evaluate(() => {
        const push = (window as unknown as { __xpuscopePush: (m: unknown) => void }).__xpuscopePush;
        push({
          event: 'service.state',
          data: { state: 'failed', message: 'The xpuscope service stopped (exit code 139); restarting it…' },
        });
      });
      await expect(page.getByTestId('connection-error')).toContainText('exit code 139');
      await page.evaluate(() => {
        const push = (window as unknown as { __xpuscopePush: (m: unknown) => void }).__xpuscopePush;
        push({
          event: 'service.state',
          data: { state: 'restarted', message: 'The xpuscope service was restarted.' },
        });
      });
      await expect(page.getByTestId('connection-error')).toHaveCount(0);
      await expect(page.getByTestId('service-notice')).toContainText('restarted');
      await expect
        .poll(() =>
          page.evaluate(
            () =>
              (window as unknown as { __xpuscopeCalls: string[] }).__xpuscopeCalls.filter(
                (m) => m === 'devices.list',
              ).length,
          ),
        )
        .toBeGreaterThanOrEqual(2);
      await saveScreenshot(page, 'bridge-file-restarted');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
