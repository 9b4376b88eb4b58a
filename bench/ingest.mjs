// bench/ingest.mjs — `ingest`: live spans/s from the service to the renderer over the real transport.
//   measured: `startServer({ inProcess: true })` (dist/host/serve.js: the service + HTTP + WebSocket `/ws`, what
//             `xpuscope serve` runs, with the service in this process; simulated driver) serves the built renderer to headless
//             Chromium, which opens the timeline view. A producer feeds synthetic OpRecords (64 streams on 2
//             devices, 1–20 µs back-to-back) into the service's live capture (`service.capture.ingest`, the
//             entry the runtime recorder uses) at 500,000 spans/s for 10 s, in 5 ms ticks. The capture
//             batches them (16 ms timer, per-subscriber cursor, WebSocket backpressure) to the page.
//             Counted: spans the producer offered, spans the page holds (`__xpuscopeTimeline.spanCount`)
//             once delivery settles → lost = offered − held; throughput = held / (time the last one arrived −
//             start); frame p95 = the timeline's per-frame draw time while ingesting.
//   baseline: none.
//   target:   ≥ 500,000 spans/s sustained for 10 s, no span lost, p95 frame ≤ 16.7 ms.
//   --quick: 3 s.
/* global window -- page-side callbacks run in Chromium */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  hook,
  launch,
  openTimeline,
  pageProfiler,
  rendererIndex,
  samplerScript,
  VIEWPORT,
} from './browser.mjs';
import { percentile, requireDist, root, simDriver, sleep } from './lib.mjs';

export const meta = { id: 'ingest' };
const RATE = 500_000;

export async function run({ quick, log }) {
  const seconds = quick ? 3 : 10;
  const idx = rendererIndex();
  const { startServer } = await import(pathToFileURL(requireDist('host/serve.js')).href);
  process.env.XPUSCOPE_SIM_DRIVER ??= simDriver;
  // inProcess: the service in this process so the producer can reach its capture (the default `serve` runs the
  // service in a child process and forwards batches over IPC — that extra hop is not measured here).
  const server = await startServer({
    port: 0,
    driver: 'sim',
    profile: 'arc-a770',
    staticDir: join(root, 'dist', 'renderer'),
    inProcess: true,
  });
  const capture = server.service.capture;
  if (!capture || typeof capture.ingest !== 'function') throw new Error('service.capture.ingest is missing');
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: VIEWPORT });
    await page.addInitScript(samplerScript);
    const errors = await openTimeline(page, server.url);
    await sleep(1000); // let the WebSocket subscribe and the first (empty) state arrive
    const base = (await hook(page)).spanCount;
    if (base !== 0) log(`  note: page starts with ${base} spans`);
    const prof = await pageProfiler(page);
    await prof.start();
    await page.evaluate(() => window.__benchFrames.start());

    // producer
    const lanes = 64;
    const engines = Array.from({ length: lanes }, (_, i) =>
      (i & 7) < 6 ? { ordinal: 0, index: i & 3, kind: 'compute' } : { ordinal: 1, index: 0, kind: 'copy' },
    );
    const t = new Float64Array(lanes).fill(1e12);
    let seed = 3;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    let offered = 0;
    const mk = (n) => {
      const out = new Array(n);
      for (let i = 0; i < n; i++) {
        const l = (offered + i) % lanes;
        const copy = (l & 7) >= 6;
        const d = 1000 + rnd() * 19000;
        const s = t[l] + rnd() * 3000;
        out[i] = {
          id: offered + i + 1,
          device: l >> 5,
          stream: 1 + 16 * l,
          engine: engines[l],
          kind: copy ? 'copy' : 'kernel',
          name: copy ? 'copy H2D' : 'gemm_kernel',
          bytes: copy ? 1 << 20 : 0,
          submitNs: t[l] - 500,
          startNs: s,
          endNs: s + d,
          deps: [],
        };
        t[l] = s + d;
      }
      return out;
    };
    const samples = [];
    const t0 = performance.now();
    let producerBehind = 0;
    let mkMs = 0;
    let ingestMs = 0;
    await new Promise((resolve) => {
      const tick = () => {
        const now = performance.now();
        const el = Math.min(seconds * 1000, now - t0);
        const want = Math.floor((RATE * el) / 1000) - offered;
        if (want > 0) {
          const a = performance.now();
          const recs = mk(want);
          const b = performance.now();
          capture.ingest(recs);
          mkMs += b - a;
          ingestMs += performance.now() - b;
          offered += want;
        }
        if (el >= seconds * 1000) return resolve();
        const lag = performance.now() - now;
        if (lag > 5) producerBehind++;
        setTimeout(tick, 5);
      };
      tick();
    });
    const produceMs = performance.now() - t0;
    // wait for delivery to settle: every offered span held, or no progress for 15 s
    let last = -1;
    let lastChange = performance.now();
    let arrivedAt = NaN;
    for (;;) {
      const h = await hook(page);
      const held = h.spanCount - base;
      samples.push([performance.now() - t0, held]);
      if (held >= offered) {
        arrivedAt = performance.now() - t0;
        break;
      }
      if (held !== last) {
        last = held;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > 15_000) break;
      await sleep(100);
    }
    const { draw } = await page.evaluate(() => window.__benchFrames.stop());
    await prof.stop();
    const held = (await hook(page)).spanCount - base;
    const lost = offered - held;
    const totalMs = Number.isFinite(arrivedAt) ? arrivedAt : samples.at(-1)[0];
    const rate = held / (totalMs / 1000);
    const p95 = percentile(draw, 95);
    log(
      `  offered ${offered} in ${(produceMs / 1000).toFixed(2)} s; page holds ${held} after ${(totalMs / 1000).toFixed(2)} s (${rate.toFixed(0)} spans/s); lost ${lost}; ${draw.length} frames p95 ${p95.toFixed(2)} ms`,
    );
    return {
      rows: [
        {
          name: `spans/s to the page over WebSocket (${seconds} s at ${RATE / 1000}k/s offered)`,
          measured: rate,
          baseline: null,
          ratio: null,
          target: '≥ 500000',
          pass: rate >= RATE,
          unit: 'spans/s',
        },
        {
          name: 'spans lost (offered − held)',
          measured: lost,
          baseline: null,
          ratio: null,
          target: '0',
          pass: lost === 0,
          unit: '',
        },
        {
          name: 'frame p95 while ingesting',
          measured: p95,
          baseline: null,
          ratio: null,
          target: '≤ 16.7 ms',
          pass: p95 <= 16.7,
          unit: 'ms',
        },
      ],
      notes: [
        `offered ${offered} spans in ${(produceMs / 1000).toFixed(2)} s = ${(offered / (produceMs / 1000)).toFixed(0)}/s (making the records took ${(mkMs / 1000).toFixed(2)} s, capture.ingest ${(ingestMs / 1000).toFixed(2)} s = ${(offered / (ingestMs / 1000)).toFixed(0)} spans/s into the capture; producer ticks late ${producerBehind}×); held ${held} after ${(totalMs / 1000).toFixed(2)} s; ${draw.length} frames drawn (p50 ${percentile(draw, 50).toFixed(2)} ms); renderer built ${idx.builtAt}`,
        ...(errors.length ? [`page errors: ${errors.slice(0, 3).join(' | ')}`] : []),
      ],
      raw: { samples },
    };
  } finally {
    await browser.close();
    await server.close();
  }
}
