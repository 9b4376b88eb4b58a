// bench/submit.mjs — `submit`: cost per operation submitted through a Stream.
//   measured: µs per op for a loop of `stream.fill(buf, 0, 64)` with a recorder attached (so every op is
//             an append + a KERNEL_TIMESTAMP event + zeDeviceGetGlobalTimestamps), through the shipped JS
//             (dist/runtime) → koffi → libze_loader → libze_xpusim (profile arc-a770). Submission loop
//             time only (the final synchronize is not counted).
//   baseline: bench/ze_bench.c `submit N` — the same Level Zero call sequence from C, same loader and
//             driver.
//   Both sides run the same way, in a fresh process per run: two untimed passes of N ops (the event pools
//   grow to N events in flight, the engine drains; on the JS side the JIT settles — the second pass was
//   still 2–4× the later ones), then the timed pass of N ops: the steady state of a stream in use. The JS side runs in its own process (this file with
//   --js-child) rather than in the benchmark's, because the benchmark process forks the C runs: after a
//   fork every page the process writes is copy-on-write faulted once, which made the next JS pass cost
//   4–6 µs/op of main-thread CPU instead of 1–2 (spawning /bin/true was enough; bench/NOTES.md).
//   Also measured, as a note: ze_bench's loop written in JS straight on koffi (--raw-child), the floor any
//   JS runtime over koffi has against this driver.
//   target:   ratio JS / C ≤ 1.25. Median of 5 runs (3 in --quick), C and JS runs interleaved.
import { pathToFileURL } from 'node:url';
import { fileURLToPath } from 'node:url';
import { lastJson, median, requireDist, runChild, simEnv, zeBench } from './lib.mjs';

export const meta = { id: 'submit', profile: 'arc-a770' };

export async function run({ quick, log }) {
  const ops = quick ? 2_000 : 10_000;
  const reps = quick ? 3 : 5;
  const bin = zeBench();
  const env = simEnv(meta.profile);
  requireDist('runtime/index.js');
  const self = fileURLToPath(import.meta.url);
  const js = [];
  const c = [];
  const raw = [];
  let delivered = 0;
  for (let r = 0; r < reps; r++) {
    const cres = await runChild(bin, ['submit', String(ops)], { env });
    const cj = lastJson(cres, 'ze_bench submit');
    c.push(cj.submitNs / ops / 1000);
    const jres = await runChild(process.execPath, [self, '--js-child', String(ops)], { env });
    const jj = lastJson(jres, 'submit --js-child');
    js.push(jj.submitNs / ops / 1000);
    delivered += jj.delivered;
    const rres = await runChild(process.execPath, [self, '--raw-child', String(ops)], { env });
    raw.push(lastJson(rres, 'submit --raw-child').submitNs / ops / 1000);
    log(
      `  run ${r + 1}: js ${js[r].toFixed(2)} µs/op, C ${c[r].toFixed(2)} µs/op, C's loop in JS on koffi ${raw[r].toFixed(2)} µs/op`,
    );
  }
  const m = median(js);
  const b = median(c);
  return {
    rows: [
      {
        name: 'submit µs/op (JS vs C)',
        measured: m,
        baseline: b,
        ratio: m / b,
        target: '≤ 1.25',
        pass: m / b <= 1.25,
        unit: 'µs',
      },
    ],
    notes: [
      `${ops} fills per timed pass after two untimed passes of ${ops}, ${reps} runs, each side in a fresh process; recorder attached (${delivered} records delivered), profile ${meta.profile}`,
      `the FFI floor: ze_bench's loop written in JS straight on koffi (no runtime: same calls, same passes) ${median(raw).toFixed(2)} µs/op = ${(median(raw) / b).toFixed(2)}× C; the runtime is ${(m / median(raw)).toFixed(2)}× that`,
    ],
    raw: { jsUsPerOp: js, cUsPerOp: c, koffiLoopUsPerOp: raw },
  };
}

/** One JS run (a fresh process, started by run()): prints {"ops","submitNs","delivered"}. */
async function jsChild(ops) {
  const { xpu, configureDriver } = await import(pathToFileURL(requireDist('runtime/index.js')).href);
  configureDriver({ driver: 'sim', profile: meta.profile });
  const s = new xpu.Stream({ device: 0 });
  const buf = xpu.alloc(4096, { kind: 'device' });
  let delivered = 0;
  xpu.setRecorder(() => delivered++);
  const pass = async () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) s.fill(buf, 0, 64);
    const t1 = process.hrtime.bigint();
    await s.synchronize();
    return Number(t1 - t0);
  };
  await pass(); // two untimed, as ze_bench's
  await pass();
  const submitNs = await pass();
  // let the recorder's sweep deliver the last records
  await new Promise((res) => setTimeout(res, 50));
  xpu.setRecorder(null);
  buf.free();
  process.stdout.write(JSON.stringify({ ops, submitNs, delivered }) + '\n');
}

/**
 * ze_bench's submit loop written in JS directly against koffi (dist/runtime/ze/lib.js: the runtime's own
 * declarations), without the runtime: the same calls and passes, so its time is the FFI's floor.
 */
async function rawChild(ops) {
  const { loadZe } = await import(pathToFileURL(requireDist('runtime/ze/lib.js')).href);
  const { L, struct } = await import(pathToFileURL(requireDist('runtime/ze/layouts.js')).href);
  const f = loadZe().fn;
  const ck = (r, what) => {
    if (r !== 0) throw new Error(`${what} failed: 0x${(r >>> 0).toString(16)}`);
  };
  const out = new BigUint64Array(1);
  const n = new Uint32Array([1]);
  ck(f.zeInit(0), 'zeInit');
  ck(f.zeDriverGet(n, out), 'zeDriverGet');
  const drv = out[0];
  n[0] = 1;
  ck(f.zeDeviceGet(drv, n, out), 'zeDeviceGet');
  const dev = out[0];
  ck(f.zeContextCreate(drv, struct(L.ze_context_desc_t, {}).buf, out), 'zeContextCreate');
  const ctx = out[0];
  // ordinal 0: the compute group on arc-a770 (as ze_bench's choice)
  const qd = struct(L.ze_command_queue_desc_t, { ordinal: 0, flags: 2, mode: 2, priority: 0 });
  ck(f.zeCommandListCreateImmediate(ctx, dev, qd.buf, out), 'zeCommandListCreateImmediate');
  const list = out[0];
  ck(
    f.zeMemAllocDevice(ctx, struct(L.ze_device_mem_alloc_desc_t, {}).buf, 2 << 20, 512, dev, out),
    'zeMemAllocDevice',
  );
  const buf = out[0];
  const free = [];
  const ed = struct(L.ze_event_desc_t, { index: 0, signal: 4, wait: 4 });
  const grow = () => {
    ck(
      f.zeEventPoolCreate(ctx, struct(L.ze_event_pool_desc_t, { flags: 5, count: 64 }).buf, 0, null, out),
      'zeEventPoolCreate',
    );
    const pool = out[0];
    for (let i = 63; i >= 0; i--) {
      ed.set('index', i);
      ck(f.zeEventCreate(pool, ed.buf, out), 'zeEventCreate');
      free.push(out[0]);
    }
  };
  const kts = new BigUint64Array(4);
  const kts32 = new Uint32Array(kts.buffer);
  const gts = new BigUint64Array(2);
  const host = gts.subarray(0, 1);
  const ticks = gts.subarray(1, 2);
  const pat = Buffer.from([0]);
  let sink = 0;
  const pass = () => {
    const q = new Array(ops);
    let head = 0;
    let tail = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) {
      while (tail > head) {
        const e = q[head];
        if (f.zeEventQueryStatus(e) !== 0) break;
        ck(f.zeEventQueryKernelTimestamp(e, kts), 'zeEventQueryKernelTimestamp');
        sink += kts32[2] - kts32[0];
        free.push(e);
        head++;
      }
      if (free.length === 0) grow();
      const e = free.pop();
      ck(f.zeEventHostReset(e), 'zeEventHostReset'); // on taking it, as EventPools and ze_bench do
      ck(f.zeDeviceGetGlobalTimestamps(dev, host, ticks), 'zeDeviceGetGlobalTimestamps');
      ck(f.zeCommandListAppendMemoryFill(list, buf, pat, 1, 64, e, 0, null), 'zeCommandListAppendMemoryFill');
      q[tail++] = e;
    }
    const t1 = process.hrtime.bigint();
    if (tail > head) ck(f.zeEventHostSynchronize(q[tail - 1], 0xffffffffffffffffn), 'zeEventHostSynchronize');
    while (head < tail) {
      ck(f.zeEventQueryKernelTimestamp(q[head], kts), 'zeEventQueryKernelTimestamp');
      free.push(q[head++]);
    }
    return Number(t1 - t0);
  };
  pass();
  pass();
  const submitNs = pass();
  process.stdout.write(JSON.stringify({ ops, submitNs, sink: sink > 0 }) + '\n');
}

const childMode = { '--js-child': jsChild, '--raw-child': rawChild }[process.argv[2]];
if (childMode) {
  childMode(Number(process.argv[3])).then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`${e?.stack ?? e}\n`);
      process.exit(3);
    },
  );
}
