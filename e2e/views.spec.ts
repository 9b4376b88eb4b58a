// Every view end to end against the simulated driver: keyboard navigation, the live timeline filled by
// a scenario (test hook AND canvas pixels), zoom/pan/selection, diagnostics, trace export → import.
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';

interface Hook {
  spanCount: number;
  lanes: number;
  visibleRange: [number, number];
  drawnRects: number;
  frames: number;
  batches: number;
  selectedId: number | null;
}

const hook = (page: Page): Promise<Hook> =>
  page.evaluate(() => {
    const h = (window as unknown as { __xpuscopeTimeline: Hook }).__xpuscopeTimeline;
    return { ...h, visibleRange: [...h.visibleRange] as [number, number] };
  });

/** Pixels of the timeline canvas (right of the lane labels, below the axis) in a span colour. */
async function spanPixels(page: Page): Promise<{ count: number; first: { x: number; y: number } | null }> {
  return page.getByTestId('timeline-canvas').evaluate((canvas: HTMLCanvasElement) => {
    const ctx = canvas.getContext('2d')!;
    const { width, height } = canvas;
    const dpr = width / canvas.getBoundingClientRect().width;
    const data = ctx.getImageData(0, 0, width, height).data;
    // Span colours of both themes (renderer/timeline/draw.ts); tolerance for anti-aliasing.
    const colours = [
      [90, 169, 255],
      [76, 195, 138],
      [224, 163, 65],
      [185, 140, 255],
      [255, 122, 182],
      [31, 111, 209],
      [31, 138, 85],
      [183, 121, 31],
      [124, 77, 255],
      [194, 24, 91],
    ];
    let count = 0;
    let first: { x: number; y: number } | null = null;
    const x0 = Math.ceil(172 * dpr),
      y0 = Math.ceil(26 * dpr);
    for (let y = y0; y < height; y++) {
      for (let x = x0; x < width; x++) {
        const i = (y * width + x) * 4;
        const r = data[i]!,
          g = data[i + 1]!,
          b = data[i + 2]!;
        if (colours.some((c) => Math.abs(c[0]! - r) + Math.abs(c[1]! - g) + Math.abs(c[2]! - b) < 12)) {
          count++;
          if (!first) first = { x: x / dpr, y: y / dpr };
        }
      }
    }
    return { count, first };
  });
}

async function runScenario(page: Page, name = 'concurrency'): Promise<void> {
  await page.keyboard.press('4');
  await expect(page.getByTestId('scenarios-view')).toBeVisible();
  const select = page.getByTestId('scenario-select');
  await expect(select).toBeVisible();
  await select.selectOption(name);
  await page.getByTestId('scenario-run').click();
  await expect(page.getByTestId('scenario-result')).toBeVisible({ timeout: 45_000 });
  await expect(page.getByTestId('scenario-explanation')).not.toBeEmpty();
  await expect.poll(async () => (await hook(page)).spanCount).toBeGreaterThan(0);
}

test.describe('views', () => {
  test('every view renders from the keyboard, with no console errors', async ({
    openApp,
    saveScreenshot,
  }) => {
    const { page, consoleErrors } = await openApp({ driver: 'sim' });
    await expect(page.getByTestId('device-row')).toHaveCount(1);
    await expect(page.getByTestId('device-engine').first()).toBeVisible();

    const views = [
      ['1', 'devices-view'],
      ['2', 'properties-view'],
      ['3', 'timeline-view'],
      ['4', 'scenarios-view'],
      ['5', 'counters-view'],
      ['6', 'diagnostics-view'],
      ['7', 'traces-view'],
    ] as const;
    for (const [key, id] of views) {
      await page.keyboard.press(key);
      await expect(page.getByTestId(id)).toBeVisible();
      if (id === 'properties-view') {
        await expect(page.getByTestId('prop-row').first()).toBeVisible();
        const source = page.getByTestId('prop-row').first().getByTestId('prop-source');
        await expect(source).toHaveText(/^ze[A-Za-z]+/); // visible beside the value, as the CLI prints it
        await expect(page.getByTestId('prop-row').filter({ hasText: 'PCI address' })).toHaveCount(1);
        await page.getByTestId('properties-filter').fill('memory');
        await expect(page.getByTestId('prop-group-memory')).toBeVisible();
        await expect(page.getByTestId('prop-group-features')).toHaveCount(0);
        await page.getByTestId('properties-copy').first().click();
        await expect(page.getByTestId('properties-copied')).toBeVisible();
        await page.getByTestId('properties-compare').check();
        await expect(page.getByTestId('properties-panel')).toHaveCount(2);
        await page.getByTestId('properties-filter').fill('');
        await page.getByTestId('properties-filter').blur();
      }
      // Counters are sampled for devices in use: empty until something ran (see the scenario test).
      if (id === 'counters-view')
        await expect(
          page.getByTestId('counters-empty').or(page.getByTestId('counters-latest')),
        ).toBeVisible();
      if (id === 'scenarios-view') await expect(page.getByTestId('scenario-form')).toBeVisible();
      await saveScreenshot(page, `view-${id.replace('-view', '')}`);
    }
    // Alt+digit works even from a text field.
    await page.keyboard.press('2');
    await page.getByTestId('properties-filter').focus();
    await page.keyboard.press('Alt+3');
    await expect(page.getByTestId('timeline-view')).toBeVisible();
    expect(consoleErrors).toEqual([]);
  });

  test('a scenario fills the live timeline; zoom, pan and selection work', async ({
    openApp,
    saveScreenshot,
  }) => {
    const { page, consoleErrors } = await openApp({ driver: 'sim' });
    await expect(page.getByTestId('device-row')).toHaveCount(1);
    await runScenario(page, 'event-chain');
    await expect(page.getByTestId('result-chart').locator('.recharts-bar-rectangle').first()).toBeVisible();
    await saveScreenshot(page, 'scenario-result');
    await page.keyboard.press('5');
    await expect(page.getByTestId('counters-latest')).toBeVisible();
    await expect(page.getByTestId('chart-ops').locator('.recharts-line-curve').first()).toBeVisible();
    await saveScreenshot(page, 'counters');

    await page.keyboard.press('3');
    const canvas = page.getByTestId('timeline-canvas');
    await expect(canvas).toBeVisible();
    await page.getByTestId('timeline-fit').click();
    await expect.poll(async () => (await hook(page)).drawnRects).toBeGreaterThan(0);
    const pixels = await spanPixels(page);
    expect(pixels.count).toBeGreaterThan(50);
    await saveScreenshot(page, 'timeline-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(async () => (await spanPixels(page)).count).toBeGreaterThan(50);
    await saveScreenshot(page, 'timeline-light');
    await page.emulateMedia({ colorScheme: 'dark' });

    // Wheel zoom around the cursor narrows the window.
    const before = await hook(page);
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + 60);
    await page.mouse.wheel(0, -400);
    await expect
      .poll(async () => {
        const h = await hook(page);
        return h.visibleRange[1] - h.visibleRange[0];
      })
      .toBeLessThan(before.visibleRange[1] - before.visibleRange[0]);
    await saveScreenshot(page, 'timeline-dependencies');
    // D pans right, A pans left (Perfetto keys), F fits again.
    await canvas.focus();
    const zoomed = await hook(page);
    await page.keyboard.press('d');
    await expect.poll(async () => (await hook(page)).visibleRange[0]).toBeGreaterThan(zoomed.visibleRange[0]);
    // Drag pans too.
    const dragged = await hook(page);
    await page.mouse.move(box.x + 600, box.y + 80);
    await page.mouse.down();
    await page.mouse.move(box.x + 400, box.y + 80, { steps: 4 });
    await page.mouse.up();
    await expect
      .poll(async () => (await hook(page)).visibleRange[0])
      .toBeGreaterThan(dragged.visibleRange[0]);
    await page.keyboard.press('f');

    // Click a span: the details panel shows it.
    await expect.poll(async () => (await spanPixels(page)).first).not.toBeNull();
    const { first } = await spanPixels(page);
    await page.mouse.move(box.x + first!.x + 1, box.y + first!.y + 2);
    await expect(page.getByTestId('timeline-tooltip')).toBeVisible();
    await page.mouse.click(box.x + first!.x + 1, box.y + first!.y + 2);
    await expect(page.getByTestId('span-details')).toBeVisible();
    await expect(page.getByTestId('span-name')).not.toBeEmpty();
    await expect(page.getByTestId('span-duration')).toHaveText(/(ns|µs|ms|s)$/);
    await expect(page.getByTestId('span-latency')).toHaveText(/(ns|µs|ms|s)$/);
    expect((await hook(page)).selectedId).not.toBeNull();
    await saveScreenshot(page, 'timeline-selected');
    expect(consoleErrors).toEqual([]);
  });

  test('diagnostics level 1 passes on the simulator and exports JUnit', async ({
    openApp,
    saveScreenshot,
  }, testInfo) => {
    const { page, consoleErrors } = await openApp({ driver: 'sim' });
    await expect(page.getByTestId('device-row')).toHaveCount(1);
    await page.keyboard.press('6');
    await page.getByTestId('diag-run-1').click();
    await expect(page.getByTestId('diag-report')).toBeVisible({ timeout: 45_000 });
    await expect(page.getByTestId('diag-check').first()).toBeVisible();
    await expect(page.locator('[data-testid="diag-check"][data-status="fail"]')).toHaveCount(0);
    await saveScreenshot(page, 'diagnostics');
    if (testInfo.project.name === 'web') {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('diag-export-junit').click(),
      ]);
      const xml = readFileSync(await download.path(), 'utf8');
      expect(xml).toMatch(/^<\?xml/);
      expect(xml).toContain('<testsuites');
      expect(xml).toContain('failures="0"');
    }
    expect(consoleErrors).toEqual([]);
  });

  test('export writes a trace that import reads back into the same timeline', async ({
    openApp,
    saveScreenshot,
  }, testInfo) => {
    test.skip(
      testInfo.project.name !== 'web',
      'the desktop app uses native file dialogs, which Playwright cannot drive',
    );
    const { page, consoleErrors } = await openApp({ driver: 'sim' });
    await expect(page.getByTestId('device-row')).toHaveCount(1);
    await runScenario(page, 'concurrency');
    await page.keyboard.press('7');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('trace-export').click(),
    ]);
    const exported = page.getByTestId('trace-exported');
    await expect(exported).toContainText('Exported');
    const spans = Number(
      (/Exported ([\d,]+) operations/.exec((await exported.textContent()) ?? '')?.[1] ?? '0').replace(
        /,/g,
        '',
      ),
    );
    expect(spans).toBeGreaterThanOrEqual(16);
    // The timeline holds exactly what was exported once the last batch arrived.
    await expect.poll(async () => (await hook(page)).spanCount).toBe(spans);
    const before = spans;
    const file = await download.path();
    const json = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    expect(json).toBeTruthy();

    await page.getByTestId('trace-file').setInputFiles(file);
    await expect(page.getByTestId('trace-imported')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('trace-imported-spans')).toHaveText(before.toLocaleString('en-US'));
    await expect.poll(async () => (await hook(page)).spanCount).toBe(before);
    await saveScreenshot(page, 'traces-imported');
    await page.getByTestId('trace-open-timeline').click();
    await expect(page.getByTestId('timeline-view')).toBeVisible();
    await expect.poll(async () => (await spanPixels(page)).count).toBeGreaterThan(0);
    expect(consoleErrors).toEqual([]);
  });

  test('views explain themselves with no Level Zero driver', async ({ openApp }) => {
    const { page, consoleErrors } = await openApp({ driver: 'system' });
    await expect(page.getByTestId('devices-empty')).toBeVisible();
    await page.keyboard.press('2');
    await expect(page.getByTestId('properties-empty')).toBeVisible();
    await page.keyboard.press('3');
    await expect(page.getByTestId('timeline-empty')).toBeVisible();
    expect(consoleErrors).toEqual([]);
  });
});
