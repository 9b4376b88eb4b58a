// The Record view end to end (web target): `xpuscope serve --allow-launch --driver sim` launches plain
// Level Zero sample programs (native/samples, built by `make -C native/samples`) with the collector; their
// operations stream into the embedded live timeline while they run, and the view shows the exit, the
// processes, the output and the analysis. Without --allow-launch the server refuses, and a command that
// does not exist is reported as such. Also writes docs/record.png (the README's screenshot).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, root, test } from './fixtures.js';

interface Hook {
  spanCount: number;
  visibleRange: [number, number];
  lanes: number;
  drawnRects: number;
  frames: number;
  selectedId: number | null;
  arrows: number;
  highlighted: number;
}

const hook = (page: Page): Promise<Hook> =>
  page.evaluate(() => {
    const h = (window as unknown as { __xpuscopeTimeline: Hook }).__xpuscopeTimeline;
    return { ...h, visibleRange: [...h.visibleRange] as [number, number] };
  });

/** Relative to the repository root, which is the server's working directory (fixtures.ts). */
const SAMPLES = 'native/build/samples';

async function fillForm(
  page: Page,
  form: { command: string; args?: string; driver?: string; env?: string },
): Promise<void> {
  await page.getByTestId('nav-record').click();
  await expect(page.getByTestId('record-view')).toBeVisible();
  await page.getByTestId('record-command').fill(form.command);
  await page.getByTestId('record-args').fill(form.args ?? '');
  if (form.driver) await page.getByTestId('record-driver').selectOption(form.driver);
  await page.getByTestId('record-env').fill(form.env ?? '');
}

/**
 * The first pixel (CSS px, canvas-relative) in the span colour `rgb` inside the rows y ∈ [y0, y1), from
 * x = `x0` on (172: right of the lane labels).
 */
async function pixelOf(
  page: Page,
  rgb: [number, number, number],
  y0: number,
  y1: number,
  x0 = 172,
): Promise<{ x: number; y: number } | null> {
  return page.getByTestId('timeline-canvas').evaluate(
    (canvas: HTMLCanvasElement, { rgb, y0, y1, x0 }) => {
      const ctx = canvas.getContext('2d')!;
      const dpr = canvas.width / canvas.getBoundingClientRect().width;
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let x = Math.ceil(x0 * dpr); x < canvas.width; x++) {
        for (let y = Math.ceil(y0 * dpr); y < Math.min(canvas.height, y1 * dpr); y++) {
          const i = (y * canvas.width + x) * 4;
          const d =
            Math.abs(data[i]! - rgb[0]) + Math.abs(data[i + 1]! - rgb[1]) + Math.abs(data[i + 2]! - rgb[2]);
          if (d < 12) return { x: x / dpr, y: y / dpr };
        }
      }
      return null;
    },
    { rgb, y0, y1, x0 },
  );
}

test.describe('record', () => {
  test.skip(({ target }) => target !== 'web', 'drives `xpuscope serve --allow-launch` from the browser');
  test.beforeAll(() => {
    for (const name of ['multi_engine', 'cross_engine'])
      if (!existsSync(join(root, SAMPLES, name)))
        throw new Error(`${SAMPLES}/${name} is missing: run \`make -C native/samples\` (npm run build does)`);
  });

  test('multi_engine on a simulated Max 1550: spans arrive live, then exit, lanes and analysis', async ({
    openApp,
    saveScreenshot,
  }) => {
    test.setTimeout(90_000);
    const { page, consoleErrors } = await openApp({ driver: 'sim', allowLaunch: true });
    await page.setViewportSize({ width: 1440, height: 900 });
    // --iterations makes each kernel ~10 ms of modelled time (the default is ~3 ms), so the program
    // runs for about 2 s: long enough to see its spans arrive while it still runs.
    await fillForm(page, {
      command: `${SAMPLES}/multi_engine`,
      args: '--lists 4 --kernels 40 --iterations 4000000',
      driver: 'sim',
      env: 'XPUSIM_PROFILE=max-1550',
    });
    await expect(page.getByTestId('record-argv-item')).toHaveText([
      `${SAMPLES}/multi_engine`,
      '--lists',
      '4',
      '--kernels',
      '40',
      '--iterations',
      '4000000',
    ]);
    await page.getByTestId('record-start').click();

    // While it runs: state running, a pid, and spans in the timeline already.
    const state = page.getByTestId('record-state');
    await expect(state).toHaveAttribute('data-state', 'running');
    await expect(page.getByTestId('record-pid')).toHaveText(/^\d+$/);
    await expect
      .poll(
        async () => {
          const st = await state.getAttribute('data-state');
          const spans = (await hook(page)).spanCount;
          if (st !== 'running') return `the program ended before spans were seen (${spans} spans)`;
          return spans > 0 ? 'spans while running' : 'waiting';
        },
        { timeout: 20_000, intervals: [50] },
      )
      .toBe('spans while running');
    await expect(page.getByTestId('record-timeline')).toBeVisible();
    await expect(page.getByTestId('record-stop')).toBeEnabled();

    // The end: exit code 0, every op (4 lists × (40 kernels + 1 barrier)), the analysis.
    await expect(state).toHaveAttribute('data-state', 'finished', { timeout: 45_000 });
    await expect(page.getByTestId('record-exit')).toHaveAttribute('data-code', '0');
    await expect(page.getByTestId('record-exit-text')).toHaveText('The program exited with code 0.');
    await expect(page.getByTestId('record-ops')).toHaveText('164');
    await expect.poll(async () => (await hook(page)).spanCount).toBe(164);
    await expect(page.getByTestId('record-summary')).not.toBeEmpty();
    await expect(page.getByTestId('record-analysis')).toBeVisible();
    await expect(page.getByTestId('record-engine')).toHaveCount(4);
    await expect(page.getByTestId('record-stop')).toBeDisabled();
    await expect(page.getByTestId('record-caveats')).toHaveCount(0); // nothing dropped, lost or untimed

    // Four lanes, each an immediate list on its own compute engine, under the process and device.
    const lanes = page.getByTestId('timeline-lane');
    await expect(lanes).toHaveCount(4);
    const names = (await lanes.allTextContents()).sort();
    expect(names).toEqual(['immediate list 1', 'immediate list 2', 'immediate list 3', 'immediate list 4']);
    const engines = await lanes.evaluateAll((els) => els.map((e) => e.getAttribute('data-engine')));
    expect(new Set(engines)).toEqual(new Set(['compute 0.0', 'compute 0.1', 'compute 0.2', 'compute 0.3']));
    const groups = await page.getByTestId('timeline-group-label').allTextContents();
    expect(groups).toHaveLength(4);
    for (const g of groups)
      expect(g).toMatch(
        /^pid \d+ · multi_engine --lists 4 .*— Intel\(R\) Data Center GPU Max 1550 · compute 0\.\d$/,
      );

    // The process and its output.
    await expect(page.getByTestId('record-process')).toHaveCount(1);
    await expect(page.getByTestId('record-process-end')).toHaveText('exited with code 0');
    await expect(page.getByTestId('record-output')).toContainText('multi_engine: 4 lists x 40 kernels ok');
    await expect(page.getByTestId('record-simulated')).toBeVisible();
    await expect.poll(async () => (await hook(page)).drawnRects).toBeGreaterThan(0);

    // The README's screenshot: the finished recording, 1440×900, zoomed in (W) far enough to tell the
    // kernels apart (zoomed out, each lane's back-to-back kernels merge into one bar), a kernel of the
    // second lane selected.
    await page.getByTestId('timeline-fit').click();
    await page.getByTestId('timeline-canvas').focus();
    const fitted = await hook(page);
    const width = (h: Hook) => h.visibleRange[1] - h.visibleRange[0];
    for (let i = 0; i < 7; i++) await page.keyboard.press('w');
    await expect.poll(async () => width(await hook(page))).toBeLessThan(width(fitted) * 0.3);
    await page.evaluate(() => window.scrollTo(0, 0));
    // lane 2's row: axis 24 + header 18 + lane 22 + header 18 = 82 … 104
    await expect.poll(() => pixelOf(page, [90, 169, 255], 85, 101, 520)).not.toBeNull();
    const kernel = (await pixelOf(page, [90, 169, 255], 85, 101, 520))!;
    const canvasBox = (await page.getByTestId('timeline-canvas').boundingBox())!;
    await page.mouse.click(canvasBox.x + kernel.x + 4, canvasBox.y + kernel.y + 4);
    await expect(page.getByTestId('span-name')).toHaveText('busy');
    await expect(page.getByTestId('span-details')).toContainText('immediate list 2');
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(root, 'docs', 'record.png') });
    await saveScreenshot(page, 'record-finished');

    // A finding selects its operations in the timeline.
    const finding = page.getByTestId('record-finding').first();
    await expect(finding).toBeVisible();
    await finding.click();
    await expect.poll(async () => (await hook(page)).highlighted).toBeGreaterThan(0);
    expect((await hook(page)).selectedId).not.toBeNull();
    await expect(page.getByTestId('span-details')).toBeVisible();
    await expect(page.getByTestId('span-details')).toContainText('immediate list');

    // The Timeline view says what it shows.
    await page.getByTestId('record-open-timeline').click();
    await expect(page.getByTestId('timeline-view')).toBeVisible();
    await expect(page.getByTestId('timeline-title')).toHaveText(/^Recording of multi_engine --lists 4/);
    await expect(page.getByTestId('timeline-title')).toHaveAttribute('data-source', 'recording');
    expect(consoleErrors).toEqual([]);
  });

  test('cross_engine: the dependencies between the copy and compute engines show', async ({
    openApp,
    saveScreenshot,
  }) => {
    const { page, consoleErrors } = await openApp({ driver: 'sim', allowLaunch: true });
    await fillForm(page, {
      command: `${SAMPLES}/cross_engine`,
      driver: 'sim',
      env: 'XPUSIM_PROFILE=max-1550',
    });
    await page.getByTestId('record-start').click();
    await expect(page.getByTestId('record-state')).toHaveAttribute('data-state', 'finished', {
      timeout: 30_000,
    });
    await expect(page.getByTestId('record-exit')).toHaveAttribute('data-code', '0');
    // 4 items × (copy H2D → saxpy → copy D2H) + the timestamped busy kernel + its copies
    await expect.poll(async () => (await hook(page)).spanCount).toBe(14);
    const lanes = page.getByTestId('timeline-lane');
    await expect(lanes).toHaveCount(2);
    const engines = await lanes.evaluateAll((els) => els.map((e) => e.getAttribute('data-engine')));
    expect(engines).toEqual(['compute 0.0', 'copy 1.0']);
    await page.getByTestId('timeline-fit').click();
    // Dependency arrows (copy → saxpy → copy) are drawn between the lanes.
    await expect.poll(async () => (await hook(page)).arrows).toBeGreaterThan(0);
    await saveScreenshot(page, 'record-cross-engine');

    // The first kernel of the compute lane (rows: axis 24, group header 18, the lane 42–64) is a saxpy
    // that waited on a host→device copy.
    await expect.poll(() => pixelOf(page, [90, 169, 255], 45, 61)).not.toBeNull();
    const at = (await pixelOf(page, [90, 169, 255], 45, 61))!;
    const box = (await page.getByTestId('timeline-canvas').boundingBox())!;
    await page.mouse.click(box.x + at.x + 2, box.y + at.y + 2);
    await expect(page.getByTestId('span-name')).toHaveText('saxpy');
    await expect(page.getByTestId('span-deps')).toContainText('copy H2D');
    await expect(page.getByTestId('span-dependents')).toContainText('copy D2H');
    expect(consoleErrors).toEqual([]);
  });

  test('Stop interrupts the program and keeps what was recorded', async ({ openApp }) => {
    const { page, consoleErrors } = await openApp({ driver: 'sim', allowLaunch: true });
    // ~100 ms kernels: about 4 s of work, stopped long before it ends.
    await fillForm(page, {
      command: `${SAMPLES}/multi_engine`,
      args: '--lists 2 --kernels 40 --iterations 40000000',
      driver: 'sim',
      env: 'XPUSIM_PROFILE=max-1550',
    });
    await page.getByTestId('record-start').click();
    await expect(page.getByTestId('record-state')).toHaveAttribute('data-state', 'running');
    await expect.poll(async () => (await hook(page)).spanCount, { timeout: 20_000 }).toBeGreaterThan(0);
    await page.getByTestId('record-stop').click();
    await expect(page.getByTestId('record-state')).toHaveAttribute('data-state', 'finished', {
      timeout: 15_000,
    });
    await expect(page.getByTestId('record-exit')).toHaveText('SIGINT');
    await expect(page.getByTestId('record-exit-text')).toHaveText(
      'The program was killed by SIGINT (exit status 130).',
    );
    const spans = (await hook(page)).spanCount;
    expect(spans).toBeGreaterThan(0);
    expect(spans).toBeLessThan(82);
    await expect(page.getByTestId('record-start')).toBeEnabled();
    expect(consoleErrors).toEqual([]);
  });

  test('without --allow-launch, Start shows why and nothing runs', async ({ openApp }) => {
    const { page, consoleErrors } = await openApp({ driver: 'sim' });
    await fillForm(page, { command: `${SAMPLES}/multi_engine`, args: '--lists 4' });
    await page.getByTestId('record-start').click();
    const error = page.getByTestId('record-error');
    await expect(error).toBeVisible();
    await expect(error).toContainText('Launching programs is turned off in this xpuscope server.');
    await expect(error).toContainText('FORBIDDEN');
    await expect(error.locator('.hint')).toContainText('xpuscope serve --allow-launch');
    await expect(page.getByTestId('record-status')).toHaveCount(0);
    await expect(page.getByTestId('record-timeline')).toHaveCount(0);
    expect((await hook(page)).spanCount).toBe(0);
    expect(consoleErrors).toEqual([]);
  });

  test('a command that does not exist is reported as not found', async ({ openApp }) => {
    const { page, consoleErrors } = await openApp({ driver: 'sim', allowLaunch: true });
    await fillForm(page, { command: 'xpuscope-no-such-command-e2e', args: '--help' });
    await page.getByTestId('record-start').click();
    const error = page.getByTestId('record-error');
    await expect(error).toBeVisible();
    await expect(error).toContainText('not found');
    await expect(error).toContainText('NOT_FOUND');
    await expect(page.getByTestId('record-timeline')).toHaveCount(0);
    expect(consoleErrors).toEqual([]);
  });
});
