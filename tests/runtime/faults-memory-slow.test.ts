// Issue 8: out of device memory (XPUSIM_FAULTS=oom_after_bytes=N) and a very slow device (slow=F).
import { describe, expect, it } from 'vitest';
import { cleanEnv, runChild, simBuilt, type Json } from './helpers/child.js';

const env = (faults: string) =>
  cleanEnv({ XPUSCOPE_DRIVER: 'sim', XPUSIM_PROFILE: 'arc-a770', XPUSIM_FAULTS: faults });

describe.skipIf(!simBuilt())('out of device memory', () => {
  it('alloc rejects with OUT_OF_DEVICE_MEMORY after one cache-emptying retry; stats stay consistent and usable', () => {
    const r = runChild<Json>(
      `const keep = xpu.alloc(4096);                       // small pool: one 2 MiB segment
       const cached = xpu.alloc(3 << 20); cached.free();   // large pool: a 20 MiB segment, now cached
       const before = xpu.memoryStats();
       let err = null;
       try { xpu.alloc(64 << 20); } catch (e) { err = { name: e.name, message: e.message, cause: e.cause?.resultName, causeAdvice: e.cause?.advice }; }
       const after = xpu.memoryStats();
       // the process keeps working: an allocation that fits succeeds, work runs, freeing balances
       const ok = xpu.alloc(8 << 20);
       const s = new xpu.Stream(); s.fill(ok, 3); await s.synchronize();
       ok.free(); keep.free();
       const end = xpu.memoryStats();
       let shared = null;
       try { xpu.alloc(64 << 20, { kind: 'shared' }); } catch (e) { shared = { name: e.name, resultName: e.resultName, message: e.message }; }
       xpu.emptyCache();
       done({ err, before, after, end, shared, reservedAfterEmpty: xpu.memoryReserved(), live: xpu.simLiveObjects() });`,
      env('oom_after_bytes=30000000'),
    );
    expect(r.err.name).toBe('XpuError');
    expect(r.err.message).toMatch(/^XPU out of memory\. Tried to allocate 64\.00 MiB \(GPU 0; /);
    expect(r.err.message).toMatch(/OUT_OF_DEVICE_MEMORY/);
    expect(r.err.cause).toBe('ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY');
    expect(r.err.causeAdvice).toMatch(/out of memory: free buffers/);
    expect(r.after.num_alloc_retries).toBe(r.before.num_alloc_retries + 1);
    expect(r.after.num_ooms).toBe(r.before.num_ooms + 1);
    // The retry released the cached 20 MiB segment; nothing allocated changed.
    expect(r.after['allocated_bytes.all.current']).toBe(r.before['allocated_bytes.all.current']);
    expect(r.after['allocation.all.current']).toBe(1);
    expect(r.after['reserved_bytes.all.current']).toBe(2 << 20);
    expect(r.after['segment.all.current']).toBe(1);
    expect(r.after['reserved_bytes.large_pool.current']).toBe(0);
    // Invariants at the end: everything freed, reserved = segments' bytes, allocated = 0.
    expect(r.end['allocated_bytes.all.current']).toBe(0);
    expect(r.end['active_bytes.all.current']).toBe(0);
    expect(r.end['allocation.all.current']).toBe(0);
    expect(r.end['allocated_bytes.all.allocated']).toBe(r.end['allocated_bytes.all.freed']);
    for (const p of ['all', 'small_pool', 'large_pool'])
      expect(r.end[`reserved_bytes.${p}.current`]).toBeGreaterThanOrEqual(
        r.end[`allocated_bytes.${p}.current`],
      );
    expect(r.shared).toMatchObject({ name: 'ZeError', resultName: 'ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY' });
    expect(r.shared.message).toMatch(/xpu\.emptyCache\(\)/);
    expect(r.reservedAfterEmpty).toBe(0);
    expect(r.live.allocations).toBe(0);
  });
});

describe.skipIf(!simBuilt())('slow device', () => {
  const workload = `
    const k = xpu.kernels();
    const s = new xpu.Stream();
    const n = 256 * 64;
    const y = xpu.alloc(n * 4, { kind: 'shared' }), x = xpu.alloc(n * 4, { kind: 'shared' });
    const busyOut = xpu.alloc(n * 4);
    // 8 MiB over the host link: the modelled transfer (× slow) dominates the host's memmove and any
    // scheduling noise on a loaded machine, so the ratio is measurable.
    const dst = xpu.alloc(8 << 20), src = xpu.alloc(8 << 20, { kind: 'host' });
    x.write(new Float32Array(n).fill(2)); y.write(new Float32Array(n).fill(1));
    const times = { kernel: [], copy: [] };
    for (let i = 0; i < 5; i++) {
      const a = new xpu.Event({ enableTiming: true }), b = new xpu.Event({ enableTiming: true }), c = new xpu.Event({ enableTiming: true });
      a.record(s);
      // one work-item: the modelled time (4 cycles × iterations) dominates the host's own execution
      s.launch(k.busy, { groups: 1, groupSize: 1, args: [busyOut, 1000000] });
      b.record(s);
      s.copy(dst, src, 8 << 20);
      c.record(s);
      await s.synchronize();
      times.kernel.push(a.elapsedTime(b)); times.copy.push(b.elapsedTime(c));
    }
    s.launch(k.saxpy, { groups: 256, groupSize: 64, args: [y, x, 3] });
    await s.synchronize();
    const out = new Float32Array(y.read().buffer.slice(0));
    done({ times, kms: times.kernel, allSeven: out.every((v) => v === 7), first: out[0] });`;
  // The fastest of 5: descheduling on a loaded machine only ever adds host time (to the host's memmove
  // and the busy loop), so the minimum is the run closest to the modelled time on both sides.
  const fastest = (xs: number[]) => Math.min(...xs);

  it('results stay correct and device times scale with the slow factor', () => {
    const fast = runChild<Json>(workload, env('slow=1'));
    const slow = runChild<Json>(workload, env('slow=20'));
    expect(fast.allSeven).toBe(true);
    expect(slow.allSeven).toBe(true);
    const kr = fastest(slow.times.kernel) / fastest(fast.times.kernel);
    const cr = fastest(slow.times.copy) / fastest(fast.times.copy);
    // Modelled durations × 20; the host's own execution time does not scale, so accept a wide band.
    expect(kr).toBeGreaterThan(6);
    expect(kr).toBeLessThan(30);
    // The link time scales, the host's memmove does not: a wide band again.
    expect(cr).toBeGreaterThan(2);
  });
});
