// Every run its own capture (issue 20, issue 16's captures list) and a service restart that keeps what
// the page shows (issue 15), through `xpuscope serve` in Chromium. Two pages are two clients: what one
// selects or imports never moves the other.
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';

const spanCount = (page: Page): Promise<number> =>
  page.evaluate(
    () => (window as unknown as { __xpuscopeTimeline: { spanCount: number } }).__xpuscopeTimeline.spanCount,
  );

async function runScenario(
  page: Page,
  name: string,
  params: Record<string, string> = {},
  wait = true,
): Promise<void> {
  await page.keyboard.press('4');
  await expect(page.getByTestId('scenarios-view')).toBeVisible();
  await page.getByTestId('scenario-select').selectOption(name);
  for (const [k, v] of Object.entries(params)) await page.getByTestId(`param-${k}`).fill(v);
  await page.getByTestId('scenario-run').click();
  if (wait) await expect(page.getByTestId('scenario-result')).toBeVisible({ timeout: 45_000 });
}

/** The rows of the captures list (newest first): kind, name, ops, viewing. */
async function rows(page: Page): Promise<{ kind: string; name: string; ops: number; viewing: boolean }[]> {
  return page.getByTestId('capture-row').evaluateAll((trs) =>
    trs.map((tr) => ({
      kind: tr.getAttribute('data-kind') ?? '',
      name: tr.querySelector('[data-testid="capture-show"]')?.textContent ?? '',
      ops: Number(
        (tr.querySelector('[data-testid="capture-ops"]')?.textContent ?? '0')
          .replace(/[^\d].*$/, '')
          .replace(/,/g, ''),
      ),
      viewing: tr.getAttribute('aria-current') === 'true',
    })),
  );
}

test.describe('captures', () => {
  test('each run is its own capture; a page switches only itself', async ({
    openApp,
    saveScreenshot,
  }, testInfo) => {
    test.skip(testInfo.project.name !== 'web', 'two pages are two clients of xpuscope serve');
    const { page, url, consoleErrors } = await openApp({ driver: 'sim' });
    await expect(page.getByTestId('device-row')).toHaveCount(1);
    await runScenario(page, 'concurrency', { streams: '2', kernels: '3' });
    await runScenario(page, 'event-chain');
    await page.keyboard.press('3');
    await expect(page.getByTestId('timeline-view')).toBeVisible();
    await expect(page.getByTestId('capture-row')).toHaveCount(2);
    await expect
      .poll(async () => (await rows(page)).map((r) => [r.kind, r.name, r.viewing]))
      .toEqual([
        ['scenario', 'event-chain', true],
        ['scenario', 'concurrency', false],
      ]);
    const [chain, conc] = await rows(page);
    expect(conc!.ops).toBeGreaterThanOrEqual(6); // 2 streams × 3 kernels (and their events)
    expect(conc!.ops).not.toBe(chain!.ops);
    await expect.poll(() => spanCount(page)).toBe(chain!.ops);
    await expect(page.getByTestId('captures-follow')).toBeChecked();

    // A second page is a second client: it follows the newest run.
    const other = await page.context().newPage();
    await other.goto(url);
    await expect(other.getByTestId('device-row')).toHaveCount(1);
    await other.keyboard.press('3');
    await expect(other.getByTestId('capture-row')).toHaveCount(2);
    await expect.poll(() => spanCount(other)).toBe(chain!.ops);

    // Selecting the older run shows it here only.
    await page.getByTestId('capture-row').nth(1).getByTestId('capture-show').click();
    await expect.poll(() => spanCount(page)).toBe(conc!.ops);
    await expect(page.getByTestId('captures-follow')).not.toBeChecked();
    await expect(page.getByTestId('capture-row').nth(1)).toHaveAttribute('aria-current', 'true');
    await expect(page.getByTestId('timeline-title')).toHaveText('Scenario run concurrency');
    await expect(page.getByTestId('timeline-stats')).toContainText(`${conc!.ops} spans`);
    await saveScreenshot(page, 'captures');
    await page.waitForTimeout(300);
    expect(await spanCount(other)).toBe(chain!.ops);
    await expect(other.getByTestId('captures-follow')).toBeChecked();

    // A new run moves the follower, not the page that pinned a capture.
    await runScenario(other, 'concurrency', { streams: '1', kernels: '2' });
    await other.keyboard.press('3');
    await expect(other.getByTestId('capture-row')).toHaveCount(3);
    const newest = (await rows(other))[0]!;
    expect(newest).toMatchObject({ kind: 'scenario', name: 'concurrency', viewing: true });
    await expect.poll(() => spanCount(other)).toBe(newest.ops);
    await page.waitForTimeout(300);
    expect(await spanCount(page)).toBe(conc!.ops);
    await expect(page.getByTestId('capture-row')).toHaveCount(3);

    // Closing the capture a page views sends it back to the newest.
    await page.getByTestId('capture-row').nth(2).getByTestId('capture-close').click();
    await expect(page.getByTestId('capture-row')).toHaveCount(2);
    await expect(page.getByTestId('captures-follow')).toBeChecked();
    await expect.poll(() => spanCount(page)).toBe(newest.ops);
    expect(consoleErrors).toEqual([]);
  });

  test('the service process restarts mid-run and the page keeps what it showed', async ({
    openApp,
  }, testInfo) => {
    test.skip(testInfo.project.name !== 'web', 'kills the service process of xpuscope serve');
    const { page, servicePid, consoleErrors } = await openApp({ driver: 'sim' });
    await expect(page.getByTestId('device-row')).toHaveCount(1);
    // A long run: 2 streams × 200 kernels of 10 ms.
    await runScenario(page, 'concurrency', { streams: '2', kernels: '200', durationMs: '10' }, false);
    await expect(page.getByTestId('scenario-progress')).toBeVisible();
    await expect.poll(() => spanCount(page), { timeout: 20_000 }).toBeGreaterThan(20);
    const pid = servicePid!();
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    const notice = page.getByText(/stopped unexpectedly \(signal SIGKILL\) and was restarted/);
    await expect(notice).toBeVisible({ timeout: 20_000 });
    const held = await spanCount(page);
    expect(held).toBeGreaterThan(20);
    await page.keyboard.press('3');
    await expect(page.getByTestId('timeline-view')).toBeVisible();
    await page.waitForTimeout(500);
    expect(await spanCount(page)).toBe(held); // nothing dropped by the restart
    expect(servicePid!()).not.toBe(pid);
    // The next run is a capture of the new process; it arrives as before.
    await runScenario(page, 'concurrency', { streams: '2', kernels: '3', durationMs: '1' });
    await page.keyboard.press('3');
    await expect(page.getByTestId('capture-row')).toHaveCount(1); // the new process's list
    const [run] = await rows(page);
    expect(run).toMatchObject({ kind: 'scenario', viewing: true });
    await expect.poll(() => spanCount(page)).toBe(run!.ops);
    const errors = consoleErrors.filter((e) => !/WebSocket|Failed to load resource/.test(e));
    expect(errors).toEqual([]);
  });
});
