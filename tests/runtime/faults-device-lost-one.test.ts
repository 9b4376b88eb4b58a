// Issue 8: one GPU of two is lost mid-work (XPUSIM_FAULTS=device_lost_after_ops@1=N: only device 1
// is lost, after N of its own operations). Device 1's stream rejects with a ZeError that names the
// stream, says why (DEVICE_LOST: the GPU was lost) and what to do; the stream is marked broken; device
// 1's synchronize keeps reporting the loss; device 0's streams keep running and synchronizing, before,
// during and after the loss. Each case runs in a child process (the loader reads its env once).
import { describe, expect, it } from 'vitest';
import { cleanEnv, runChild, simBuilt, type Json } from './helpers/child.js';

const env = (faults: string) =>
  cleanEnv({ XPUSCOPE_DRIVER: 'sim', XPUSIM_PROFILE: 'arc-a770,arc-a770', XPUSIM_FAULTS: faults });

describe.skipIf(!simBuilt())('one device of two lost', () => {
  it("device 1's stream fails clearly and is marked broken; device 0 keeps working", () => {
    const r = runChild<Json>(
      `const info = (e) => e && { name: e.name, resultName: e.resultName, call: e.call, advice: e.advice, message: e.message, isXpu: e instanceof rt.XpuError };
       const out = {};
       const k0 = xpu.kernels(0);
       const s0 = new xpu.Stream({ device: 0 });
       const s1 = new xpu.Stream({ device: 1 });
       const b0 = xpu.alloc(64 * 64 * 4, { kind: 'shared', device: 0 });
       const b1 = xpu.alloc(4096, { kind: 'shared', device: 1 });
       // both devices busy at once; device 1 is lost at its 4th operation
       // (the loss may already surface while submitting: device 1 executes while we submit)
       let submitErr = null;
       for (let i = 0; i < 6; i++) {
         try { s1.fill(b1, i); } catch (e) { submitErr ??= e; }
         s0.launch(k0.fill_u32, { groups: 64, groupSize: 64, args: [b0, i] });
       }
       const [r0, r1] = await Promise.allSettled([s0.synchronize(), s1.synchronize()]);
       out.s0 = r0.status;
       out.s1 = r1.status === 'rejected' ? info(r1.reason) : 'ok';
       out.first = new Uint32Array(b0.read(0, 8).buffer.slice(0, 8))[1] === (5 ^ 2654435761) >>> 0;
       out.broken = s1.broken;
       out.sameReason = r1.status === 'rejected' && s1.brokenReason === r1.reason && (submitErr === null || submitErr === r1.reason);
       try { s1.fill(b1, 1); out.submit = 'ok'; } catch (e) { out.submit = info(e); }
       try { await s1.synchronize(); out.again = 'ok'; } catch (e) { out.again = info(e); }
       try { await xpu.synchronize(1); out.devsync1 = 'ok'; } catch (e) { out.devsync1 = info(e); }
       // a fresh stream of device 1 (the pool replaced the broken one) cannot take work either
       let f1 = null;
       for (let i = 0; i < 40 && !f1; i++) { const t = new xpu.Stream({ device: 1 }); if (t.streamId === s1.streamId) f1 = t; }
       out.fresh = { same: f1 === s1, broken: f1.broken };
       try { f1.fill(b1, 2); out.freshSubmit = 'ok'; } catch (e) { out.freshSubmit = info(e); }
       try { xpu.alloc(4096, { device: 1 }); out.alloc1 = 'ok'; } catch (e) { out.alloc1 = info(e); }
       // device 0 after the loss: the same stream, a new stream, a copy stream, allocations, device sync
       const results = [];
       for (let round = 0; round < 3; round++) {
         s0.launch(k0.fill_u32, { groups: 64, groupSize: 64, args: [b0, 100 + round] });
         await s0.synchronize();
         results.push(new Uint32Array(b0.read(0, 8).buffer.slice(0, 8))[1] === ((100 + round) ^ 2654435761) >>> 0);
       }
       const n0 = new xpu.Stream({ device: 0 });
       const c0 = xpu.alloc(64 * 64 * 4, { kind: 'shared', device: 0 });
       n0.copy(c0, b0);
       const cs = new xpu.Stream({ device: 0, engine: 'copy' });
       const d0 = xpu.alloc(64 * 64 * 4, { device: 0 });
       await n0.synchronize();
       cs.copy(d0, c0);
       await cs.synchronize();
       await xpu.synchronize(0);
       out.after = { results, copied: new Uint32Array(c0.read(0, 8).buffer.slice(0, 8))[1] === (102 ^ 2654435761) >>> 0, s0broken: s0.broken };
       out.names = [xpu.getDeviceName(0), xpu.getDeviceName(1)];
       out.shutdown = await xpu.shutdown({ timeoutMs: 2000 });
       out.live = xpu.simLiveObjects();
       done(out);`,
      env('device_lost_after_ops@1=3'),
    );
    expect(r.thrown).toBeUndefined();
    // device 1: what failed (the stream and device), why (DEVICE_LOST: the GPU was lost), what to do
    expect(r.s1).toMatchObject({ name: 'ZeError', resultName: 'ZE_RESULT_ERROR_DEVICE_LOST', isXpu: true });
    expect(r.s1.message).toMatch(/on device 1: its work did not complete/);
    expect(r.s1.message).toMatch(/marked broken/);
    expect(r.s1.message).toMatch(/streams of other devices keep working/);
    expect(r.s1.message).toMatch(/The GPU was lost/);
    expect(r.s1.message).toMatch(/restart the program/);
    expect(r.s1.advice).toMatch(/dmesg/);
    expect(r.broken).toBe(true);
    expect(r.sameReason).toBe(true);
    // the broken stream refuses work with the same error; device 1's synchronize reports the loss
    for (const k of ['submit', 'again', 'devsync1'] as const) {
      expect(r[k], k).toMatchObject({ name: 'ZeError', resultName: 'ZE_RESULT_ERROR_DEVICE_LOST' });
      expect(r[k].message, k).toMatch(/on device 1/);
    }
    expect(r.fresh).toEqual({ same: false, broken: false });
    expect(r.freshSubmit).toMatchObject({ resultName: 'ZE_RESULT_ERROR_DEVICE_LOST' });
    expect(r.alloc1).toMatchObject({ resultName: 'ZE_RESULT_ERROR_DEVICE_LOST' });
    // device 0 ran alongside the loss and keeps running and synchronizing after it
    expect(r.s0).toBe('fulfilled');
    expect(r.first).toBe(true);
    expect(r.after).toEqual({ results: [true, true, true], copied: true, s0broken: false });
    expect(r.names[0]).toMatch(/A770/);
    expect(r.names[1]).toMatch(/A770/);
    // shutdown releases everything, on the lost device too
    expect(r.shutdown.leakedDevices).toEqual([]);
    expect(r.live).toMatchObject({ contexts: 0, commandLists: 0, eventPools: 0, events: 0, allocations: 0 });
  });

  it('a loss during an in-progress wait rejects only that device (async and poll strategies)', () => {
    for (const strategy of ['async', 'poll']) {
      const r = runChild<Json>(
        `xpu.setWaitStrategy(${JSON.stringify(strategy)});
         const k1 = xpu.kernels(1), k0 = xpu.kernels(0);
         const s1 = new xpu.Stream({ device: 1 });
         const s0 = new xpu.Stream({ device: 0 });
         const o1 = xpu.alloc(256 * 64 * 4, { device: 1 });
         const o0 = xpu.alloc(256 * 64 * 4, { device: 0 });
         // device 1: op 1 is a long kernel, op 2 loses the device while we wait; device 0 runs the same
         s1.launch(k1.busy, { groups: 256, groupSize: 64, args: [o1, 200000] });
         s1.fill(o1, 0);
         s0.launch(k0.busy, { groups: 256, groupSize: 64, args: [o0, 200000] });
         s0.fill(o0, 0);
         const [a, b] = await Promise.allSettled([s1.synchronize(), s0.synchronize()]);
         done({ d1: a.status === 'rejected' ? { name: a.reason.name, resultName: a.reason.resultName, broken: s1.broken } : 'ok', d0: b.status, d0broken: s0.broken });`,
        env('device_lost_after_ops@1=1'),
      );
      expect(r, strategy).toEqual({
        d1: { name: 'ZeError', resultName: 'ZE_RESULT_ERROR_DEVICE_LOST', broken: true },
        d0: 'fulfilled',
        d0broken: false,
      });
    }
  });
});
