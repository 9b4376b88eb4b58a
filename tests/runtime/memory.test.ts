// Memory: xpu.alloc, host access, the caching allocator and torch's statistics.
import { describe, expect, it } from 'vitest';
import { xpu, XpuError } from '../../runtime/index.js';
import { gate, haveSim, useSim } from './helpers/sim.js';

useSim();
const MiB = 1 << 20;

describe.skipIf(!haveSim)('memory', () => {
  it('allocates host/shared memory readable and writable from the host', () => {
    using h = xpu.alloc(1024, { kind: 'host' });
    h.write(new Uint32Array([1, 2, 3, 4]));
    expect([...new Uint32Array(h.read(0, 16).buffer.slice(0))]).toEqual([1, 2, 3, 4]);
    h.write(Buffer.from([9]), 1023);
    expect(h.read(1023, 1)[0]).toBe(9);
    expect(() => h.read(1020, 8)).toThrow(/outside the buffer/);
    using s = xpu.alloc(64, { kind: 'shared', device: 1 });
    expect(s.deviceIndex).toBe(1);
    s.write(new Uint8Array(64).fill(5));
    expect(s.read().every((b) => b === 5)).toBe(true);
  });

  it('device memory is copied through a stream', async () => {
    const st = new xpu.Stream({ device: 0 });
    using d = xpu.alloc(4096);
    using h = xpu.alloc(4096, { kind: 'host' });
    expect(() => d.read()).toThrow(/not host-accessible/);
    st.fill(d, new Uint8Array([1, 2, 3, 4]));
    st.copy(h, d);
    await st.synchronize();
    expect([...h.read(0, 8)]).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    expect(() => st.fill(d, new Uint8Array(3))).toThrow(/power of two/);
    expect(() => st.copy(h, d, 8192)).toThrow(/Invalid copy size/);
  });

  it('rejects bad arguments', () => {
    expect(() => xpu.alloc(0)).toThrow(XpuError);
    expect(() => xpu.alloc(-5)).toThrow(/Invalid allocation size/);
    expect(() => xpu.alloc(10, { kind: 'texture' as 'host' })).toThrow(/Invalid memory kind/);
    expect(() => xpu.alloc(10, { device: 9 })).toThrow(
      'The device index is out of range. It must be in [0, 3), but got 9.',
    );
  });

  it('keeps torch statistics for the small and large pools', () => {
    const dev = 2;
    xpu.emptyCache();
    xpu.resetPeakMemoryStats(dev);
    expect(xpu.memoryAllocated(dev)).toBe(0);
    const small = xpu.alloc(1000, { device: dev });
    let st = xpu.memoryStats(dev);
    expect(st['allocated_bytes.small_pool.current']).toBe(1024); // rounded to 512
    expect(st['requested_bytes.small_pool.current']).toBe(1000);
    expect(st['reserved_bytes.small_pool.current']).toBe(2 * MiB); // one 2 MiB segment
    expect(st['segment.small_pool.current']).toBe(1);
    expect(st['allocation.all.current']).toBe(1);
    const large = xpu.alloc(3 * MiB, { device: dev });
    st = xpu.memoryStats(dev);
    expect(st['allocated_bytes.large_pool.current']).toBe(3 * MiB);
    expect(st['reserved_bytes.large_pool.current']).toBe(20 * MiB); // < 10 MiB → 20 MiB segment
    const mid = xpu.alloc(11 * MiB, { device: dev }); // fits the 17 MiB left in that segment: split
    expect(xpu.memoryStats(dev)['segment.large_pool.current']).toBe(1);
    const huge = xpu.alloc(21 * MiB + 1, { device: dev }); // ≥ 10 MiB: its own segment, rounded to 2 MiB
    expect(xpu.memoryStats(dev)['reserved_bytes.large_pool.current']).toBe(20 * MiB + 22 * MiB);
    // The remainder (under 1 MiB) is not split off a large block: the whole 22 MiB block counts.
    expect(xpu.memoryAllocated(dev)).toBe(1024 + 3 * MiB + 11 * MiB + 22 * MiB);
    expect(xpu.memoryReserved(dev)).toBe(2 * MiB + 42 * MiB);
    const peak = xpu.maxMemoryAllocated(dev);
    huge.free();
    mid.free();
    large.free();
    expect(xpu.memoryAllocated(dev)).toBe(1024);
    expect(xpu.maxMemoryAllocated(dev)).toBe(peak);
    expect(xpu.memoryReserved(dev)).toBe(44 * MiB); // cached
    // Reuse from the cache: no new segment.
    const again = xpu.alloc(2 * MiB, { device: dev });
    expect(xpu.memoryReserved(dev)).toBe(44 * MiB);
    again.free();
    xpu.resetPeakMemoryStats(dev);
    expect(xpu.maxMemoryAllocated(dev)).toBe(1024);
    small.free();
    xpu.emptyCache();
    expect(xpu.memoryReserved(dev)).toBe(0);
    st = xpu.memoryStats(dev);
    expect(st['segment.all.current']).toBe(0);
    expect(st['allocation.all.allocated']).toBeGreaterThanOrEqual(4);
    expect(st['allocation.all.freed']).toBe(st['allocation.all.allocated']);
    expect(Object.keys(st)).toContain('inactive_split_bytes.large_pool.peak');
    expect(Object.keys(st).filter((k) => k.split('.').length === 3)).toHaveLength(9 * 3 * 4);
  });

  it('splits and merges blocks inside segments', () => {
    const dev = 1;
    xpu.emptyCache();
    const a = xpu.alloc(512, { device: dev });
    const b = xpu.alloc(512, { device: dev });
    expect(b.ptr - a.ptr).toBe(512n);
    expect(xpu.memoryStats(dev)['inactive_split.small_pool.current']).toBe(1);
    a.free();
    b.free();
    expect(xpu.memoryStats(dev)['inactive_split.small_pool.current']).toBe(0);
    xpu.emptyCache();
    expect(xpu.memoryReserved(dev)).toBe(0);
  });

  it('memGetInfo returns [free, total] (Sysman free memory)', () => {
    xpu.emptyCache();
    const [free, total] = xpu.memGetInfo(0);
    expect(total).toBeGreaterThan(15e9);
    expect(free).toBeLessThanOrEqual(total);
    const buf = xpu.alloc(64 * MiB, { device: 0 });
    const [free2, total2] = xpu.memGetInfo(0);
    expect(total2).toBe(total);
    expect(free2).toBeLessThanOrEqual(free - 64 * MiB);
    buf.free();
    xpu.emptyCache();
    expect(xpu.memGetInfo(0)[0]).toBe(free);
  });

  it('a buffer freed while in use is released after the work completes', async () => {
    const s = new xpu.Stream({ device: 0 });
    const k = xpu.kernels(0);
    const buf = xpu.alloc(64 * 1024 * 4);
    const g = await gate(0);
    s.waitEvent(g.event);
    s.launch(k.busy!, { groups: 1024, groupSize: 64, args: [buf, 100_000] });
    buf.free();
    expect(buf.isFreed).toBe(true);
    expect(xpu.memoryAllocated(0)).toBe(64 * 1024 * 4); // still in use by the pending launch
    g.open();
    await s.synchronize();
    expect(xpu.memoryAllocated(0)).toBe(0);
    expect(() => s.launch(k.busy!, { groups: 1, groupSize: 64, args: [buf, 1] })).toThrow(/freed buffer/);
  });

  it('reports out of memory in torch style', () => {
    const total = xpu.getDeviceProperties(0).totalMemory ?? 0;
    let err: unknown;
    try {
      xpu.alloc(total * 2, { device: 0 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(XpuError);
    expect((err as Error).message).toMatch(/^XPU out of memory\. Tried to allocate/);
    expect(xpu.memoryStats(0).num_ooms).toBeGreaterThanOrEqual(1);
  });

  it('setPerProcessMemoryFraction caps reserved memory', () => {
    expect(() => xpu.setPerProcessMemoryFraction(1.5, 0)).toThrow(
      'invalid fraction:1.5. Please set within [0, 1].',
    );
    expect(() => xpu.setPerProcessMemoryFraction(-0.1, 0)).toThrow(/invalid fraction/);
    xpu.emptyCache();
    const total = xpu.getDeviceProperties(1).totalMemory ?? 0;
    xpu.setPerProcessMemoryFraction((64 * MiB) / total, 1);
    try {
      const ok = xpu.alloc(40 * MiB, { device: 1 });
      expect(() => xpu.alloc(40 * MiB, { device: 1 })).toThrow(/^XPU out of memory/);
      ok.free();
    } finally {
      xpu.setPerProcessMemoryFraction(1, 1);
      xpu.emptyCache();
    }
  });
});
