// Issue 18: parity with today's torch.xpu, as PyTorch's own test/test_xpu.py checks it
// (test_generic_stream_event, test_stream_event_repr, test_events, test_set_per_process_memory_fraction,
// test_memory_snapshot's _check_memory_stat_consistency) and its Sysman telemetry functions, through
// the real loader and the simulated driver.
import { describe, expect, it } from 'vitest';
import { xpu, XpuError, type SnapshotSegment } from '../../runtime/index.js';
import { cleanEnv, runChild, type Json } from './helpers/child.js';
import { gate, haveSim, PROFILES, useSim } from './helpers/sim.js';

useSim();

describe.skipIf(!haveSim)('events (torch test_generic_stream_event, test_events)', () => {
  it('two live recorded and completed events never report the same eventId', async () => {
    const s = new xpu.Stream({ device: 0 });
    const e1 = new xpu.Event({ enableTiming: true });
    const e2 = new xpu.Event({ enableTiming: true });
    expect(e1.eventId).toBe(0n);
    e1.record(s);
    await e1.synchronize();
    await s.synchronize(); // the stream retires the record: e1's pool slot goes back
    expect(e1.query()).toBe(true);
    e2.record(s);
    await e2.synchronize();
    await s.synchronize();
    expect(e2.eventId).not.toBe(0n);
    expect(e1.eventId).not.toBe(e2.eventId);
    // The native events are pooled: e2 may reuse e1's (completed) one; the ids still differ.
    expect(e1.nativeHandle).not.toBe(0n);
    expect(e2.nativeHandle).not.toBe(0n);
    expect(e1.elapsedTime(e2)).toBeGreaterThanOrEqual(0);
    // Many live completed events: all distinct.
    const many = [];
    for (let i = 0; i < 100; i++) {
      const e = new xpu.Event();
      e.record(s);
      many.push(e);
      if (i % 10 === 9) await s.synchronize();
    }
    await s.synchronize();
    expect(new Set(many.map((e) => e.eventId)).size).toBe(100);
    expect(new Set([...many.map((e) => e.eventId), e1.eventId, e2.eventId]).size).toBe(102);
  });

  it('a re-record takes a new id; ids are never reused, while native events stay pooled', async () => {
    const s = new xpu.Stream({ device: 0 });
    const e = new xpu.Event();
    e.record(s);
    await s.synchronize();
    const first = e.eventId;
    e.record(s);
    await s.synchronize();
    expect(e.eventId).not.toBe(first);
    expect(e.eventId).toBeGreaterThan(first);
    const other = new xpu.Event();
    other.record(s);
    await s.synchronize();
    expect(other.eventId).not.toBe(e.eventId);
    expect(other.eventId).not.toBe(first);
  });

  it("String(event): 'xpu.Event(uninitialized)', then 'xpu.Event(nativeEvent=0x…)'", async () => {
    const e = new xpu.Event();
    expect(String(e)).toBe('xpu.Event(uninitialized)');
    const s = xpu.currentStream(0);
    s.recordEvent(e);
    expect(String(e)).toMatch(/^xpu\.Event\(nativeEvent=0x[0-9a-f]+ /);
    expect(String(e)).toBe(
      `xpu.Event(nativeEvent=0x${e.nativeHandle.toString(16)} eventId=${e.eventId} enableTiming=false device=xpu:0)`,
    );
    await s.synchronize();
    expect(String(e)).toContain(`nativeEvent=0x${e.nativeHandle.toString(16)}`); // still after it completed
  });

  it("elapsedTime checks in torch's order: recorded, completed, timing enabled", async () => {
    const plainA = new xpu.Event();
    const plainB = new xpu.Event();
    // Neither recorded nor timing: torch (XPUEvent.h) reports "recorded" first.
    expect(() => plainA.elapsedTime(plainB)).toThrow(
      'Both events must be recorded before calculating elapsed time.',
    );
    const s = new xpu.Stream({ device: 0 });
    const g = await gate(0);
    plainA.record(s);
    s.waitEvent(g.event);
    plainB.record(s);
    // Recorded, not completed, timing off: "completed" before "timing".
    expect(() => plainA.elapsedTime(plainB)).toThrow(
      'Both events must be completed before calculating elapsed time.',
    );
    g.open();
    await s.synchronize();
    expect(() => plainA.elapsedTime(plainB)).toThrow(
      "Both events must be created with argument 'enable_timing=True'.",
    );
  });
});

describe.skipIf(!haveSim)(
  'streams (torch test_generic_stream_event, test_streams, test_stream_event_repr)',
  () => {
    it('new Stream({ streamId, deviceIndex }) returns the same stream', () => {
      const s = new xpu.Stream({ device: 1, priority: -1 });
      const again = new xpu.Stream({
        streamId: s.streamId,
        deviceIndex: s.deviceIndex,
        deviceType: s.deviceType,
      });
      expect(again).toBe(s);
      expect(again.equals(s)).toBe(true);
      const cur = xpu.currentStream(0);
      expect(new xpu.Stream({ streamId: cur.streamId, deviceIndex: 0 })).toBe(cur);
      expect(s.streamId).not.toBe(xpu.currentStream(1).streamId);
      const copy = new xpu.Stream({ device: 0, engine: 'copy' });
      expect(new xpu.Stream({ streamId: copy.streamId, deviceIndex: 0 })).toBe(copy);
      expect(() => new xpu.Stream({ streamId: 2, deviceIndex: 0 })).toThrow('invalid StreamId: 2');
      expect(() => new xpu.Stream({ streamId: (3 << 4) | (7 << 1) | 1, deviceIndex: 0 })).toThrow(
        /invalid StreamId/,
      );
      expect(() => new xpu.Stream({ streamId: s.streamId, deviceIndex: 9 })).toThrow(
        'The device index is out of range. It must be in [0, 3), but got 9.',
      );
      expect(() => new xpu.Stream({ streamId: s.streamId, deviceIndex: 1, deviceType: 1 })).toThrow(
        /Expected a xpu device type/,
      );
    });

    it('two different streams are never equal (same id on another device, a broken stream and its replacement)', () => {
      const a = new xpu.Stream({ streamId: (5 << 4) | (1 << 1) | 1, deviceIndex: 1 });
      const b = new xpu.Stream({ streamId: a.streamId, deviceIndex: 2 });
      expect(a.equals(b)).toBe(false);
      const x = new xpu.Stream({ device: 0 });
      const y = new xpu.Stream({ device: 0 });
      expect(x.equals(y)).toBe(false);
      expect(x.equals(x)).toBe(true);
    });

    it('a stream replaced after it broke is not equal to its replacement', async () => {
      xpu.setWaitTimeout(30_000);
      const s = new xpu.Stream({ device: 0, priority: 1 });
      const g = await gate(0);
      s.waitEvent(g.event);
      s.barrier();
      await expect(s.synchronize({ timeoutMs: 50 })).rejects.toThrow(/did not finish within 50 ms/);
      const fresh = new xpu.Stream({ streamId: s.streamId, deviceIndex: 0 });
      expect(fresh.streamId).toBe(s.streamId);
      expect(fresh).not.toBe(s);
      expect(fresh.equals(s)).toBe(false);
      expect(s.equals(fresh)).toBe(false);
      g.open();
    });

    it("String(stream): 'xpu.Stream(device=xpu:0 nativeQueue=0x…)' with id and priority", () => {
      const s = xpu.currentStream(0);
      expect(String(s)).toBe(
        `xpu.Stream(device=xpu:0 nativeQueue=0x${s.nativeHandle.toString(16)} streamId=${s.streamId} priority=0)`,
      );
      expect(s.nativeHandle).not.toBe(0n);
    });
  },
);

describe.skipIf(!haveSim)('memory (torch test_set_per_process_memory_fraction, test_memory_snapshot)', () => {
  it('getPerProcessMemoryFraction reads back what was set (1.0 by default)', () => {
    expect(xpu.getPerProcessMemoryFraction(2)).toBe(1);
    xpu.setPerProcessMemoryFraction(0.5, 2);
    try {
      expect(xpu.getPerProcessMemoryFraction(2)).toBe(0.5);
      xpu.withDevice(2, () => expect(xpu.getPerProcessMemoryFraction()).toBe(0.5));
      expect(() => xpu.setPerProcessMemoryFraction(1.1, 2)).toThrow(/invalid fraction:/);
      expect(xpu.getPerProcessMemoryFraction(2)).toBe(0.5);
    } finally {
      xpu.setPerProcessMemoryFraction(1, 2);
    }
    expect(xpu.getPerProcessMemoryFraction(2)).toBe(1);
  });

  it('memoryStatsAsNestedDict nests memoryStats', () => {
    using b = xpu.alloc(4096, { device: 0 });
    const nested = xpu.memoryStatsAsNestedDict(0);
    const flat = xpu.memoryStats(0);
    expect(nested.allocated_bytes.all.current).toBe(flat['allocated_bytes.all.current']);
    expect(nested.requested_bytes.small_pool).toEqual({
      current: flat['requested_bytes.small_pool.current'],
      peak: flat['requested_bytes.small_pool.peak'],
      allocated: flat['requested_bytes.small_pool.allocated'],
      freed: flat['requested_bytes.small_pool.freed'],
    });
    expect(nested.num_ooms).toBe(flat.num_ooms);
    const keys: string[] = [];
    const walk = (p: string, v: unknown): void => {
      if (typeof v === 'object' && v !== null)
        for (const [k, x] of Object.entries(v)) walk(p ? `${p}.${k}` : k, x);
      else keys.push(p);
    };
    walk('', nested);
    expect(keys.sort()).toEqual(Object.keys(flat));
    expect(b.bytes).toBe(4096);
  });

  it("memorySnapshot's segments and blocks agree with memoryStats (torch's _check_memory_stat_consistency)", () => {
    const check = (): SnapshotSegment[] => {
      const snap = xpu.memorySnapshot();
      const expected = new Map<number, Map<string, number>>();
      const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
      for (const seg of snap) {
        if (!expected.has(seg.device)) expected.set(seg.device, new Map());
        const e = expected.get(seg.device)!;
        const pool = `${seg.segment_type}_pool`;
        for (const p of ['all', pool]) {
          if (!seg.is_expandable) add(e, `segment.${p}.current`, 1);
          add(e, `allocated_bytes.${p}.current`, seg.allocated_size);
          add(e, `reserved_bytes.${p}.current`, seg.total_size);
          add(e, `active_bytes.${p}.current`, seg.active_size);
          add(e, `requested_bytes.${p}.current`, seg.requested_size);
        }
        let sumRequested = 0;
        let sumSize = 0;
        const isSplit = seg.blocks.length > 1;
        for (const b of seg.blocks) {
          sumSize += b.size;
          for (const p of ['all', pool]) {
            if (b.state === 'active_allocated') add(e, `allocation.${p}.current`, 1);
            if (b.state.startsWith('active_')) add(e, `active.${p}.current`, 1);
            if (b.state === 'inactive' && isSplit && !seg.is_expandable) {
              add(e, `inactive_split.${p}.current`, 1);
              add(e, `inactive_split_bytes.${p}.current`, b.size);
            }
          }
          if (b.state.startsWith('active_')) sumRequested += b.requested_size;
        }
        expect(sumRequested).toBe(seg.requested_size);
        expect(sumSize).toBe(seg.total_size);
        expect(seg.blocks[0]!.address).toBe(seg.address);
      }
      for (const [device, e] of expected) {
        const stats = xpu.memoryStats(device);
        for (const [k, v] of e) expect(stats[k], `${k} on device ${device}`).toBe(v);
      }
      return snap;
    };
    xpu.emptyCache();
    const held: ReturnType<typeof xpu.alloc>[] = [];
    const sizes = [1, 512, 700, 4096, 100_000, 1 << 20, (1 << 20) + 1, 3 << 20, 12 << 20];
    for (const [i, n] of sizes.entries()) held.push(xpu.alloc(n, { device: i % 2 }));
    check();
    for (let i = 0; i < held.length; i += 2) held[i]!.free(); // leave holes: inactive splits
    const snap = check();
    expect(snap.some((s) => s.blocks.some((b) => b.state === 'inactive'))).toBe(true);
    expect(snap.some((s) => s.segment_type === 'large')).toBe(true);
    expect(new Set(snap.map((s) => s.device))).toEqual(new Set([0, 1]));
    for (let i = 1; i < held.length; i += 2) held[i]!.free();
    check();
    xpu.emptyCache();
    expect(check().filter((s) => s.device < 2)).toEqual([]);
  });
});

describe.skipIf(!haveSim)('telemetry (torch.xpu temperature, power_draw, utilization, clock_rate, …)', () => {
  it('temperature (°C) and clockRate (MHz) from the GPU sensor and frequency domain', () => {
    const t = xpu.temperature(0);
    expect(t).toBe(xpu.getTelemetry(0).temperatures.find((x) => x.sensor === 'gpu')!.celsius);
    expect(t).toBeGreaterThan(10);
    expect(t).toBeLessThan(120);
    const mhz = xpu.clockRate(0);
    expect(mhz).toBeGreaterThanOrEqual(300);
    expect(mhz).toBeLessThanOrEqual(xpu.getDeviceProperties(0).coreClockRate);
    xpu.withDevice(1, () => expect(xpu.clockRate()).toBeGreaterThan(0));
    expect(() => xpu.temperature(9)).toThrow(
      'The device index is out of range. It must be in [0, 3), but got 9.',
    );
  });

  it('utilization (%) and powerDraw (W) over a sample: idle, then with a kernel running', async () => {
    const idleUtil = await xpu.utilization(0, { sampleMs: 120 });
    expect(idleUtil).toBeGreaterThanOrEqual(0);
    expect(idleUtil).toBeLessThan(50);
    const idleW = await xpu.powerDraw(0, { sampleMs: 120 });
    expect(idleW).toBeGreaterThan(0);
    const s = new xpu.Stream({ device: 0 });
    const k = xpu.kernels(0).busy!;
    using out = xpu.alloc(4096);
    // ~600 ms of busy work (4 cycles per iteration at the simulated clock)
    const iterations = Math.round((0.6 * xpu.getDeviceProperties(0).coreClockRate * 1e6) / 4);
    s.launch(k, { groups: 1, groupSize: 64, args: [out, iterations] });
    await new Promise((r) => setTimeout(r, 50));
    const [busyUtil, busyW] = [await xpu.utilization(0), await xpu.powerDraw(0)];
    await s.synchronize();
    expect(busyUtil).toBeGreaterThan(50);
    expect(busyUtil).toBeLessThanOrEqual(100.5);
    expect(busyW).toBeGreaterThan(idleW);
    expect(busyW).toBeLessThan(1000); // watts, not mW
    await expect(xpu.powerDraw(0, { sampleMs: 0 })).rejects.toThrow(/Invalid sampleMs/);
  });

  it('deviceMemoryUsed (bytes) follows allocations; memoryUsage says why it is not reported', async () => {
    xpu.emptyCache();
    const before = xpu.deviceMemoryUsed(0);
    const mod = xpu.getTelemetry(0).memoryModules.find((m) => m.location === 'device')!;
    expect(before).toBe((mod.physicalBytes || mod.sizeBytes) - mod.freeBytes);
    const b = xpu.alloc(64 << 20, { device: 0 });
    expect(xpu.deviceMemoryUsed(0) - before).toBeGreaterThanOrEqual(64 << 20);
    b.free();
    xpu.emptyCache();
    expect(xpu.deviceMemoryUsed(0)).toBe(before);
    // The simulated driver implements no bandwidth counters (zesMemoryGetBandwidth: UNSUPPORTED_FEATURE).
    const err = await xpu.memoryUsage(0, { sampleMs: 10 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(XpuError);
    expect((err as Error).message).toBe(
      'xpu.memoryUsage: device 0 reports no memory bandwidth counters — zesMemoryGetBandwidth failed with ' +
        'ZE_RESULT_ERROR_UNSUPPORTED_FEATURE: the driver does not support bandwidth counters (it may need elevated privileges, e.g. sudo).',
    );
  });
});

describe.skipIf(!haveSim)('telemetry without Sysman, an integrated GPU (child processes)', () => {
  it('ZES_ENABLE_SYSMAN=0: every telemetry function throws an XpuError naming the cause', () => {
    const r = runChild<Json>(
      `const out = {};
       const grab = async (k, f) => { try { out[k] = { value: await f() }; } catch (e) { out[k] = { isXpu: e instanceof rt.XpuError, message: e.message }; } };
       await grab('temperature', () => xpu.temperature(0));
       await grab('clockRate', () => xpu.clockRate(0));
       await grab('powerDraw', () => xpu.powerDraw(0, { sampleMs: 10 }));
       await grab('utilization', () => xpu.utilization(0, { sampleMs: 10 }));
       await grab('memoryUsage', () => xpu.memoryUsage(0, { sampleMs: 10 }));
       await grab('deviceMemoryUsed', () => xpu.deviceMemoryUsed(0));
       done(out);`,
      cleanEnv({ XPUSCOPE_DRIVER: 'sim', XPUSIM_PROFILE: PROFILES, ZES_ENABLE_SYSMAN: '0' }),
    );
    for (const [k, v] of Object.entries(r as Record<string, { isXpu: boolean; message: string }>)) {
      expect(v.isXpu, k).toBe(true);
      expect(v.message, k).toMatch(new RegExp(`^xpu\\.${k}: device 0 reports no `));
      expect(v.message, k).toContain(
        'ZE_RESULT_ERROR_UNINITIALIZED: Sysman is disabled (ZES_ENABLE_SYSMAN=0 was set before zeInit',
      );
    }
    expect(r.temperature.message).toMatch(/zesDeviceEnumTemperatureSensors failed/);
  });

  it('an integrated GPU has no device-local memory module', () => {
    const r = runChild<Json>(
      `try { done({ value: xpu.deviceMemoryUsed(0) }); } catch (e) { done({ isXpu: e instanceof rt.XpuError, message: e.message }); }`,
      cleanEnv({ XPUSCOPE_DRIVER: 'sim', XPUSIM_PROFILE: 'mtl-igpu' }),
    );
    expect(r).toMatchObject({ isXpu: true });
    expect(r.message).toMatch(
      /reports no device-local memory module — its 1 Sysman memory module\(s\) are all in system memory/,
    );
  });
});
