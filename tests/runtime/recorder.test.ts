// The profiling hook: completed operations with device times converted to host ns.
import { describe, expect, it, vi } from 'vitest';
import { xpu, type OpRecord } from '../../runtime/index.js';
import { deviceRuntime, tickSpan32, ticksToHost32 } from '../../runtime/device-runtime.js';
import { mulberry32 } from '../../runtime/prng.js';
import { ticksToHost } from '../../runtime/recorder.js';
import { haveSim, useSim } from './helpers/sim.js';

useSim();

describe('tick conversion', () => {
  const timer = { frequency: 19_200_000, kernelMask: (1n << 32n) - 1n, globalMask: (1n << 36n) - 1n };
  const ns = 1e9 / 19_200_000;
  it('anchors at the submit pair and converts ticks to ns', () => {
    const t = ticksToHost(timer, 1_000_000n, 100n, 110n, 130n);
    expect(t.startNs).toBeCloseTo(1_000_000 + 10 * ns, 6);
    expect(t.endNs).toBeCloseTo(1_000_000 + 30 * ns, 6);
  });
  it('handles the kernel counter wrapping between submit and start, and between start and end', () => {
    const submitTicks = (5n << 32n) + (1n << 32n) - 10n; // global ticks have more valid bits
    const a = ticksToHost(timer, 0n, submitTicks, 5n, 20n);
    expect(a.startNs).toBeCloseTo(15 * ns, 6);
    expect(a.endNs - a.startNs).toBeCloseTo(15 * ns, 6);
    const b = ticksToHost(timer, 0n, (1n << 32n) - 100n, (1n << 32n) - 5n, 7n);
    expect(b.endNs - b.startNs).toBeCloseTo(12 * ns, 6);
  });
});

describe('tick conversion without BigInt (counters of at most 32 bits)', () => {
  it('gives exactly what ticksToHost gives, wraps and "start before submit" included', () => {
    const rnd = mulberry32(7);
    const u32 = (): number => Math.floor(rnd() * 2 ** 32);
    for (const bits of [32, 31, 20, 1]) {
      const mask = 2 ** bits - 1;
      const timer = {
        frequency: 19_200_000,
        kernelMask: (1n << BigInt(bits)) - 1n,
        globalMask: (1n << 64n) - 1n,
      };
      const nsPerTick = 1e9 / timer.frequency;
      const cases: [number, number, number, number, number][] = [
        // [submit host ns, submit ticks hi, submit ticks lo, start (low word), end (low word)]
        [1_000_000, 0, 100, 110, 130],
        [0, 5, 2 ** 32 - 10, 5, 20], // wrap between submit and start
        [123_456_789, 0, 2 ** 32 - 100, 2 ** 32 - 5, 7], // wrap between start and end
        [5e12, 1, 1000, 990, 1010], // start "before" submit: a small negative distance
      ];
      for (let i = 0; i < 2000; i++)
        cases.push([Math.floor(rnd() * 2 ** 52), u32() >>> 8, u32(), u32(), u32()]);
      for (const [host, hi, lo, start, end] of cases) {
        const ticks = (BigInt(hi) << 32n) | BigInt(lo);
        // the device writes kernel timestamps already masked to the valid bits
        const s = start & mask;
        const e = end & mask;
        const ref = ticksToHost(timer, BigInt(host), ticks, BigInt(s >>> 0), BigInt(e >>> 0));
        const startNs = ticksToHost32(mask, nsPerTick, host, lo, s >>> 0);
        const endNs = startNs + tickSpan32(mask, s >>> 0, e >>> 0) * nsPerTick;
        expect([startNs, endNs]).toEqual([ref.startNs, ref.endNs]);
      }
    }
  });
});

describe.skipIf(!haveSim)('recorder', () => {
  it('without a recorder, operations use plain events (no timestamp pools)', async () => {
    const s = new xpu.Stream({ device: 0 });
    for (let i = 0; i < 100; i++) s.barrier();
    await s.synchronize();
    expect(deviceRuntime(0).events.timestampPools).toBe(0);
    expect(deviceRuntime(0).events.poolCount).toBeGreaterThan(0);
  });

  it('delivers nothing without a recorder and every op kind with one', async () => {
    const ops: OpRecord[] = [];
    const s = new xpu.Stream({ device: 1 });
    const other = new xpu.Stream({ device: 1 });
    const k = xpu.kernels(1);
    const dev = xpu.alloc(4096 * 4, { device: 1 });
    const host = xpu.alloc(4096 * 4, { device: 1, kind: 'host' });
    s.fill(dev, 0);
    await s.synchronize();
    xpu.setRecorder({ onOp: (op) => ops.push(op) });
    try {
      s.fill(dev, 1);
      s.launch(k.fill_u32!, { groups: 64, groupSize: 64, args: [dev, 7] });
      s.barrier();
      s.copy(host, dev);
      other.waitStream(s);
      other.barrier();
      await xpu.synchronize(1);
      // Delivery is in completion order per stream; across streams, order by id (submission order).
      ops.sort((a, b) => a.id - b.id);
      expect(ops.map((o) => o.kind)).toEqual([
        'fill',
        'kernel',
        'barrier',
        'copy',
        'event-record',
        'event-wait',
        'barrier',
      ]);
      const [fill, kernel, , copy, rec, wait] = ops;
      expect(kernel).toMatchObject({
        device: 1,
        stream: s.streamId,
        name: 'fill_u32',
        bytes: 0,
        engine: s.engine,
      });
      expect(fill).toMatchObject({ name: 'fill', bytes: 4096 * 4 });
      expect(copy).toMatchObject({ name: 'copy D2H', bytes: 4096 * 4 });
      expect(wait).toMatchObject({ stream: other.streamId, deps: [rec!.id] });
      expect(new Set(ops.map((o) => o.id)).size).toBe(ops.length);
      for (const o of ops) {
        expect(o.startNs).toBeGreaterThanOrEqual(o.submitNs - 1);
        expect(o.endNs).toBeGreaterThanOrEqual(o.startNs);
        expect(Number.isFinite(o.startNs)).toBe(true);
      }
      // In-order stream: each op starts after the previous one ended.
      for (let i = 1; i < 4; i++) expect(ops[i]!.startNs).toBeGreaterThanOrEqual(ops[i - 1]!.endNs - 1);
    } finally {
      xpu.setRecorder(null);
      dev.free();
      host.free();
    }
  });

  it('delivers completed ops without an explicit synchronize', async () => {
    const ops: OpRecord[] = [];
    xpu.setRecorder((op) => ops.push(op));
    try {
      const s = new xpu.Stream({ device: 0 });
      s.barrier();
      s.barrier();
      await vi.waitFor(() => expect(ops).toHaveLength(2), { timeout: 5000 });
    } finally {
      xpu.setRecorder(null);
    }
  });

  it('reuses timestamp events from pools instead of one pool per op', async () => {
    const ops: OpRecord[] = [];
    xpu.setRecorder((op) => ops.push(op));
    try {
      const s = new xpu.Stream({ device: 2 });
      const before = deviceRuntime(2).events.poolCount;
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < 50; i++) s.barrier();
        await s.synchronize();
      }
      expect(ops).toHaveLength(500);
      expect(deviceRuntime(2).events.poolCount - before).toBeLessThanOrEqual(2);
    } finally {
      xpu.setRecorder(null);
    }
  });

  it('a throwing recorder does not break submission', async () => {
    xpu.setRecorder(() => {
      throw new Error('boom');
    });
    try {
      const s = new xpu.Stream({ device: 0 });
      s.barrier();
      await s.synchronize();
      expect(s.query()).toBe(true);
    } finally {
      xpu.setRecorder(null);
    }
  });
});
