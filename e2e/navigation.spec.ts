// Navigation as a browser user expects it (issue 20): each view has a URL — reload keeps the view, Back
// and Forward move between views — and when the service goes away every view says "not connected"
// instead of loading forever.
import { expect, test } from './fixtures.js';

test.describe('navigation', () => {
  test('each view has a URL: reload keeps it, Back and Forward move between views', async ({
    openApp,
  }, testInfo) => {
    test.skip(testInfo.project.name !== 'web', 'browser history belongs to the served page');
    const { page, consoleErrors } = await openApp({ driver: 'sim' });
    await expect(page.getByTestId('device-row')).toHaveCount(1);
    await expect(page).toHaveURL(/#\/devices$/);
    await page.keyboard.press('3');
    await expect(page).toHaveURL(/#\/timeline$/);
    await page.getByTestId('nav-record').click();
    await expect(page).toHaveURL(/#\/record$/);
    await page.reload();
    await expect(page.getByTestId('nav-record')).toHaveAttribute('aria-current', 'page');
    await page.goBack();
    await expect(page.getByTestId('timeline-view')).toBeVisible();
    await page.goForward();
    await expect(page.getByTestId('nav-record')).toHaveAttribute('aria-current', 'page');
    expect(consoleErrors).toEqual([]);
  });

  test('without the service, views say "not connected" instead of loading forever', async ({
    openApp,
  }, testInfo) => {
    test.skip(testInfo.project.name !== 'web', 'stops the served page’s server');
    const { page, stopServer } = await openApp({ driver: 'sim' });
    await expect(page.getByTestId('device-row')).toHaveCount(1);
    await stopServer!();
    await expect(page.getByTestId('not-connected')).toBeVisible({ timeout: 20_000 });
    await page.keyboard.press('4');
    await expect(page.getByTestId('scenarios-not-connected')).toBeVisible();
  });
});
