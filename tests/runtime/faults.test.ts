// Driver faults and clock edge cases, injected through the simulated driver's environment
// (XPUSIM_FAULTS, XPUSIM_TICK_OFFSET, ZE_FLAT_DEVICE_HIERARCHY); each case runs in its own process.
import { describe, expect, it } from 'vitest';
import { cleanEnv, runChild, simBuilt, type Json } from './helpers/child.js';

const sim = (extra: Record<string, string>) =>
  cleanEnv({ XPUSCOPE_DRIVER: 'sim', XPUSIM_PROFILE: 'arc-a770', ...extra });

describe.skipIf(!simBuilt())('faults', () => {
  it('a lost device surfaces as ZeError DEVICE_LOST from synchronize', () => {
    const r = runChild<Json>(
      `const s = new xpu.Stream();
       const b = xpu.alloc(4096);
       let err = null;
       try { for (let i = 0; i < 10; i++) s.fill(b, i); await s.synchronize(); }
       catch (e) { err = { name: e.name, resultName: e.resultName, call: e.call, result: e.result }; }
       done(err);`,
      sim({ XPUSIM_FAULTS: 'device_lost_after_ops=3' }),
    );
    expect(r).toMatchObject({
      name: 'ZeError',
      resultName: 'ZE_RESULT_ERROR_DEVICE_LOST',
      result: 0x70000001,
    });
    expect(r.call).toMatch(/^ze/);
  });

  it('driver out-of-memory: the cache is emptied, the allocation retried once, then torch-style OOM', () => {
    const r = runChild<Json>(
      `const keep = xpu.alloc(4096);
       const cached = xpu.alloc(3 << 20); cached.free();           // 20 MiB segment, cached
       let err = null;
       try { xpu.alloc(64 << 20); } catch (e) { err = { name: e.name, message: e.message, cause: e.cause?.resultName }; }
       const st = xpu.memoryStats();
       done({ err, retries: st.num_alloc_retries, ooms: st.num_ooms, reserved: xpu.memoryReserved() });`,
      sim({ XPUSIM_FAULTS: 'oom_after_bytes=30000000' }),
    );
    expect(r.err.name).toBe('XpuError');
    expect(r.err.message).toMatch(/^XPU out of memory\. Tried to allocate 64\.00 MiB \(GPU 0; /);
    expect(r.err.cause).toBe('ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY');
    expect(r.retries).toBe(1);
    expect(r.ooms).toBe(1);
    expect(r.reserved).toBe(2 << 20); // the cached 20 MiB segment was released by the retry
  });

  it('kernel timestamps that wrap (32 valid bits) still give ordered, sane host times', () => {
    const r = runChild<Json>(
      `const ops = [];
       xpu.setRecorder((op) => ops.push(op));
       const k = xpu.kernels();
       const s = new xpu.Stream();
       const buf = xpu.alloc(64 * 4096 * 4);
       const t0 = new xpu.Event({ enableTiming: true }), t1 = new xpu.Event({ enableTiming: true });
       const start = Date.now();
       t0.record(s);
       while (Date.now() - start < 700) {
         s.launch(k.busy, { groups: 4096, groupSize: 64, args: [buf, 20000] });
         await s.synchronize();
       }
       t1.record(s);
       await xpu.synchronize();
       done({ ops: ops.map((o) => [o.kind, o.submitNs, o.startNs, o.endNs]), ms: t0.elapsedTime(t1), wall: Date.now() - start });`,
      sim({ XPUSIM_TICK_OFFSET: 'wrap:300' }),
    );
    const ops = r.ops as [string, number, number, number][];
    expect(ops.length).toBeGreaterThan(3);
    for (let i = 0; i < ops.length; i++) {
      const [, submit, start, end] = ops[i]!;
      expect(end).toBeGreaterThanOrEqual(start);
      expect(end - start).toBeLessThan(5e9); // no bogus 2^32-tick (~224 s) durations
      expect(start).toBeGreaterThanOrEqual(submit - 1e3);
      if (i > 0) expect(start).toBeGreaterThanOrEqual(ops[i - 1]![3] - 1e3);
    }
    // The wrap happened ~300 ms in: the elapsed time across it is positive and about the wall time.
    expect(r.ms).toBeGreaterThan(r.wall / 2);
    expect(r.ms).toBeLessThan(r.wall + 1000);
  });

  it('COMPOSITE hierarchy: one root device per card with its tiles as sub-devices', () => {
    const r = runChild<Json>(
      `done({ count: xpu.deviceCount(), sub: [0, 1].map((i) => xpu.getDeviceProperties(i).subDeviceCount) });`,
      sim({ XPUSIM_PROFILE: 'arc-a770,max-1550', ZE_FLAT_DEVICE_HIERARCHY: 'COMPOSITE' }),
    );
    expect(r).toEqual({ count: 2, sub: [0, 2] });
  });
});
