// bench/browser.mjs — headless Chromium helpers for the `render` and `ingest` benchmarks: launch with the
// suite's flags, a stand-in Electron bridge (as e2e/timeline-scale.spec.ts) that can feed synthetic
// timeline batches generated *inside the page* (encodeBatch from protocol/timeline-batch.ts, bundled with
// esbuild), and an in-page frame sampler that records the timeline's own per-frame draw time
// (`__xpuscopeTimeline.lastFrameMs`, every frame it draws) plus requestAnimationFrame intervals.
/* global window -- page-side callbacks run in Chromium */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumArgs, chromiumPath, NotRunnable, root } from './lib.mjs';

export const VIEWPORT = { width: 1600, height: 1000 };

export async function launch() {
  if (!existsSync(chromiumPath)) throw new NotRunnable(`${chromiumPath} is missing`);
  let chromium;
  try {
    ({ chromium } = await import('@playwright/test'));
  } catch (e) {
    throw new NotRunnable(`@playwright/test cannot be loaded (${e.message})`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: [...chromiumArgs, '--allow-file-access-from-files'],
    headless: true,
  });
}

export function rendererIndex() {
  const p = join(root, 'dist', 'renderer', 'index.html');
  if (!existsSync(p)) throw new NotRunnable('dist/renderer/index.html is missing (npm run build:renderer)');
  return { path: p, builtAt: statSync(p).mtime.toISOString() };
}

/** encodeBatch (protocol/timeline-batch.ts) as a script defining window.__benchEncodeBatch. */
export async function encoderScript() {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    stdin: {
      contents: `import { encodeBatch } from './protocol/timeline-batch.ts'; window.__benchEncodeBatch = encodeBatch;`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    write: false,
    target: 'es2022',
  });
  return r.outputFiles[0].text;
}

/** In-page: per drawn frame, the timeline's draw time; and rAF-to-rAF intervals. */
export const samplerScript = `(() => {
  const s = { draw: [], raf: [], on: false, lastFrames: -1, lastT: 0 };
  window.__benchFrames = s;
  const tick = (t) => {
    const h = window.__xpuscopeTimeline;
    if (s.on && h) {
      if (h.frames !== s.lastFrames) { if (s.lastFrames >= 0) s.draw.push(h.lastFrameMs); s.lastFrames = h.frames; }
      if (s.lastT) s.raf.push(t - s.lastT);
    }
    s.lastT = t;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  s.start = () => { s.draw = []; s.raf = []; s.on = true; s.lastFrames = window.__xpuscopeTimeline ? window.__xpuscopeTimeline.frames : -1; s.lastT = 0; };
  s.stop = () => { s.on = false; return { draw: s.draw, raf: s.raf }; };
})();`;

/** Stand-in bridge (window.xpuscope) whose onBatch handlers can be fed with window.__benchPush(total, lanes, perBatch). */
export const bridgeScript = `(() => {
  const handlers = [];
  window.xpuscope = Object.freeze({
    version: 1,
    call: async (method) => {
      if (method === 'devices.list') return { result: { schema: 'xpuscope.devices/1', driver: { requested: 'sim', mode: 'sim', simulated: true, reason: 'bench stand-in' }, loader: { library: 'libze_loader.so.1', loaded: true }, devices: [] } };
      if (method === 'capture.state') return { result: { recording: true, paused: false, ops: 0, dropped: 0, lanes: 0 } };
      return { error: { code: 'NOT_IMPLEMENTED', message: method } };
    },
    onEvent: () => () => {},
    onBatch: (h) => { handlers.push(h); return () => {}; },
    onMenu: () => () => {},
    exportTrace: async () => ({ result: null }),
    importTrace: async () => ({ result: null }),
    saveFile: async () => ({ result: null }),
  });
  // Synthetic spans: 'lanes' streams of back-to-back kernels/copies, 1–20 µs each, generated and encoded here.
  let sent = 0, seed = 42;
  const t = [];
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  window.__benchPush = async (total, lanes, perBatch) => {
    for (let l = 0; l < lanes; l++) t[l] = t[l] ?? 1e9;
    while (sent < total) {
      const n = Math.min(perBatch, total - sent);
      const first = sent === 0;
      const b = { dropped: 0, droppedEdges: 0,
        lanes: first ? Array.from({ length: lanes }, (_, i) => ({ id: i, device: i >> 5, stream: 1 + 16 * i, engine: { ordinal: (i & 7) < 6 ? 0 : 1, index: (i & 7) < 6 ? (i & 3) : 0, kind: (i & 7) < 6 ? 'compute' : 'copy' } })) : [],
        stringBase: first ? 0 : 2, strings: first ? ['gemm_kernel', 'copy H2D'] : [], count: n,
        lane: new Uint32Array(n), id: new Float64Array(n), kind: new Uint8Array(n), name: new Uint32Array(n), detail: new Uint32Array(n), bytes: new Float64Array(n),
        submit: new Float64Array(n), start: new Float64Array(n), end: new Float64Array(n), edgeFrom: new Float64Array(0), edgeTo: new Float64Array(0) };
      for (let i = 0; i < n; i++) {
        const l = (sent + i) % lanes, copy = (l & 7) >= 6;
        const d = 1000 + rnd() * 19000, gap = rnd() * 3000;
        b.lane[i] = l; b.id[i] = sent + i + 1; b.kind[i] = copy ? 1 : 0; b.name[i] = copy ? 1 : 0; b.bytes[i] = copy ? 1048576 : 0;
        b.submit[i] = t[l] - 500; b.start[i] = t[l] + gap; b.end[i] = t[l] + gap + d; t[l] += gap + d;
      }
      const buf = window.__benchEncodeBatch(b);
      for (const h of handlers) h(buf);
      sent += n;
      await new Promise((r) => setTimeout(r, 0));
    }
    return sent;
  };
})();`;

export async function hook(page) {
  return page.evaluate(() => ({ ...window.__xpuscopeTimeline }));
}

export async function openTimeline(page, url) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(url);
  try {
    await page.getByTestId('nav-timeline').click({ timeout: 30_000 });
    await page.getByTestId('timeline-canvas').waitFor({ state: 'visible', timeout: 30_000 });
  } catch {
    throw new NotRunnable(
      `the timeline view (data-testid=timeline-canvas) did not appear at ${url}${errors.length ? ': ' + errors[0] : ''}`,
    );
  }
  const has = await page.evaluate(
    () => typeof window.__xpuscopeTimeline === 'object' && window.__xpuscopeTimeline !== null,
  );
  if (!has) throw new NotRunnable('the page has no window.__xpuscopeTimeline hook');
  return errors;
}

/** Wait until the timeline has drawn at least once more than `before` frames (or timeout). */
export async function waitFrame(page, before, timeoutMs = 10_000) {
  await page.waitForFunction((b) => window.__xpuscopeTimeline.frames > b, before, {
    timeout: timeoutMs,
    polling: 'raf',
  });
}

/** With BENCH_CDP_PROFILE=<file.cpuprofile>: record the page's JS CPU profile between start() and stop(). */
export async function pageProfiler(page) {
  const out = process.env.BENCH_CDP_PROFILE;
  if (!out) return { start: async () => {}, stop: async () => {} };
  const cdp = await page.context().newCDPSession(page);
  return {
    start: async () => {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
      await cdp.send('Profiler.start');
    },
    stop: async () => {
      const { profile } = await cdp.send('Profiler.stop');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(out, JSON.stringify(profile));
    },
  };
}

/**
 * A page driven WITHOUT the DevTools protocol, for measurements of the WebSocket transport. Playwright
 * enables CDP's Network domain on every page it controls, and then Chromium base64-encodes every
 * WebSocket frame into a `Network.webSocketFrameReceived` event: measured 2–13 MiB/s into a Playwright
 * page vs 50–100 MiB/s into the same page without CDP (bench/ws-ceiling.mjs, NOTES 2026-11-29 17:05).
 * So Chromium is started directly (no Playwright, no debugging pipe/port), the served renderer gets a
 * small agent script (injected into a copy of dist/renderer) that opens the timeline view, samples
 * frames like samplerScript, and reports every 100 ms as `console.log('__BENCH__' + JSON)`, which
 * headless Chromium prints on stderr (--enable-logging=stderr).
 */
export const agentScript = `(() => {
  const log = (o) => console.log('__BENCH__' + JSON.stringify(o));
  addEventListener('error', (e) => log({ error: String(e.message) }));
  const nav = setInterval(() => {
    const b = document.querySelector('[data-testid="nav-timeline"]');
    if (b) { b.click(); clearInterval(nav); }
  }, 50);
  let lastFrames = -1, lastT = 0;
  const draw = [], raf = [];
  const tick = (t) => {
    const h = window.__xpuscopeTimeline;
    if (h) {
      if (h.frames !== lastFrames) { if (lastFrames >= 0) draw.push(h.lastFrameMs); lastFrames = h.frames; }
      if (lastT) raf.push(t - lastT);
    }
    lastT = t;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  setInterval(() => {
    const h = window.__xpuscopeTimeline;
    log({
      canvas: !!document.querySelector('[data-testid="timeline-canvas"]'),
      hook: h ? { spanCount: h.spanCount, frames: h.frames, batches: h.batches } : null,
      draw: draw.splice(0),
      raf: raf.splice(0),
    });
  }, 100);
})();`;

/** A copy of dist/renderer whose index.html also loads `script` (same origin: the CSP allows it). */
export async function agentRendererDir(script = agentScript) {
  const { cpSync, mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'xpuscope-bench-renderer-'));
  cpSync(join(root, 'dist', 'renderer'), dir, { recursive: true });
  const index = join(dir, 'index.html');
  writeFileSync(join(dir, 'bench-agent.js'), script);
  writeFileSync(
    index,
    readFileSync(index, 'utf8').replace('</head>', '  <script src="./bench-agent.js"></script>\n  </head>'),
  );
  return dir;
}

/** Starts headless Chromium on `url` with no DevTools client; collects the agent's reports. */
export async function launchPlain(url) {
  if (!existsSync(chromiumPath)) throw new NotRunnable(`${chromiumPath} is missing`);
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const profile = mkdtempSync(join(tmpdir(), 'xpuscope-bench-chromium-'));
  const child = spawn(
    chromiumPath,
    [
      ...chromiumArgs,
      '--headless',
      '--enable-logging=stderr',
      '--log-level=0',
      `--window-size=${VIEWPORT.width},${VIEWPORT.height}`,
      `--user-data-dir=${profile}`,
      url,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const state = { last: null, draw: [], raf: [], errors: [], sampling: false, reports: 0 };
  let buf = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const m = /"__BENCH__(.*)", source:/.exec(line);
      if (!m) continue;
      let r;
      try {
        r = JSON.parse(m[1].replace(/\\"/g, '"'));
      } catch {
        continue;
      }
      if (r.error) state.errors.push(r.error);
      else {
        state.last = r;
        state.reports++;
        if (state.sampling) {
          for (const x of r.draw) state.draw.push(x);
          for (const x of r.raf) state.raf.push(x);
        }
      }
    }
  });
  const sleepMs = (ms) => new Promise((r) => setTimeout(r, ms));
  return {
    state,
    pid: child.pid,
    /** Resolves once the timeline view is up and the hook exists (or throws NotRunnable). */
    async ready(timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      while (!(state.last?.canvas && state.last.hook)) {
        if (Date.now() > until || child.exitCode !== null)
          throw new NotRunnable(
            `the timeline view did not appear in headless Chromium at ${url}${state.errors.length ? ': ' + state.errors[0] : ''}`,
          );
        await sleepMs(50);
      }
    },
    /** The latest report (at most ~100 ms old) and the next one's arrival. */
    async fresh() {
      const n = state.reports;
      while (state.reports === n && child.exitCode === null) await sleepMs(20);
      return state.last.hook;
    },
    startFrames() {
      state.draw = [];
      state.raf = [];
      state.sampling = true;
    },
    stopFrames() {
      state.sampling = false;
      return { draw: state.draw, raf: state.raf };
    },
    async close() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      // Chromium's helper processes (crash handler, …) can still write into the profile for a moment
      // after the main process exits: retry, and never fail a measurement over a temp folder.
      try {
        rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      } catch (e) {
        console.error(`bench: could not remove ${profile}: ${e.message}`);
      }
    },
  };
}

/**
 * CPU seconds (user + system) used so far by chromium processes — the process tree under `rootPid`
 * when given, else every process whose command line names chromium — and by this process.
 */
export function cpuSeconds(rootPid) {
  const procs = new Map(); // pid → [ppid, cpu s, is chromium]
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      const isChrome = readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('chromium');
      procs.set(Number(pid), [Number(f[1]), (Number(f[11]) + Number(f[12])) / 100, isChrome]);
    } catch {
      // gone
    }
  }
  const under = (pid) => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = procs.get(p)?.[0] ?? 0, hops++)
      if (p === rootPid) return true;
    return false;
  };
  let chrome = 0;
  for (const [pid, [, cpu, isChrome]] of procs) if (rootPid ? under(pid) : isChrome) chrome += cpu;
  const u = process.cpuUsage();
  return { chrome, node: (u.user + u.system) / 1e6 };
}
