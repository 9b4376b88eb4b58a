// The Devices view end to end, on both targets (web via `xpuscope serve`, electron via the app):
// the simulated A770 under a "Simulated devices" badge, and the empty state when no Level Zero
// driver exists (this machine has no Intel GPU).
import { expect, test } from './fixtures.js';

test.describe('devices', () => {
  test('lists the simulated Arc A770 under a "Simulated devices" badge', async ({
    openApp,
    saveScreenshot,
  }) => {
    const { page, consoleErrors } = await openApp({ driver: 'sim' });

    const row = page.getByTestId('device-row').filter({ hasText: 'Intel(R) Arc(TM) A770 Graphics' });
    await expect(row).toHaveCount(1);
    await expect(row.getByTestId('device-type')).toHaveText('GPU');
    await expect(row.getByTestId('device-memory')).toHaveText(/GiB$/);
    await expect(row.getByTestId('device-driver-version')).toHaveText(/^\d+\.\d+\.\d+/);

    const badge = page.getByTestId('simulated-badge');
    await expect(badge).toBeVisible();
    await expect(badge).toHaveText('Simulated devices');
    await expect(badge).toHaveAttribute('title', /sim/i);
    await expect(page.getByTestId('driver-reason')).toBeVisible();
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'open');

    // Keyboard: the badge (with its reason) and the device row are reachable with Tab.
    const focused: string[] = [];
    // (past the seven view buttons of the navigation and the Refresh button)
    for (let i = 0; i < 16; i++) {
      await page.keyboard.press('Tab');
      focused.push(await page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? ''));
    }
    expect(focused).toContain('simulated-badge');
    expect(focused).toContain('device-row');

    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await saveScreenshot(page, 'devices-sim-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await saveScreenshot(page, 'devices-sim-light');
    expect(consoleErrors).toEqual([]);
  });

  test('explains the empty list when no Level Zero driver is installed', async ({
    openApp,
    saveScreenshot,
  }) => {
    const { page, consoleErrors } = await openApp({ driver: 'system' });

    const empty = page.getByTestId('devices-empty');
    await expect(empty).toBeVisible();
    await expect(page.getByTestId('problem-title')).toHaveText(/no level zero driver/i);
    await expect(page.getByTestId('problem-detail')).not.toBeEmpty();
    await expect(page.getByTestId('problem-hint')).toContainText('What to do');
    await expect(page.getByTestId('problem-hint')).toContainText(/install|--driver sim/i);
    await expect(page.getByTestId('simulated-badge')).toHaveCount(0);
    await expect(page.getByTestId('device-row')).toHaveCount(0);

    await saveScreenshot(page, 'devices-no-driver');
    expect(consoleErrors).toEqual([]);
  });

  test('shows a connection error when the service goes away', async ({
    openApp,
    saveScreenshot,
  }, testInfo) => {
    test.skip(testInfo.project.name !== 'web', 'the desktop app restarts its own service instead');
    const { page, stopServer } = await openApp({ driver: 'sim' });
    await expect(page.getByTestId('device-row')).toHaveCount(1);

    await stopServer!();
    const error = page.getByTestId('connection-error');
    await expect(error).toBeVisible();
    await expect(page.getByTestId('connection-error-message')).toContainText(/xpuscope service/);
    await expect(page.getByTestId('connection-retry')).toBeVisible();
    await expect(page.getByTestId('connection-status')).not.toHaveAttribute('data-state', 'open');
    // The last known devices stay visible (marked stale) under the error.
    await expect(page.getByTestId('device-row')).toHaveCount(1);
    await saveScreenshot(page, 'connection-error');
    // (Chromium logs the failed WebSocket reconnects as console errors: not asserted here.)
  });
});
