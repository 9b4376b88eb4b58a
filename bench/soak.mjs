#!/usr/bin/env node
// bench/soak.mjs — long-running reliability check (issue 8).
//
//   node bench/soak.mjs [--minutes N] [--lane-capacity N] [--semi-space MB] [--cli] [--json FILE]
//
// Two workloads run side by side for --minutes (default 10) on the simulated driver:
//   A. `xpuscope serve` with a UI client attached: the server runs in its own process tree (by default
//      started through dist/host/serve.js so that its timeline ring can be made small enough to fill
//      within the run, --lane-capacity, default 256 ops per lane; --cli starts
//      `node bin/xpuscope.js serve --driver sim --port 0` instead, whose ring holds 65 536 per lane). A
//      WebSocket client (as the browser UI) receives every event, decodes every timeline batch and
//      runs the service's scenarios one after another, polling capture.state.
//   B. In a child process of its own (so the UI client's memory does not blur its numbers): a stream workload (copies, fills, kernels, events on two devices) with the
//      recorder attached feeding a runtime/timeline ring; at the end xpu.shutdown() and the simulated
//      driver's live-object count must be back to its baseline (zero).
// Resident memory (VmRSS) of the server's process tree and of the workload process is sampled every second.
// The workload process also reports, after a full GC every 5 s, all of process.memoryUsage() (typed-array
// and Buffer backing stores are `external`/`arrayBuffers`, outside the JS heap), V8's new/old space
// sizes, its malloc heap ([heap]) and other anonymous RSS from /proc/self/smaps, and the simulated
// driver's live objects and handle-registry size; the JSON (--json) has them per sample.
// V8's young generation: in a busy process V8 doubles the new space (two semi-spaces) each time enough
// objects have survived scavenges since the last doubling, up to its maximum (16 MiB per semi-space on
// Node 20 x64: new space 8 → 16 → 32 MiB, the last step 3–5 minutes into this workload; bench/NOTES.md,
// "soak"). That warm-up would read as +24 MiB of "growth" long after the warm-up window, so the workload
// runs with its semi-spaces fixed at --semi-space MB (default 16 = Node 20's maximum; 0 = V8's own
// sizing), and the new space is printed so that the pinning can be seen.
// PASS when, for both: RSS grows < 10 % from the end of warm-up (first 25 %, at least 10 s) to the
// end (medians of the samples in the first and last 10 % after warm-up), the rings stay bounded
// (size ≤ capacity and constant once full while the dropped count grows), and no Level Zero object is
// left after shutdown. Prints a table; exit code 0 = pass, 1 = fail, 2 = could not run.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');
const simDriver = join(root, 'native', 'build', 'libze_xpusim.so');

// ---- arguments ----
const argv = process.argv.slice(2);
function opt(name, def) {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) return true;
  return v;
}
const minutes = Number(opt('minutes', 10));
const laneCapacity = Number(opt('lane-capacity', 256));
const useCli = opt('cli', false) === true;
const jsonOut = opt('json', undefined);
const semiSpaceMB = Number(opt('semi-space', 16));
if (!(minutes > 0) || !(laneCapacity > 0) || !(semiSpaceMB >= 0)) {
  console.error(
    'usage: node bench/soak.mjs [--minutes N] [--lane-capacity N] [--semi-space MB] [--cli] [--json FILE]',
  );
  process.exit(2);
}
for (const [p, hint] of [
  [simDriver, 'npm run build:native'],
  [join(dist, 'runtime', 'index.js'), 'npx tsc -b runtime host (or npm run build:ts)'],
  [join(dist, 'host', 'serve.js'), 'npx tsc -b host'],
]) {
  if (!existsSync(p)) {
    console.error(`soak: not runnable: ${p.replace(root + '/', '')} is missing (${hint})`);
    process.exit(2);
  }
}
const durationMs = minutes * 60_000;
const warmupMs = Math.max(10_000, durationMs * 0.25);

// ---- process-tree RSS ----
function children(pid) {
  const out = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const c = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (c) out.push(...c.split(/\s+/).map(Number));
    }
  } catch {
    /* gone */
  }
  return out;
}
function rssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
function treeRssKiB(pid) {
  let sum = rssKiB(pid);
  for (const c of children(pid)) sum += treeRssKiB(c);
  return sum;
}

// ---- A: the server and its UI client ----
const env = {
  ...process.env,
  XPUSCOPE_DRIVER: 'sim',
  XPUSIM_PROFILE: 'arc-a770,max-1550',
};
delete env.ZE_ENABLE_ALT_DRIVERS;
delete env.XPUSCOPE_ZE_APPLIED;

function startServe() {
  const args = useCli
    ? [join(root, 'bin', 'xpuscope.js'), 'serve', '--driver', 'sim', '--port', '0']
    : [
        '--input-type=module',
        '-e',
        `const { startServer } = await import(${JSON.stringify(join(dist, 'host', 'serve.js'))});
         const s = await startServer({ port: 0, driver: 'sim', capture: { laneCapacity: ${laneCapacity} } });
         process.stdout.write('xpuscope serving ' + s.url + '\\n');
         const stop = () => s.close().then(() => process.exit(0));
         process.on('SIGTERM', stop); process.on('SIGINT', stop);`,
      ];
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  return new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`serve did not start in 60 s\n${out}\n${stderr}`)), 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /serving (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ child, url: new URL(m[1]), stderr: () => stderr });
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code})\n${out}\n${stderr}`)));
  });
}

async function connect(url) {
  const { WebSocket } = await import('ws');
  const { decodeBatch } = await import(join(dist, 'protocol', 'timeline-batch.js'));
  const wsUrl = `ws://${url.host}/ws${url.search}`;
  const ws = new WebSocket(wsUrl);
  await new Promise((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
  });
  const pending = new Map();
  const stats = { batches: 0, ops: 0, droppedSeen: 0, events: 0, decodeErrors: 0, bytes: 0 };
  ws.on('message', (data, isBinary) => {
    stats.bytes += data.length;
    if (isBinary) {
      try {
        const b = decodeBatch(data);
        stats.batches++;
        stats.ops += b.count;
        stats.droppedSeen += b.dropped;
      } catch {
        stats.decodeErrors++;
      }
      return;
    }
    const msg = JSON.parse(data.toString());
    if ('id' in msg && pending.has(msg.id)) {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if ('error' in msg) p.reject(new Error(`${msg.error.code}: ${msg.error.message}`));
      else p.resolve(msg.result);
    } else stats.events++;
  });
  let next = 1;
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { ws, call, stats };
}

// ---- B: in-process stream workload ----
async function inProcess() {
  process.env.XPUSCOPE_DRIVER = 'sim';
  const { xpu, configureDriver } = await import(join(dist, 'runtime', 'index.js'));
  const { Timeline } = await import(join(dist, 'runtime', 'timeline', 'index.js'));
  const { simRegistryStats } = await import(join(dist, 'runtime', 'sim-objects.js'));
  configureDriver({ driver: 'sim', profile: 'arc-a770,max-1550' });
  const baseline = xpu.simLiveObjects();
  const timeline = new Timeline({ laneCapacity: Math.min(laneCapacity, 256), edgeCapacity: 4096 });
  xpu.setRecorder((op) => timeline.push(op));
  const state = { iterations: 0, errors: 0, lastError: '' };
  const bufs = [];
  const iteration = async () => {
    for (const d of [0, 1]) {
      const k = xpu.kernels(d);
      const s = new xpu.Stream({ device: d });
      const c = new xpu.Stream({ device: d, engine: d === 1 ? 'copy' : 'compute' });
      const a = xpu.alloc(256 << 10, { device: d });
      const h = xpu.alloc(64 << 10, { kind: 'host', device: d });
      const e = new xpu.Event({ enableTiming: true });
      s.fill(a, 1);
      s.launch(k.fill_u32, { groups: 16, groupSize: 64, args: [a, state.iterations] });
      e.record(s);
      c.waitEvent(e);
      c.copy(h, a, 64 << 10);
      await Promise.all([s.synchronize(), c.synchronize()]);
      a.free();
      h.free();
    }
    // an occasional large allocation cycles the caching allocator's large pool
    if (state.iterations % 50 === 0) {
      bufs.push(xpu.alloc(24 << 20));
      if (bufs.length > 2) bufs.shift().free();
    }
    if (state.iterations % 500 === 0) xpu.emptyCache();
    state.iterations++;
  };
  return { xpu, timeline, baseline, state, iteration, bufs, simRegistryStats };
}

// ---- worker mode: B runs in a child process of the soak ----
if (argv.includes('--worker-b')) {
  const W = await inProcess();
  let stopW = false;
  process.on('message', (m) => {
    if (m === 'stop') stopW = true;
  });
  const v8 = await import('node:v8');
  // RSS of the brk heap (glibc's main malloc arena) and of the other anonymous mappings (V8's heap
  // pages, thread arenas, large mmap'd blocks), in KiB.
  const smapsKiB = () => {
    const r = { mallocHeap: 0, anon: 0 };
    let kind;
    for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
      const h = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (h) kind = h[1] === '[heap]' ? 'mallocHeap' : h[1] === '' ? 'anon' : undefined;
      else if (kind && line.startsWith('Rss:')) r[kind] += Number(/\d+/.exec(line)[0]);
    }
    return r;
  };
  // A full GC every 5 s, so that RSS reflects retained memory rather than V8's lazy heap growth; the
  // memory breakdown is taken right after it.
  let ticks = 0;
  let mem = {};
  const tick = setInterval(() => {
    if (++ticks % 5 === 0 && globalThis.gc) {
      globalThis.gc();
      const mu = process.memoryUsage();
      const space = (n) => v8.getHeapSpaceStatistics().find((x) => x.space_name === n)?.space_size ?? 0;
      const sim = W.xpu.simLiveObjects();
      const reg = W.simRegistryStats();
      mem = {
        rss: mu.rss,
        heapUsed: mu.heapUsed,
        heapTotal: mu.heapTotal,
        external: mu.external,
        arrayBuffers: mu.arrayBuffers,
        newSpace: space('new_space'),
        oldSpace: space('old_space'),
        ...smapsKiB(),
        simObjects: sim
          ? Object.entries(sim).reduce((a, [k, v]) => (k === 'allocatedBytes' ? a : a + v), 0)
          : -1,
        simBytes: sim?.allocatedBytes ?? -1,
        regCapacity: reg?.capacity ?? -1,
        regLive: reg?.live ?? -1,
      };
    }
    process.send({
      type: 'sample',
      heapUsed: mem.heapUsed ?? 0,
      mem,
      ringSize: W.timeline.size,
      ringDropped: W.timeline.dropped,
      lanes: W.timeline.lanes().length,
      iterations: W.state.iterations,
      errors: W.state.errors,
      lastError: W.state.lastError,
    });
  }, 1000);
  while (!stopW) {
    try {
      await W.iteration();
    } catch (e) {
      W.state.errors++;
      W.state.lastError = e.message;
    }
    await new Promise((r) => setImmediate(r));
  }
  clearInterval(tick);
  W.xpu.setRecorder(null);
  for (const b of W.bufs) b.free();
  const report = await W.xpu.shutdown({ timeoutMs: 10_000 });
  const final = {
    type: 'final',
    report,
    live: W.xpu.simLiveObjects(),
    baseline: W.baseline,
    iterations: W.state.iterations,
    errors: W.state.errors,
    lastError: W.state.lastError,
    lanes: W.timeline.lanes().length,
  };
  process.send(final, () => process.exit(0));
  await new Promise(() => {});
}

// ---- main ----
const mb = (kib) => (kib / 1024).toFixed(1);
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

let server;
try {
  server = await startServe();
} catch (e) {
  console.error(`soak: not runnable: ${e.message}`);
  process.exit(2);
}
const client = await connect(server.url);
const scenarios = await client.call('scenario.list').catch((e) => {
  console.error(`soak: scenario.list failed: ${e.message}`);
  return [];
});
const semiSpaceFlags = semiSpaceMB
  ? [`--min-semi-space-size=${semiSpaceMB}`, `--max-semi-space-size=${semiSpaceMB}`]
  : [];
const bChild = spawn(
  process.execPath,
  [
    '--expose-gc',
    ...semiSpaceFlags,
    fileURLToPath(import.meta.url),
    '--worker-b',
    '--lane-capacity',
    String(laneCapacity),
  ],
  { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
);
const B = {
  sample: {
    ringSize: 0,
    ringDropped: 0,
    iterations: 0,
    errors: 0,
    lastError: '',
    lanes: 1,
    heapUsed: 0,
    mem: {},
  },
  final: undefined,
};
bChild.on('message', (m) => {
  if (m.type === 'sample') B.sample = m;
  else if (m.type === 'final') B.final = m;
});

const samples = []; // { t, serveKiB, selfKiB, capOps, capDropped, ringSize, ringDropped }
const t0 = Date.now();
let capState = { ops: 0, dropped: 0, lanes: 0 };
let scenarioRuns = 0;
let scenarioErrors = 0;
let lastScenarioError = '';
let stop = false;

const sampler = setInterval(async () => {
  samples.push({
    t: Date.now() - t0,
    serveKiB: treeRssKiB(server.child.pid),
    selfKiB: treeRssKiB(bChild.pid),
    capOps: capState.ops,
    capDropped: capState.dropped,
    capLanes: capState.lanes,
    heapKiB: Math.round(B.sample.heapUsed / 1024),
    // the workload's breakdown after its last GC (bytes → KiB; smaps figures are KiB already)
    ...Object.fromEntries(
      Object.entries(B.sample.mem).map(([k, v]) =>
        /^(rss|heapUsed|heapTotal|external|arrayBuffers|newSpace|oldSpace|simBytes)$/.test(k)
          ? [`${k}KiB`, Math.round(v / 1024)]
          : [k === 'mallocHeap' || k === 'anon' ? `${k}KiB` : k, v],
      ),
    ),
    ringSize: B.sample.ringSize,
    ringDropped: B.sample.ringDropped,
  });
}, 1000);

const loopA = (async () => {
  let i = 0;
  while (!stop) {
    const sc = scenarios[i++ % Math.max(1, scenarios.length)];
    try {
      if (sc) {
        const params = {};
        // short kernels, many of them: a high op rate fills the ring within the run
        for (const p of sc.params ?? []) {
          if (/durationMs|probeMs/.test(p.name)) params[p.name] = p.min ?? 1;
          else if (['kernels', 'copies', 'items', 'probes', 'samples'].includes(p.name))
            params[p.name] = Math.min(p.max ?? 64, 64);
          else if (p.name === 'sizeMB') params[p.name] = p.min ?? 1;
        }
        await client.call('scenario.run', { name: sc.name, device: i % 2, params });
        scenarioRuns++;
      } else await new Promise((r) => setTimeout(r, 500));
    } catch (e) {
      scenarioErrors++;
      lastScenarioError = e.message;
      await new Promise((r) => setTimeout(r, 200));
    }
    try {
      capState = await client.call('capture.state');
    } catch {
      /* keep the last */
    }
  }
})();

const ticker = setInterval(() => {
  const s = samples[samples.length - 1];
  if (s)
    process.stderr.write(
      `\r  ${(s.t / 1000).toFixed(0)}/${(durationMs / 1000).toFixed(0)} s  serve ${mb(s.serveKiB)} MiB  workload ${mb(s.selfKiB)} MiB  ` +
        `scenarios ${scenarioRuns}  ring ${s.capOps}/${s.capDropped} dropped  local ring ${s.ringSize}/${s.ringDropped}   `,
    );
}, 5000);

await new Promise((r) => setTimeout(r, durationMs));
stop = true;
clearInterval(ticker);
process.stderr.write('\n');
clearInterval(sampler);
// B: shutdown and leak check inside the workload process
bChild.send('stop');
await Promise.race([new Promise((r) => bChild.once('exit', r)), new Promise((r) => setTimeout(r, 30_000))]);
await Promise.race([loopA, new Promise((r) => setTimeout(r, 30_000))]);
const fin = B.final ?? {
  report: { leakedDevices: ['(no report)'] },
  live: undefined,
  baseline: undefined,
  iterations: B.sample.iterations,
  errors: B.sample.errors,
  lastError: B.sample.lastError || 'the workload process did not report',
  lanes: B.sample.lanes,
};
const report = fin.report;
const live = fin.live;
const leaked =
  live && fin.baseline ? Object.keys(live).filter((k) => live[k] !== fin.baseline[k]) : ['(no count)'];

client.ws.close();
server.child.kill('SIGTERM');
const serveExit = await Promise.race([
  new Promise((r) => server.child.once('exit', (code, sig) => r(code ?? sig))),
  new Promise((r) => setTimeout(() => r('timeout'), 15_000)),
]);
if (serveExit === 'timeout') server.child.kill('SIGKILL');

// ---- verdict ----
const after = samples.filter((s) => s.t >= warmupMs);
const win = Math.max(1, Math.floor(after.length * 0.1));
function growth(key) {
  if (after.length < 4) return { start: NaN, end: NaN, pct: NaN };
  const start = median(after.slice(0, win).map((s) => s[key]));
  const end = median(after.slice(-win).map((s) => s[key]));
  return { start, end, pct: ((end - start) / start) * 100 };
}
const gServe = growth('serveKiB');
const gSelf = growth('selfKiB');
const gHeap = growth('heapKiB');
const span = (key, f = mb) => {
  const g = growth(key);
  return `${f(g.start)} → ${f(g.end)}`;
};
// The driver's handle registry must not grow with the number of handles created: its capacity stays
// below 8 x (live handles + 1), or the 256-slot minimum (native/src/handles.c).
const regSamples = samples.filter((s) => s.regCapacity > 0);
const regMaxLive = Math.max(0, ...regSamples.map((s) => s.regLive));
const regMaxCap = Math.max(0, ...regSamples.map((s) => s.regCapacity));
const regOk = regSamples.length ? regMaxCap <= Math.max(256, 8 * (regMaxLive + 1)) : null;
// Ring bounded: once it reports drops, its size never exceeds the capacity and stays flat.
function ringCheck(sizeKey, dropKey, capacity) {
  const full = samples.filter((s) => s[dropKey] > 0);
  if (full.length < 2) return { ok: null, note: 'ring never filled (run longer or lower --lane-capacity)' };
  const sizes = full.map((s) => s[sizeKey]);
  const maxSize = Math.max(...sizes);
  const dropGrew = full[full.length - 1][dropKey] > full[0][dropKey];
  const flat = Math.max(...sizes) - Math.min(...sizes) <= capacity; // new lanes may appear
  return {
    ok: maxSize <= capacity && dropGrew && flat,
    note: `size ${Math.min(...sizes)}–${maxSize} (cap ${capacity}), dropped ${full[0][dropKey]} → ${full[full.length - 1][dropKey]}`,
  };
}
const lanesMax = Math.max(1, ...samples.map((s) => s.capLanes));
const ringServe = ringCheck('capOps', 'capDropped', laneCapacity * lanesMax);
const ringLocal = ringCheck('ringSize', 'ringDropped', Math.min(laneCapacity, 256) * Math.max(1, fin.lanes));

const rows = [
  ['duration', `${minutes} min (warm-up ${(warmupMs / 1000).toFixed(0)} s, ${samples.length} samples)`, ''],
  [
    'serve: scenario runs',
    `${scenarioRuns} (${scenarioErrors} failed${lastScenarioError ? `: ${lastScenarioError.slice(0, 80)}` : ''})`,
    scenarios.length ? '' : 'no scenarios',
  ],
  [
    'serve: client batches / ops / decode errors',
    `${client.stats.batches} / ${client.stats.ops} / ${client.stats.decodeErrors}`,
    client.stats.decodeErrors ? 'FAIL' : '',
  ],
  [
    'serve: RSS after warm-up → end',
    `${mb(gServe.start)} → ${mb(gServe.end)} MiB (${gServe.pct.toFixed(1)} %)`,
    gServe.pct < 10 ? 'pass' : 'FAIL',
  ],
  ['serve: timeline ring', ringServe.note, ringServe.ok === null ? 'n/a' : ringServe.ok ? 'pass' : 'FAIL'],
  ['serve: exit on SIGTERM', String(serveExit), serveExit === 0 ? 'pass' : 'FAIL'],
  [
    'workload: iterations (errors)',
    `${fin.iterations} (${fin.errors}${fin.lastError ? `: ${fin.lastError.slice(0, 80)}` : ''})`,
    fin.errors || fin.lastError ? 'FAIL' : '',
  ],
  [
    'workload: RSS after warm-up → end',
    `${mb(gSelf.start)} → ${mb(gSelf.end)} MiB (${gSelf.pct.toFixed(1)} %)`,
    gSelf.pct < 10 ? 'pass' : 'FAIL',
  ],
  [
    'workload: JS heap after GC, warm-up → end',
    `${mb(gHeap.start)} → ${mb(gHeap.end)} MiB (${gHeap.pct.toFixed(1)} %)`,
    '',
  ],
  [
    'workload: V8 new space / old space',
    `${span('newSpaceKiB')} / ${span('oldSpaceKiB')} MiB (semi-space ${semiSpaceMB ? `fixed at ${semiSpaceMB} MiB` : "V8's sizing"})`,
    '',
  ],
  [
    'workload: external / arrayBuffers after GC',
    `${span('externalKiB')} / ${span('arrayBuffersKiB')} MiB`,
    '',
  ],
  ['workload: RSS of malloc heap / other anon', `${span('mallocHeapKiB')} / ${span('anonKiB')} MiB`, ''],
  ['workload: driver objects / allocated', `${span('simObjects', String)} / ${span('simBytesKiB')} MiB`, ''],
  [
    'workload: driver handle registry',
    regSamples.length
      ? `${regSamples[0].regCapacity} → ${regSamples[regSamples.length - 1].regCapacity} slots (max ${regMaxCap}, live ≤ ${regMaxLive})`
      : 'unavailable',
    regOk === null ? 'n/a' : regOk ? 'pass' : 'FAIL',
  ],
  ['workload: timeline ring', ringLocal.note, ringLocal.ok === null ? 'n/a' : ringLocal.ok ? 'pass' : 'FAIL'],
  ['workload: shutdown', JSON.stringify(report), report.leakedDevices.length ? 'FAIL' : 'pass'],
  [
    'workload: Level Zero objects after shutdown',
    live
      ? `${
          Object.entries(live)
            .filter(([, v]) => v)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ') || 'all 0'
        } (baseline all 0)`
      : 'unavailable',
    leaked.length ? 'FAIL' : 'pass',
  ],
];
const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
console.log(`\nxpuscope soak (${useCli ? 'bin/xpuscope.js serve' : `serve, lane capacity ${laneCapacity}`})`);
console.log(`${'check'.padEnd(w0)}  ${'value'.padEnd(w1)}  verdict`);
console.log(`${'-'.repeat(w0)}  ${'-'.repeat(w1)}  -------`);
for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`);
const failed = rows.some((r) => r[2] === 'FAIL');
console.log(`\nsoak: ${failed ? 'FAIL' : 'PASS'}`);
if (jsonOut)
  writeFileSync(
    jsonOut,
    JSON.stringify(
      {
        minutes,
        laneCapacity,
        semiSpaceMB,
        rows,
        samples,
        client: client.stats,
        scenarioRuns,
        scenarioErrors,
        report,
        live,
      },
      null,
      1,
    ),
  );
process.exit(failed ? 1 : 0);
