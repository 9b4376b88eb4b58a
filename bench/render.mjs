// bench/render.mjs — `render`: timeline frame time at 10,000,000 spans.
//   measured: the built renderer (dist/renderer, file:// with a stand-in Electron bridge as in
//             e2e/timeline-scale.spec.ts) in headless Chromium (/usr/bin/chromium, --disable-gpu: software
//             raster) holding 10 M synthetic spans in 64 lanes (generated and encoded in the page, fed through
//             the bridge's onBatch as timeline batches). A scripted sweep — fit, 30 zoom-ins (W), 10 pans
//             right (D), 10 left (A), 30 zoom-outs (S) — one key per drawn frame; frame time = the timeline's
//             own per-frame draw time (`__xpuscopeTimeline.lastFrameMs`), p95 over the sweep.
//   baseline: the same page and sweep with an empty timeline (no spans).
//   BENCH_CDP_PROFILE=file writes a CPU profile of the page during the full sweeps.
//   target:   p95 ≤ 16.7 ms and ≤ 3× the baseline's p95. Median p95 of 3 sweeps (1 in --quick; --quick
//             uses 1 M spans).
/* global window -- page-side callbacks run in Chromium */
import { pathToFileURL } from 'node:url';
import {
  bridgeScript,
  encoderScript,
  hook,
  launch,
  openTimeline,
  pageProfiler,
  rendererIndex,
  samplerScript,
  VIEWPORT,
  waitFrame,
} from './browser.mjs';
import { median, percentile } from './lib.mjs';

export const meta = { id: 'render' };
const SWEEP = [
  'f',
  ...Array(30).fill('w'),
  ...Array(10).fill('d'),
  ...Array(10).fill('a'),
  ...Array(30).fill('s'),
];

async function sweep(page) {
  await page.evaluate(() => window.__benchFrames.start());
  for (const k of SWEEP) {
    const before = (await hook(page)).frames;
    await page.keyboard.press(k);
    await waitFrame(page, before).catch(() => {}); // keys that change nothing (fit on an empty view) draw nothing
  }
  const { draw, raf } = await page.evaluate(() => window.__benchFrames.stop());
  return { draw, raf };
}

export async function run({ quick, log }) {
  const total = quick ? 1_000_000 : 10_000_000;
  const lanes = 64;
  const reps = quick ? 1 : 3;
  const idx = rendererIndex();
  const enc = await encoderScript();
  const browser = await launch();
  const result = {};
  try {
    for (const mode of ['empty', 'full']) {
      const page = await browser.newPage({ viewport: VIEWPORT });
      await page.addInitScript(enc);
      await page.addInitScript(bridgeScript);
      await page.addInitScript(samplerScript);
      const errors = await openTimeline(page, pathToFileURL(idx.path).href);
      let loadMs = 0;
      if (mode === 'full') {
        const t0 = Date.now();
        await page.evaluate(([n, l]) => window.__benchPush(n, l, 250_000), [total, lanes]);
        await page.waitForFunction((n) => window.__xpuscopeTimeline.spanCount >= n, total, {
          timeout: 600_000,
          polling: 500,
        });
        loadMs = Date.now() - t0;
      }
      const canvas = page.getByTestId('timeline-canvas');
      await canvas.click({ position: { x: 5, y: 5 } }).catch(() => {});
      // BENCH_CDP_PROFILE=file: a CPU profile of the page over the full mode's sweeps
      const prof = mode === 'full' ? await pageProfiler(page) : null;
      await prof?.start();
      const p95s = [];
      let all = [];
      let rafAll = [];
      for (let r = 0; r < reps; r++) {
        const { draw, raf } = await sweep(page);
        p95s.push(percentile(draw, 95));
        all = all.concat(draw);
        rafAll = rafAll.concat(raf);
        log(
          `  ${mode} sweep ${r + 1}: ${draw.length} frames, draw p50 ${percentile(draw, 50).toFixed(2)} ms p95 ${percentile(draw, 95).toFixed(2)} ms max ${Math.max(...draw).toFixed(1)} ms; rAF interval p95 ${percentile(raf, 95).toFixed(1)} ms`,
        );
      }
      await prof?.stop();
      const h = await hook(page);
      result[mode] = {
        p95: median(p95s),
        p50: percentile(all, 50),
        frames: all.length,
        rafP95: percentile(rafAll, 95),
        spans: h.spanCount,
        lanes: h.lanes,
        drawnRects: h.drawnRects,
        loadMs,
        errors,
      };
      await page.close();
    }
  } finally {
    await browser.close();
  }
  const f = result.full,
    e = result.empty;
  if (f.spans < total) throw new Error(`the page holds ${f.spans} spans, expected ${total}`);
  const ratio = f.p95 / e.p95;
  return {
    rows: [
      {
        name: `frame p95, ${(total / 1e6).toFixed(0)} M spans / ${lanes} lanes vs empty`,
        measured: f.p95,
        baseline: e.p95,
        ratio,
        target: '≤ 16.7 ms and ≤ 3×',
        pass: f.p95 <= 16.7 && ratio <= 3,
        unit: 'ms',
      },
    ],
    notes: [
      `renderer built ${idx.builtAt}; ${f.spans} spans in ${f.lanes} lanes loaded in ${(f.loadMs / 1000).toFixed(1)} s; ${f.frames} frames (p50 ${f.p50.toFixed(2)} ms), empty ${e.frames} frames (p50 ${e.p50.toFixed(2)} ms); rAF-interval p95 ${f.rafP95.toFixed(1)} vs ${e.rafP95.toFixed(1)} ms; viewport ${VIEWPORT.width}×${VIEWPORT.height}, software raster`,
      ...(f.errors.length || e.errors.length
        ? [`page errors: ${[...f.errors, ...e.errors].slice(0, 3).join(' | ')}`]
        : []),
    ],
  };
}
