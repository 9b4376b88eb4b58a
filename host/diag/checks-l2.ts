// Level 2 diagnostics: functional, per device, through the runtime's public API — properties,
// engines, allocation, copies, kernels, timestamps, overlap.
import { formatBytes } from '../../protocol/format.js';
import {
  probe,
  xpu,
  ZeError,
  zeResultName,
  type DeviceProperties,
  type Stream,
} from '../../runtime/index.js';
import {
  Buffers,
  busyIterations,
  engineStreams,
  failed,
  MiB,
  NO_DRIVER_HINT,
  pattern,
  props,
  sha256,
} from './check-helpers.js';
import { outcome, type CheckDef } from './registry.js';

const properties: CheckDef = {
  id: 'l2.properties',
  title: 'Device properties are sane',
  level: 2,
  scope: 'device',
  measures:
    'name, vendor, EU count, work-group limits, memory sizes, engines and timer are present and consistent',
  run(ctx) {
    const expected =
      'non-empty name; vendor 0x8086; EUs, clock, work-group size > 0; maxMemAllocSize ≤ totalMemory; a compute engine; a timer';
    const source =
      'Level Zero spec (zeDeviceGetProperties, zeDeviceGetComputeProperties, zeDeviceGetMemoryProperties)';
    let p: DeviceProperties;
    try {
      p = props(ctx);
    } catch (err) {
      return failed(err, expected, source, 'Report the device and driver versions to the driver vendor.');
    }
    const bad: string[] = [];
    const odd: string[] = [];
    if (!p.name.trim()) bad.push('empty name');
    if (p.vendorId !== 0x8086) odd.push(`vendor 0x${p.vendorId.toString(16)} is not Intel`);
    if (!(p.gpuEuCount > 0)) bad.push('EU count is 0');
    if (!(p.coreClockRate > 0)) bad.push('core clock is 0');
    if (!(p.maxWorkGroupSize > 0)) bad.push('maxWorkGroupSize is 0');
    if (p.subGroupSizes.length === 0) bad.push('no sub-group sizes');
    if (p.totalMemory === undefined || !(p.totalMemory > 0)) bad.push('no device memory reported');
    else if (p.maxMemAllocSize > p.totalMemory)
      bad.push(
        `maxMemAllocSize ${formatBytes(p.maxMemAllocSize)} exceeds totalMemory ${formatBytes(p.totalMemory)}`,
      );
    if (!(p.maxMemAllocSize > 0)) bad.push('maxMemAllocSize is 0');
    if (!p.engines.some((g) => g.flags & 1)) bad.push('no compute engine');
    if (p.timerFrequency === undefined) odd.push('no timer frequency (DEVICE_PROPERTIES_1_2)');
    if (!(p.timestampValidBits > 0) || p.timestampValidBits > 64)
      bad.push(`timestampValidBits ${p.timestampValidBits}`);
    if (!(p.kernelTimestampValidBits > 0) || p.kernelTimestampValidBits > 64)
      bad.push(`kernelTimestampValidBits ${p.kernelTimestampValidBits}`);
    const measured = `${p.name}: ${p.gpuEuCount} EUs @ ${p.coreClockRate} MHz, ${p.totalMemory !== undefined ? formatBytes(p.totalMemory) : '? memory'}, ${p.engines.length} engine group(s)`;
    const details = { unavailable: p.unavailable };
    if (bad.length > 0) {
      return outcome('fail', measured, expected, source, {
        message: bad.concat(odd).join('; '),
        hint: 'The driver reports impossible properties: update the compute runtime and report it to Intel with `xpuscope info --json`.',
        details,
      });
    }
    if (odd.length > 0) {
      return outcome('warn', measured, expected, source, {
        message: odd.join('; '),
        hint: 'Check that this is the GPU you meant to test (ZE_AFFINITY_MASK) and that the driver is current.',
        details,
      });
    }
    return outcome('pass', measured, expected, source, { details });
  },
};

const engines: CheckDef = {
  id: 'l2.engines',
  title: 'Context and immediate command list on every engine',
  level: 2,
  scope: 'device',
  measures:
    'a new context, and an immediate command list on every queue of every engine group (zeCommandListCreateImmediate)',
  run(ctx) {
    const expected = 'every (ordinal, index) of zeDeviceGetCommandQueueGroupProperties accepts a list';
    const source = 'Level Zero spec: numQueues per command queue group';
    let groups;
    try {
      groups = probe.engineQueues(ctx.device);
    } catch (err) {
      const contextFailed = err instanceof ZeError && err.call === 'zeContextCreate';
      return failed(err, expected, source, contextFailed ? 'Update the compute runtime.' : NO_DRIVER_HINT);
    }
    const failures: string[] = [];
    const perGroup: Record<string, string> = {};
    let ok = 0;
    let total = 0;
    for (const g of groups) {
      let good = 0;
      g.results.forEach((rc, index) => {
        total++;
        if (rc !== 0) {
          failures.push(`ordinal ${g.ordinal} (${g.kind}) index ${index}: ${zeResultName(rc)}`);
          return;
        }
        good++;
        ok++;
      });
      perGroup[`${g.ordinal}:${g.kind}`] = `${good}/${g.numQueues}`;
    }
    const measured = `${ok}/${total} queues: ${Object.entries(perGroup)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`;
    if (failures.length > 0) {
      return outcome('fail', measured, expected, source, {
        message: failures.join('; '),
        hint: 'An engine refuses work: check dmesg for GPU errors and update the kernel driver and compute runtime.',
        details: { groups: perGroup },
      });
    }
    return outcome('pass', measured, expected, source, {
      value: ok,
      unit: 'queues',
      details: { groups: perGroup },
    });
  },
};

const allocation: CheckDef = {
  id: 'l2.alloc',
  title: 'Memory allocation of each kind',
  level: 2,
  scope: 'device',
  measures:
    'device, host and shared allocations (zeMemAlloc*) succeed; host/shared memory reads back what was written',
  async run(ctx) {
    const expected = 'device, host and shared allocations of 4 MiB succeed; host/shared read back equal';
    const source = 'Level Zero spec: USM allocations (zeMemAllocDevice/Host/Shared)';
    const bufs = new Buffers();
    const kinds: Record<string, string> = {};
    try {
      for (const kind of ['device', 'host', 'shared'] as const) {
        const b = bufs.alloc(4 * MiB, kind, ctx.device);
        if (kind !== 'device') {
          const data = pattern(4 * MiB, 7);
          b.write(data);
          if (!b.read().equals(data)) {
            return outcome('fail', `${kind} memory read back differs`, expected, source, {
              hint: 'Host-visible memory is corrupted: update the driver, check dmesg; report it with `xpuscope info --json`.',
              details: { kinds },
            });
          }
        }
        kinds[kind] = 'ok';
      }
    } catch (err) {
      return failed(err, expected, source, 'Allocation failed: update the compute runtime and check dmesg.');
    } finally {
      bufs.free();
    }
    return outcome('pass', 'device, host, shared: ok', expected, source, { details: { kinds } });
  },
};

const copies: CheckDef = {
  id: 'l2.copy',
  title: 'Copy correctness host→device→device→host',
  level: 2,
  scope: 'device',
  measures:
    'an 8 MiB pattern copied H→D→D→H on the compute and the copy engine comes back with the same checksum',
  async run(ctx) {
    const expected = 'SHA-256 of the result equals the source, on every engine';
    const source = 'a copy must be exact';
    const bytes = 8 * MiB;
    const bufs = new Buffers();
    const per: Record<string, string> = {};
    try {
      const p = props(ctx);
      const src = pattern(bytes, 0xc0ffee + ctx.device);
      const want = sha256(src);
      for (const { name, stream } of engineStreams(p, ctx.device)) {
        const a = bufs.alloc(bytes, 'host', ctx.device);
        const b = bufs.alloc(bytes, 'device', ctx.device);
        const c = bufs.alloc(bytes, 'device', ctx.device);
        const d = bufs.alloc(bytes, 'host', ctx.device);
        a.write(src);
        d.write(Buffer.alloc(bytes));
        stream.copy(b, a);
        stream.copy(c, b);
        stream.copy(d, c);
        await stream.synchronize();
        const got = sha256(d.read());
        per[name] = got;
        if (got !== want) {
          return outcome('fail', `${name} engine: checksum ${got}, expected ${want}`, expected, source, {
            message: `data copied on the ${name} engine came back different`,
            hint: 'Copies corrupt data: check dmesg for GPU errors, update the driver and firmware; try another PCIe slot.',
            details: { checksums: per, expected: want },
          });
        }
      }
      return outcome(
        'pass',
        `${Object.keys(per).join(' + ')} engine(s): checksum ${want}`,
        expected,
        source,
        {
          details: { checksums: per, bytes },
        },
      );
    } catch (err) {
      return failed(err, expected, source, 'Copies fail: check dmesg for GPU errors, update the driver.');
    } finally {
      bufs.free();
    }
  },
};

const EXPECTED_KERNELS = ['busy', 'saxpy', 'fill_u32', 'checksum_u32', 'copy_u32'];

const kernelBuild: CheckDef = {
  id: 'l2.kernel-build',
  title: 'Kernel module build (SPIR-V)',
  level: 2,
  scope: 'device',
  measures: "xpuscope's SPIR-V module builds with zeModuleCreate and exposes its kernels",
  run(ctx) {
    const expected = `module builds; kernels ${EXPECTED_KERNELS.join(', ')}`;
    const source = `${probe.kernelsPath()} (native/kernels/xpuscope.cl)`;
    try {
      const t0 = performance.now();
      const k = xpu.kernels(ctx.device);
      const ms = performance.now() - t0;
      const missing = EXPECTED_KERNELS.filter((n) => !(n in k));
      if (missing.length > 0) {
        return outcome('fail', `built; missing ${missing.join(', ')}`, expected, source, {
          hint: 'The SPIR-V module is incomplete: rebuild it (npm run build:native) or reinstall xpuscope.',
        });
      }
      return outcome(
        'pass',
        `built in ${ms.toFixed(1)} ms, ${Object.keys(k).length} kernels`,
        expected,
        source,
        {
          value: ms,
          unit: 'ms',
        },
      );
    } catch (err) {
      return failed(
        err,
        expected,
        source,
        'The driver cannot build SPIR-V modules: update the compute runtime (IGC), check that the SPIR-V file exists (npm run build:native).',
      );
    }
  },
};

const saxpy: CheckDef = {
  id: 'l2.saxpy',
  title: 'Kernel launch and result (saxpy)',
  level: 2,
  scope: 'device',
  measures: 'y = a·x + y on 64 Ki floats computed on the device equals the host result',
  async run(ctx) {
    const expected = 'every element within 1e-6 relative of the host result';
    const source = 'IEEE-754 single precision (fma on the device, exact inputs)';
    const n = 1 << 16;
    const bytes = n * 4;
    const a = 2.5;
    const bufs = new Buffers();
    try {
      const p = props(ctx);
      const k = xpu.kernels(ctx.device).saxpy;
      if (!k)
        return outcome('fail', 'saxpy kernel missing', expected, source, {
          hint: 'Rebuild the kernels: npm run build:native.',
        });
      const x = new Float32Array(n);
      const y = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        x[i] = (i % 1000) * 0.25;
        y[i] = 1 + (i % 7);
      }
      const s = new xpu.Stream({ device: ctx.device });
      const hx = bufs.alloc(bytes, 'host', ctx.device);
      const hy = bufs.alloc(bytes, 'host', ctx.device);
      const dx = bufs.alloc(bytes, 'device', ctx.device);
      const dy = bufs.alloc(bytes, 'device', ctx.device);
      hx.write(x);
      hy.write(y);
      s.copy(dx, hx);
      s.copy(dy, hy);
      const groupSize = Math.min(256, p.maxWorkGroupSize);
      s.launch(k, { groups: Math.ceil(n / groupSize), groupSize, args: [dy, dx, { f32: a }] });
      s.copy(hy, dy);
      await s.synchronize();
      const out = hy.read();
      let bad = 0;
      let first = -1;
      for (let i = 0; i < n; i++) {
        const want = Math.fround(a * (x[i] ?? 0) + (y[i] ?? 0));
        const got = out.readFloatLE(i * 4);
        if (!(Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want)))) {
          bad++;
          if (first < 0) first = i;
        }
      }
      if (bad > 0) {
        const i = first;
        return outcome(
          'fail',
          `${bad}/${n} elements wrong (first: [${i}] = ${out.readFloatLE(i * 4)})`,
          expected,
          source,
          {
            value: bad,
            unit: 'elements',
            hint: 'Kernels compute wrong results: update the compute runtime and GPU firmware; report with `xpuscope info --json`.',
          },
        );
      }
      return outcome('pass', `${n}/${n} elements correct`, expected, source, {
        value: 0,
        unit: 'wrong elements',
      });
    } catch (err) {
      return failed(err, expected, source, 'Kernel launches fail: update the compute runtime, check dmesg.');
    } finally {
      bufs.free();
    }
  },
};

const timestamps: CheckDef = {
  id: 'l2.timestamps',
  title: 'Timestamps monotonic and consistent with the host clock',
  level: 2,
  scope: 'device',
  measures:
    'zeDeviceGetGlobalTimestamps is monotonic; device ticks / timer frequency track the host clock over 100 ms; event timing of a ~10 ms kernel fits in the host-measured time',
  async run(ctx) {
    const expected = 'monotonic; device/host rate within ±1 %; kernel event time ≤ host time';
    const source =
      'timerResolution (DEVICE_PROPERTIES_1_2) from the device properties; CLOCK_MONOTONIC_RAW on the host';
    const bufs = new Buffers();
    try {
      const p = props(ctx);
      const timer = probe.deviceTimer(ctx.device);
      if (!timer || p.timerFrequency === undefined) {
        return outcome('fail', 'no timer frequency', expected, source, {
          hint: 'The driver does not report a timer (API < 1.2?): update the compute runtime.',
        });
      }
      const mask = timer.globalMask;
      let prev = probe.globalTimestamps(ctx.device);
      for (let i = 0; i < 20; i++) {
        const cur = probe.globalTimestamps(ctx.device);
        const dticks = (cur[1] - prev[1]) & mask;
        if (cur[0] < prev[0] || dticks > mask >> 1n) {
          return outcome(
            'fail',
            `sample ${i}: went backwards (host ${cur[0] - prev[0]} ns, device ${cur[1] - prev[1]} ticks)`,
            expected,
            source,
            {
              hint: 'The GPU timestamp counter is not monotonic: update the compute runtime and firmware.',
            },
          );
        }
        prev = cur;
      }
      const g0 = probe.globalTimestamps(ctx.device);
      await new Promise((r) => setTimeout(r, 100));
      const g1 = probe.globalTimestamps(ctx.device);
      const hostNs = Number(g1[0] - g0[0]);
      const devNs = (Number((g1[1] - g0[1]) & mask) * 1e9) / timer.frequency;
      const ratio = devNs / hostNs;
      const details: Record<string, unknown> = {
        hostNs,
        deviceNs: Math.round(devNs),
        ratio,
        frequency: timer.frequency,
      };
      if (!(Math.abs(ratio - 1) <= 0.01)) {
        return outcome('fail', `device/host rate ${ratio.toFixed(4)}`, expected, source, {
          value: ratio,
          details,
          hint: 'The device timer does not run at the frequency it reports: profiles will show wrong durations. Update the compute runtime.',
        });
      }
      // Event timing of a ~10 ms kernel must fit inside the host-measured interval.
      const k = xpu.kernels(ctx.device).busy;
      if (k) {
        const s = new xpu.Stream({ device: ctx.device });
        const out = bufs.alloc(64 * 4, 'device', ctx.device);
        const e0 = new xpu.Event({ enableTiming: true });
        const e1 = new xpu.Event({ enableTiming: true });
        const t0 = performance.now();
        e0.record(s);
        s.launch(k, {
          groups: 1,
          groupSize: Math.min(64, p.maxWorkGroupSize),
          args: [out, { u32: busyIterations(p, 10) }],
        });
        e1.record(s);
        await s.synchronize();
        const host = performance.now() - t0;
        const ev = e0.elapsedTime(e1);
        details.kernelEventMs = ev;
        details.kernelHostMs = host;
        if (!(ev >= 0) || ev > host + 1) {
          return outcome(
            'fail',
            `event time ${ev.toFixed(3)} ms vs host ${host.toFixed(3)} ms`,
            expected,
            source,
            {
              details,
              hint: 'Kernel timestamps disagree with the host clock: update the compute runtime.',
            },
          );
        }
      }
      return outcome(
        'pass',
        `monotonic; rate ${ratio.toFixed(5)}${details.kernelEventMs !== undefined ? `; kernel ${(details.kernelEventMs as number).toFixed(2)} ms (host ${(details.kernelHostMs as number).toFixed(2)} ms)` : ''}`,
        expected,
        source,
        {
          value: ratio,
          details,
        },
      );
    } catch (err) {
      return failed(err, expected, source, 'Timestamps cannot be read: update the compute runtime.');
    } finally {
      bufs.free();
    }
  },
};

const overlap: CheckDef = {
  id: 'l2.overlap',
  title: 'Streams overlap as the engine count predicts',
  level: 2,
  scope: 'device',
  measures:
    'N = queues+1 streams each run a ~40 ms kernel; the makespan must match ceil(N / compute queues) kernels (no false serialisation, no impossible overlap)',
  async run(ctx) {
    const source = 'numQueues of the compute engine group (zeDeviceGetCommandQueueGroupProperties)';
    const bufs = new Buffers();
    try {
      const p = props(ctx);
      const group = p.engines.find((g) => g.kind === 'compute') ?? p.engines.find((g) => g.flags & 1);
      const k = xpu.kernels(ctx.device).busy;
      if (!group || !k)
        return outcome('fail', 'no compute engine or busy kernel', '-', source, {
          hint: 'See l2.properties / l2.kernel-build.',
        });
      const q = Math.max(1, group.numQueues);
      // Pick streams so that every queue of the group gets one, plus one more stream.
      const byQueue = new Map<number, Stream>();
      const chosen: Stream[] = [];
      for (let i = 0; i < 64 && byQueue.size < q; i++) {
        const s = new xpu.Stream({ device: ctx.device });
        if (!byQueue.has(s.engine.index)) {
          byQueue.set(s.engine.index, s);
          chosen.push(s);
        }
      }
      chosen.push(new xpu.Stream({ device: ctx.device }));
      const load = new Map<number, number>();
      for (const s of chosen) load.set(s.engine.index, (load.get(s.engine.index) ?? 0) + 1);
      const rounds = Math.max(...load.values());
      const kernelMs = 40;
      const iters = busyIterations(p, kernelMs);
      const gs = Math.min(16, p.maxWorkGroupSize);
      const outs = chosen.map(() => bufs.alloc(gs * 4, 'device', ctx.device));
      // Warm up: create the command lists, measure one kernel alone.
      for (const [i, s] of chosen.entries())
        s.launch(k, { groups: 1, groupSize: gs, args: [outs[i], { u32: 1 }] });
      await Promise.all(chosen.map((s) => s.synchronize()));
      const solo = chosen[0] as Stream;
      const a0 = new xpu.Event({ enableTiming: true });
      const a1 = new xpu.Event({ enableTiming: true });
      a0.record(solo);
      solo.launch(k, { groups: 1, groupSize: gs, args: [outs[0], { u32: iters }] });
      a1.record(solo);
      await solo.synchronize();
      const one = a0.elapsedTime(a1);
      const starts = chosen.map(() => new xpu.Event({ enableTiming: true }));
      const ends = chosen.map(() => new xpu.Event({ enableTiming: true }));
      for (const [i, s] of chosen.entries()) starts[i]?.record(s);
      for (const [i, s] of chosen.entries()) {
        s.launch(k, { groups: 1, groupSize: gs, args: [outs[i], { u32: iters }] });
        ends[i]?.record(s);
      }
      await Promise.all(chosen.map((s) => s.synchronize()));
      const ref = starts[0] as InstanceType<typeof xpu.Event>;
      const t0 = Math.min(0, ...starts.map((e) => ref.elapsedTime(e)));
      const t1 = Math.max(...ends.map((e) => ref.elapsedTime(e)));
      const makespan = t1 - t0;
      const predicted = rounds * one;
      const ratio = makespan / predicted;
      const expected = `makespan ≈ ${rounds} × ${one.toFixed(1)} ms = ${predicted.toFixed(1)} ms (±35 %) for ${chosen.length} streams on ${q} compute queue(s)`;
      const measured = `${makespan.toFixed(1)} ms (${ratio.toFixed(2)} × predicted)`;
      const details = {
        streams: chosen.length,
        computeQueues: q,
        queueLoad: Object.fromEntries(load),
        kernelMs: one,
        makespanMs: makespan,
        predictedMs: predicted,
      };
      if (ratio > 1.35) {
        return outcome('fail', measured, expected, source, {
          value: makespan,
          unit: 'ms',
          details,
          message: 'streams on separate queues ran one after another',
          hint: 'Work on separate queues serialises: check that no other process saturates the GPU, and the driver’s engine configuration (e.g. CCS mode on Data Center GPUs).',
        });
      }
      if (ratio < 0.65) {
        return outcome('warn', measured, expected, source, {
          value: makespan,
          unit: 'ms',
          details,
          message: 'more overlap than the reported engines allow: the driver may under-report its queues',
          hint: 'Compare numQueues in `xpuscope info` with the hardware documentation.',
        });
      }
      return outcome('pass', measured, expected, source, { value: makespan, unit: 'ms', details });
    } catch (err) {
      return failed(
        err,
        'streams overlap as predicted',
        source,
        'Launches fail: update the compute runtime, check dmesg.',
      );
    } finally {
      bufs.free();
    }
  },
};

/** Level 2, in run order. */
export const L2_CHECKS: readonly CheckDef[] = [
  properties,
  engines,
  allocation,
  copies,
  kernelBuild,
  saxpy,
  timestamps,
  overlap,
];
