// The scenarios: each shows one aspect of how work on several streams runs on an Intel GPU. Every
// explanation is computed from the measured numbers and the device's engine counts.
import type { OpRecord } from '../../protocol/timeline.js';
import { xpu } from '../api.js';
import type { Event } from '../event.js';
import type { Stream } from '../streams.js';
import { distribution, sweepIntervals } from '../timeline/metrics.js';
import { engineLabel } from '../trace/format.js';
import type { ExplainInput, ScenarioContext, ScenarioDef } from './context.js';
import { num } from './params.js';

const fx = (v: number): string => `${v.toFixed(1)}×`;
const fms = (ns: number): string => {
  const ms = ns / 1e6;
  return ms >= 10 ? `${ms.toFixed(0)} ms` : ms >= 1 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
};
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const engineWord = (n: number, kind: string): string =>
  n === 1 ? `one ${kind} engine` : `${n} ${kind} engines`;

function isWork(o: OpRecord): boolean {
  return o.kind === 'kernel' || o.kind === 'copy' || o.kind === 'fill';
}

function union(ops: readonly OpRecord[]): number {
  return sweepIntervals(
    ops.map((o) => o.startNs),
    ops.map((o) => o.endNs),
  ).busyNs;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function syncAll(streams: readonly Stream[]): Promise<void> {
  for (const s of streams) await s.synchronize();
  for (const s of streams) s.query(); // retire (and deliver) everything
}

/** Below this share of what the engines allow, the explanation says the overlap fell short. */
const SHORTFALL = 0.75;

function shortfall(i: ExplainInput, expected: number): string {
  if (expected <= 1 || i.concurrency >= SHORTFALL * expected) return '';
  const p50 = i.submitToStartP50Ns;
  return ` That is less than the ${expected} the engines allow: the kernels did not all run at once (submit→start p50 ${p50 === undefined ? 'n/a' : fms(p50)}; short kernels, host submission speed or work that shares the GPU's execution units limit the overlap).`;
}

// ---- concurrency ----
const concurrency: ScenarioDef = {
  info: {
    name: 'concurrency',
    title: 'Concurrent streams',
    summary:
      'N streams each run M busy kernels of D ms. Streams are independent queues; whether their kernels overlap depends on how many compute engines the device has (streams are spread over them round-robin).',
    params: [
      {
        name: 'streams',
        label: 'Streams',
        type: 'int',
        default: 4,
        min: 1,
        max: 32,
        help: 'Independent in-order streams',
      },
      { name: 'kernels', label: 'Kernels per stream', type: 'int', default: 4, min: 1, max: 256 },
      {
        name: 'durationMs',
        label: 'Kernel duration',
        type: 'number',
        default: 2,
        min: 0.05,
        max: 1000,
        unit: 'ms',
        help: 'Calibrated per device',
      },
    ],
  },
  total: (p) => num(p, 'streams') * num(p, 'kernels'),
  estimateMs: (p) => num(p, 'streams') * num(p, 'kernels') * num(p, 'durationMs'),
  async run(ctx) {
    const S = num(ctx.params, 'streams'),
      M = num(ctx.params, 'kernels'),
      D = num(ctx.params, 'durationMs');
    const streams = Array.from({ length: S }, () => new xpu.Stream({ device: ctx.device }));
    for (let j = 0; j < M; j++) {
      for (const s of streams) {
        ctx.launchBusy(s, D);
        ctx.submitted();
      }
    }
    await syncAll(streams);
    return { details: { enginesUsed: new Set(streams.map((s) => s.engine.index)).size } };
  },
  explain(i) {
    const S = num(i.ctx.params, 'streams'),
      M = num(i.ctx.params, 'kernels'),
      D = num(i.ctx.params, 'durationMs');
    const what = `${plural(S, 'stream')} ran ${plural(M, 'kernel')} of ${D} ms each`;
    const nums = `speed-up ${fx(i.speedup)}, concurrency ${i.concurrency.toFixed(1)}`;
    if (S === 1) {
      // One stream: there was nothing to overlap with — say what was measured, not a serialization.
      return `${what} on one stream: its kernels run one after another by definition (an in-order queue), so there is nothing to overlap; ${nums}. Run 2 or more streams to see whether ${i.ctx.deviceName}'s ${engineWord(i.computeEngines, 'compute')} run them concurrently.`;
    }
    if (i.computeEngines <= 1 || i.usedComputeEngines <= 1) {
      const why =
        i.computeEngines <= 1
          ? `${i.ctx.deviceName} has ${engineWord(i.computeEngines, 'compute')}`
          : `all streams landed on one of the ${i.computeEngines} compute engines`;
      return `${what}, but ${why}, so they serialized: ${nums}.`;
    }
    const used = i.usedComputeEngines;
    const share =
      S > used ? ` (${S} streams share them round-robin, so kernels on the same engine still queue)` : '';
    return `${what} on ${used} of the ${i.computeEngines} compute engines of ${i.ctx.deviceName}${share}, so they overlapped: ${nums}.${shortfall(i, Math.min(S, used))}`;
  },
};

// ---- copy-compute overlap ----
const copyCompute: ScenarioDef = {
  info: {
    name: 'copy-compute-overlap',
    title: 'Copy/compute overlap',
    summary:
      'Host↔device copies on a copy-engine stream while busy kernels run on a compute stream. Copy engines (blitters) move data while the compute engines keep computing, so transfers hide behind kernels.',
    params: [
      { name: 'copies', label: 'Copies', type: 'int', default: 8, min: 1, max: 256 },
      { name: 'sizeMB', label: 'Copy size', type: 'number', default: 4, min: 0.0625, max: 256, unit: 'MiB' },
      { name: 'kernels', label: 'Kernels', type: 'int', default: 8, min: 1, max: 256 },
      {
        name: 'durationMs',
        label: 'Kernel duration',
        type: 'number',
        default: 1,
        min: 0.05,
        max: 1000,
        unit: 'ms',
      },
    ],
  },
  total: (p) => num(p, 'copies') + num(p, 'kernels'),
  estimateMs: (p) => num(p, 'kernels') * num(p, 'durationMs') + num(p, 'copies') * num(p, 'sizeMB') * 0.5,
  async run(ctx) {
    const N = num(ctx.params, 'copies'),
      K = num(ctx.params, 'kernels'),
      D = num(ctx.params, 'durationMs');
    const bytes = Math.max(512, Math.round(num(ctx.params, 'sizeMB') * 1024 * 1024));
    const compute = new xpu.Stream({ device: ctx.device });
    let copy: Stream;
    let copyEngine = 1;
    try {
      copy = new xpu.Stream({ device: ctx.device, engine: 'copy' });
    } catch {
      copy = new xpu.Stream({ device: ctx.device });
      copyEngine = 0;
    }
    const host = ctx.alloc(bytes, 'host');
    const dev = ctx.alloc(bytes, 'device');
    // Warm-up: the first touch of fresh buffers and the streams' first submission (command list
    // creation) are not what this scenario measures.
    copy.copy(dev, host, bytes);
    copy.copy(host, dev, bytes);
    ctx.launchBusy(compute, 0.05);
    await syncAll([copy, compute]);
    ctx.markStart();
    for (let i = 0; i < Math.max(N, K); i++) {
      if (i < K) {
        ctx.launchBusy(compute, D);
        ctx.submitted();
      }
      if (i < N) {
        if (i % 2 === 0) copy.copy(dev, host, bytes);
        else copy.copy(host, dev, bytes);
        ctx.submitted();
      }
    }
    await syncAll([compute, copy]);
    const ops = ctx.ops().filter(isWork);
    const copies = ops.filter((o) => o.kind === 'copy');
    const kernels = ops.filter((o) => o.kind === 'kernel');
    const copyBusy = union(copies),
      computeBusy = union(kernels);
    const overlapNs = Math.max(0, copyBusy + computeBusy - union(ops));
    const copyNs = copies.reduce((n, o) => n + (o.endNs - o.startNs), 0);
    return {
      details: {
        copyEngine,
        copyEngineLabel: engineLabel(copy.engine),
        computeEngineLabel: engineLabel(compute.engine),
        copyStream: copy.streamId,
        computeStream: compute.streamId,
        copyBusyNs: copyBusy,
        computeBusyNs: computeBusy,
        overlapNs,
        overlapPctOfCopy: copyBusy > 0 ? (100 * overlapNs) / copyBusy : 0,
        copyGBps: copyNs > 0 ? copies.reduce((n, o) => n + o.bytes, 0) / copyNs : 0,
      },
    };
  },
  explain(i) {
    const d = i.details;
    const pct = Number(d.overlapPctOfCopy ?? 0);
    const bw = Number(d.copyGBps ?? 0);
    const nums = `speed-up ${fx(i.speedup)} over running copies and kernels one after another`;
    if (d.copyEngine === 0) {
      return `${i.ctx.deviceName} has no copy-only engine, so the copies ran on a second compute stream; they overlapped the kernels for ${pct.toFixed(0)}% of the copy time: ${nums}.`;
    }
    const verdict =
      pct >= 50
        ? 'the copy engine moved data while the compute engine kept computing'
        : 'little of the copy time was hidden behind kernels (copies and kernels are unbalanced, or they share a bottleneck)';
    return `Copies ran on ${String(d.copyEngineLabel)} (${bw.toFixed(1)} GB/s measured) while kernels ran on ${String(d.computeEngineLabel)}; ${pct.toFixed(0)}% of the copy time overlapped kernels — ${verdict}: ${nums}.`;
  },
};

// ---- event chain ----
const eventChain: ScenarioDef = {
  info: {
    name: 'event-chain',
    title: 'Event-linked pipeline',
    summary:
      "A pipeline of S stages, one stream each: every item runs a kernel on stage 1, then stage 2 waits for stage 1's event for that item (stream.waitEvent), and so on. Dependencies order the work across streams while different items still overlap.",
    params: [
      { name: 'stages', label: 'Stages (streams)', type: 'int', default: 3, min: 2, max: 16 },
      { name: 'items', label: 'Items', type: 'int', default: 6, min: 1, max: 256 },
      {
        name: 'durationMs',
        label: 'Kernel duration',
        type: 'number',
        default: 2,
        min: 0.05,
        max: 1000,
        unit: 'ms',
      },
    ],
  },
  total: (p) => num(p, 'stages') * num(p, 'items'),
  estimateMs: (p) => num(p, 'stages') * num(p, 'items') * num(p, 'durationMs'),
  async run(ctx) {
    const S = num(ctx.params, 'stages'),
      N = num(ctx.params, 'items'),
      D = num(ctx.params, 'durationMs');
    const streams = Array.from({ length: S }, () => new xpu.Stream({ device: ctx.device }));
    let waits = 0;
    for (let item = 0; item < N; item++) {
      let prev: Event | undefined;
      for (let j = 0; j < S; j++) {
        const s = streams[j]!;
        if (prev) {
          s.waitEvent(prev);
          waits++;
        }
        ctx.launchBusy(s, D);
        prev = s.recordEvent();
        ctx.submitted();
      }
    }
    await syncAll(streams);
    // Check every dependency held: the kernel after an event-wait starts after the recorded work ended.
    const ops = [...ctx.ops()].sort((a, b) => a.id - b.id);
    const byId = new Map(ops.map((o) => [o.id, o]));
    const nextOnStream = new Map<number, OpRecord[]>();
    for (const o of ops) {
      const l = nextOnStream.get(o.stream) ?? [];
      l.push(o);
      nextOnStream.set(o.stream, l);
    }
    let edges = 0,
      violations = 0;
    for (const o of ops) {
      if (o.kind !== 'event-wait') continue;
      for (const dep of o.deps) {
        edges++;
        const rec = byId.get(dep);
        const list = nextOnStream.get(o.stream)!;
        const after = list[list.indexOf(o) + 1];
        if (rec && after && after.startNs + 1000 < rec.endNs) violations++;
      }
    }
    const ideal = (S * N) / (N + S - 1);
    return { details: { waits, edges, dependencyViolations: violations, idealSpeedup: ideal } };
  },
  explain(i) {
    const S = num(i.ctx.params, 'stages'),
      N = num(i.ctx.params, 'items');
    const d = i.details;
    const ideal = Number(d.idealSpeedup);
    const head = `A ${S}-stage pipeline of ${plural(N, 'item')}: each stage waited for the previous one through ${plural(Number(d.edges), 'event wait')} (dependency edges)${Number(d.dependencyViolations) > 0 ? `, ${d.dependencyViolations} of which did not hold` : ', all of which held'}.`;
    if (i.usedComputeEngines <= 1)
      return `${head} With ${i.computeEngines <= 1 ? `${engineWord(i.computeEngines, 'compute')} on ${i.ctx.deviceName}` : 'all stages on one compute engine'} the stages cannot overlap: speed-up ${fx(i.speedup)} (ideal with ≥ ${S} engines: ${fx(ideal)}).`;
    return `${head} Different items overlapped on ${i.usedComputeEngines} of the ${i.computeEngines} compute engines: speed-up ${fx(i.speedup)} (ideal ${fx(ideal)} = S·N/(N+S−1) with one engine per stage).`;
  },
};

// ---- priorities ----
const priorities: ScenarioDef = {
  info: {
    name: 'priorities',
    title: 'Stream priorities under load',
    summary:
      'Background streams keep one compute engine busy with long kernels; meanwhile short probe kernels are submitted on a high-priority stream and on a normal-priority stream. How long each probe waits from submission to start shows whether the driver lets high-priority work go first.',
    params: [
      { name: 'streams', label: 'Background streams', type: 'int', default: 2, min: 1, max: 16 },
      { name: 'kernels', label: 'Kernels per background stream', type: 'int', default: 6, min: 1, max: 256 },
      {
        name: 'durationMs',
        label: 'Background kernel duration',
        type: 'number',
        default: 2,
        min: 0.05,
        max: 1000,
        unit: 'ms',
      },
      { name: 'probes', label: 'Probes per priority', type: 'int', default: 6, min: 1, max: 256 },
      {
        name: 'probeMs',
        label: 'Probe duration',
        type: 'number',
        default: 0.2,
        min: 0.05,
        max: 100,
        unit: 'ms',
      },
    ],
  },
  total: (p) => num(p, 'streams') * num(p, 'kernels') + 2 * num(p, 'probes'),
  estimateMs: (p) =>
    num(p, 'streams') * num(p, 'kernels') * num(p, 'durationMs') +
    2 * num(p, 'probes') * (num(p, 'probeMs') + num(p, 'durationMs')),
  async run(ctx) {
    const B = num(ctx.params, 'streams'),
      M = num(ctx.params, 'kernels'),
      D = num(ctx.params, 'durationMs'),
      P = num(ctx.params, 'probes'),
      PD = num(ctx.params, 'probeMs');
    // Everything on one engine (the first background stream's), so the probes compete with the load.
    const first = new xpu.Stream({ device: ctx.device, priority: 1 });
    const onEngine = (priority: number): Stream => {
      let s = new xpu.Stream({ device: ctx.device, priority });
      for (let tries = 0; tries < 32 && s.engine.index !== first.engine.index; tries++)
        s = new xpu.Stream({ device: ctx.device, priority });
      return s;
    };
    const background = [first];
    while (background.length < B) {
      const s = onEngine(1);
      if (background.some((b) => b.streamId === s.streamId)) break;
      background.push(s);
    }
    const high = onEngine(-1);
    const normal = onEngine(0);
    for (let j = 0; j < M; j++) {
      for (const s of background) {
        ctx.launchBusy(s, D);
        ctx.submitted();
      }
    }
    // Probes arrive while the background load runs, one pair every D ms.
    const spacing = Math.max(1, Math.min(D, (M * D) / Math.max(1, P)));
    for (let p = 0; p < P; p++) {
      if (p % 2 === 0) {
        ctx.launchBusy(high, PD);
        ctx.launchBusy(normal, PD);
      } else {
        ctx.launchBusy(normal, PD);
        ctx.launchBusy(high, PD);
      }
      ctx.submitted(2);
      await sleep(spacing);
    }
    await syncAll([...background, high, normal]);
    const kernelsOf = (s: Stream): OpRecord[] =>
      ctx.ops().filter((o) => o.kind === 'kernel' && o.stream === s.streamId && o.device === ctx.device);
    const wait = (s: Stream) => distribution(kernelsOf(s).map((o) => o.startNs - o.submitNs));
    const h = wait(high),
      n = wait(normal);
    return {
      details: {
        highStream: high.streamId,
        normalStream: normal.streamId,
        highWaitP50Ns: h.p50,
        highWaitP95Ns: h.p95,
        normalWaitP50Ns: n.p50,
        normalWaitP95Ns: n.p95,
        maxCommandQueuePriority: xpu.getDeviceProperties(ctx.device).maxCommandQueuePriority ?? 'unavailable',
      },
    };
  },
  explain(i) {
    const d = i.details;
    const h = Number(d.highWaitP50Ns),
      n = Number(d.normalWaitP50Ns);
    const load = `${plural(num(i.ctx.params, 'streams'), 'background stream')} × ${num(i.ctx.params, 'kernels')} kernels of ${num(i.ctx.params, 'durationMs')} ms`;
    const head = `Under a load of ${load}, high-priority probes started p50 ${fms(h)} after submission, normal-priority ones ${fms(n)}`;
    if (n > 0 && h < 0.67 * n)
      return `${head}: the driver let high-priority work go first (${fx(n / Math.max(h, 1))} shorter wait).`;
    if (h > 1.5 * n)
      return `${head}: high-priority work waited longer here, so priority did not help (it depends on which engine each stream landed on).`;
    return `${head}: no measurable preference — on this device and driver, work on one engine runs in submission order whatever the stream priority (maxCommandQueuePriority ${String(d.maxCommandQueuePriority)}).`;
  },
};

// ---- sync latency ----
const syncLatency: ScenarioDef = {
  info: {
    name: 'sync-latency',
    title: 'Synchronization latency',
    summary:
      "How soon the host learns that GPU work finished: a kernel of D ms is awaited with stream.synchronize() or event.synchronize(), alternately, and the time from the kernel's end (device timestamp) to the moment the await returns is measured.",
    params: [
      { name: 'samples', label: 'Samples per method', type: 'int', default: 10, min: 1, max: 1000 },
      {
        name: 'durationMs',
        label: 'Kernel duration',
        type: 'number',
        default: 1,
        min: 0.05,
        max: 1000,
        unit: 'ms',
      },
    ],
  },
  total: (p) => 2 * num(p, 'samples'),
  estimateMs: (p) => 2 * num(p, 'samples') * (num(p, 'durationMs') + 1),
  async run(ctx) {
    const N = num(ctx.params, 'samples'),
      D = num(ctx.params, 'durationMs');
    const s = new xpu.Stream({ device: ctx.device });
    const lat: Record<'stream' | 'event', number[]> = { stream: [], event: [] };
    for (let i = 0; i < 2 * N; i++) {
      const method = i % 2 === 0 ? 'stream' : 'event';
      ctx.launchBusy(s, D);
      if (method === 'stream') {
        await s.synchronize();
      } else {
        const e = s.recordEvent();
        await e.synchronize();
      }
      const now = ctx.hostNowNs();
      s.query(); // deliver the kernel's record
      const k = [...ctx.ops()].reverse().find((o) => o.kind === 'kernel' && o.stream === s.streamId);
      if (k) lat[method].push(Math.max(0, now - k.endNs));
      ctx.submitted();
    }
    await syncAll([s]);
    const st = distribution(lat.stream),
      ev = distribution(lat.event);
    return {
      details: {
        waitStrategy: xpu.waitStrategy(),
        streamP50Ns: st.p50,
        streamP95Ns: st.p95,
        streamMaxNs: st.max,
        eventP50Ns: ev.p50,
        eventP95Ns: ev.p95,
        eventMaxNs: ev.max,
      },
    };
  },
  explain(i) {
    const d = i.details;
    return `The host learned that a ${num(i.ctx.params, 'durationMs')} ms kernel had finished p50 ${fms(Number(d.streamP50Ns))} after it ended with stream.synchronize() and ${fms(Number(d.eventP50Ns))} with event.synchronize() (p95 ${fms(Number(d.streamP95Ns))} / ${fms(Number(d.eventP95Ns))}; wait strategy "${String(d.waitStrategy)}"). Work that depends on the host reacting pays this on top of the kernel time.`;
  },
};

export const SCENARIOS: readonly ScenarioDef[] = [
  concurrency,
  copyCompute,
  eventChain,
  priorities,
  syncLatency,
];

export function scenarioDef(name: string): ScenarioDef | undefined {
  return SCENARIOS.find((s) => s.info.name === name);
}

export type { ScenarioContext };
