// Remote inspection (issue 17): the page of one `xpuscope serve` (this machine) connects to another,
// `xpuscope serve --host 0.0.0.0` with its token (the other machine), through the servers panel — the
// desktop app's File › Connect to Server… opens the same panel. The badge and the title say which
// machine is shown; its devices, scenarios and timeline work; when it goes away the page shows it
// reconnecting; back to this machine; the server is remembered for next time.
import type { Page } from '@playwright/test';
import { expect, startServe, stopProcess, test } from './fixtures.js';

const spanCount = (page: Page): Promise<number> =>
  page.evaluate(
    () => (window as unknown as { __xpuscopeTimeline: { spanCount: number } }).__xpuscopeTimeline.spanCount,
  );

test.describe('remote server', () => {
  test('connect to another xpuscope serve with its token, use it, lose it, come back', async ({
    openApp,
    saveScreenshot,
  }, testInfo) => {
    test.skip(testInfo.project.name !== 'web', 'the served UI stands in for the desktop window here');
    const { page, consoleErrors } = await openApp({ driver: 'sim' });
    await expect(page.getByTestId('device-row')).toHaveCount(1); // this machine: one simulated A770
    await expect(page.getByTestId('server-badge')).toHaveText('This machine');

    const remote = await startServe('sim', false, ['--host', '0.0.0.0', '--profile', 'max-1550']);
    try {
      const printed = new URL(remote.url);
      expect(printed.searchParams.get('token')).toBeTruthy();
      const label = printed.host;

      await page.getByTestId('server-badge').click();
      await expect(page.getByTestId('servers-panel')).toBeVisible();
      // a typo is explained, nothing changes
      await page.getByTestId('server-address').fill('ftp://nowhere');
      await page.getByTestId('server-connect').click();
      await expect(page.getByTestId('server-error')).toContainText('not an xpuscope server address');
      await page.getByTestId('server-address').fill(remote.url);
      await page.getByTestId('server-connect').click();

      await expect(page.getByTestId('server-badge')).toHaveText(`Remote ${label}`);
      await expect(page.getByTestId('server-badge')).toHaveAttribute('data-remote', 'true');
      await expect(page).toHaveTitle(`xpuscope — ${label}`);
      await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'open');
      await expect(page.getByTestId('device-row')).toHaveCount(2); // the other machine: two Max 1550 tiles
      await expect(page.getByTestId('device-row').first()).toContainText('Max 1550');

      // a scenario runs there, and its spans arrive here
      await page.keyboard.press('4');
      await page.getByTestId('scenario-select').selectOption('concurrency');
      await page.getByTestId('scenario-run').click();
      await expect(page.getByTestId('scenario-result')).toBeVisible({ timeout: 45_000 });
      await page.keyboard.press('3');
      await expect.poll(() => spanCount(page)).toBeGreaterThan(0);
      await saveScreenshot(page, 'remote');

      // traces move in and out of the other machine: download its export, upload it back (cross-origin,
      // with the token)
      await page.keyboard.press('7');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('trace-export').click(),
      ]);
      await expect(page.getByTestId('trace-exported')).toContainText('Exported');
      await page.getByTestId('trace-file').setInputFiles(await download.path());
      await expect(page.getByTestId('trace-imported')).toBeVisible({ timeout: 30_000 });

      // the other machine goes away: shown, and retried
      await stopProcess(remote.child);
      await expect(page.getByTestId('connection-status')).toHaveAttribute(
        'data-state',
        /reconnecting|closed/,
        {
          timeout: 20_000,
        },
      );
    } finally {
      await stopProcess(remote.child);
    }

    // back to this machine
    await page.getByTestId('server-badge').click();
    await page.getByTestId('server-local').click();
    await expect(page.getByTestId('server-badge')).toHaveText('This machine');
    await expect(page).toHaveTitle('xpuscope');
    await page.keyboard.press('1');
    await expect(page.getByTestId('device-row')).toHaveCount(1);
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'open');

    // remembered for next time
    await page.reload();
    await page.getByTestId('server-badge').click();
    await expect(page.getByTestId('server-recent')).toHaveCount(1);
    expect(
      consoleErrors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(e)),
    ).toEqual([]);
  });
});
