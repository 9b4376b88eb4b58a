// Issue 8: xpu.shutdown() releases every Level Zero object (counted by the simulated driver's
// zexXpusimGetLiveObjects extension), and the runtime is usable again afterwards.
import { describe, expect, it } from 'vitest';
import { cleanEnv, runChild, simBuilt, type Json } from './helpers/child.js';

const env = () => cleanEnv({ XPUSCOPE_DRIVER: 'sim', XPUSIM_PROFILE: 'arc-a770,max-1550' });
const ZERO = {
  contexts: 0,
  commandQueues: 0,
  commandLists: 0,
  fences: 0,
  eventPools: 0,
  events: 0,
  modules: 0,
  kernels: 0,
  allocations: 0,
  buildLogs: 0,
  allocatedBytes: 0,
};

describe.skipIf(!simBuilt())('shutdown', () => {
  it('after a workload with streams, events, allocations, kernels and the recorder, no object is left', () => {
    const r = runChild<Json>(
      `const ops = [];
       xpu.setRecorder((op) => ops.push(op));
       const before = xpu.simLiveObjects();
       for (const d of [0, 1, 2]) {
         const k = xpu.kernels(d);
         const s = new xpu.Stream({ device: d }), c = new xpu.Stream({ device: d, engine: d === 0 ? 'compute' : 'copy' });
         const dev = xpu.alloc(1 << 20, { device: d });
         const big = xpu.alloc(12 << 20, { device: d }); big.free();          // cached large segment
         const host = xpu.alloc(64 << 10, { kind: 'host', device: d });
         const sh = xpu.alloc(64 << 10, { kind: 'shared', device: d });
         const e0 = new xpu.Event({ enableTiming: true }), e1 = new xpu.Event({ enableTiming: true });
         e0.record(s);
         s.launch(k.fill_u32, { groups: 64, groupSize: 64, args: [dev, 1] });
         s.copy(sh, dev, 64 << 10);
         e1.record(s);
         c.waitEvent(e1);
         c.copy(host, sh);
         c.fill(dev, 0);
         await xpu.synchronize(d);
         await c.synchronize();
         // left alive on purpose: a pending op, an unfreed device buffer, a user event
         s.launch(k.busy, { groups: 4, groupSize: 64, args: [dev, 2000] });
       }
       const during = xpu.simLiveObjects();
       const rep = await xpu.shutdown();
       const after = xpu.simLiveObjects();
       done({ before, during, rep, after, ops: ops.length, init: xpu.isInitialized() });`,
      env(),
    );
    expect(r.before).toEqual(ZERO);
    expect(r.during.contexts).toBe(1);
    expect(r.during.commandLists).toBeGreaterThanOrEqual(6);
    expect(r.during.kernels).toBe(15);
    expect(r.during.allocations).toBeGreaterThan(6);
    expect(r.during.events).toBeGreaterThan(0);
    expect(r.ops).toBeGreaterThan(10);
    expect(r.rep).toEqual({ abandonedStreams: 0, failedCalls: 0, leakedDevices: [] });
    expect(r.after).toEqual(ZERO);
    expect(r.init).toBe(false);
  });

  it('is re-entrant and repeatable; old objects throw a clear error; the runtime re-initialises on next use', () => {
    const r = runChild<Json>(
      `const s = new xpu.Stream({ device: 1 });
       const b = xpu.alloc(4096, { kind: 'shared', device: 1 });
       const d = xpu.alloc(4096, { device: 1 });
       const k = xpu.kernels(1);
       const ev = new xpu.Event(); ev.record(s);
       xpu.setStream(s);
       const [a, a2] = await Promise.all([xpu.shutdown(), xpu.shutdown()]);
       const msgs = {};
       for (const [name, f] of Object.entries({
         submit: () => s.fill(b, 1),
         read: () => b.read(),
         query: () => ev.query(),
         launch: () => new xpu.Stream({ device: 1 }).launch(k.fill_u32, { groups: 1, groupSize: 64, args: [d, 1] }),
       })) { try { f(); msgs[name] = 'ok'; } catch (e) { msgs[name] = e.name + ': ' + e.message; } }
       b.free(); d.free(); // freeing after shutdown is a no-op
       // re-initialised: a new stream, buffers and kernels work; the current stream fell back to the default
       const cur = xpu.currentStream(1);
       const curClosed = cur.isClosed;
       const s2 = new xpu.Stream({ device: 1 });
       const out = xpu.alloc(4096, { kind: 'shared', device: 1 });
       s2.launch(xpu.kernels(1).fill_u32, { groups: 1, groupSize: 64, args: [out, 0] });
       await s2.synchronize();
       const v = new Uint32Array(out.read(0, 8).buffer.slice(0, 8));
       const again = await xpu.shutdown();
       done({ same: a === a2, msgs, curIsOld: cur === s, curClosed, v: [v[0], v[1]], again, live: xpu.simLiveObjects(), third: await xpu.shutdown() });`,
      env(),
    );
    expect(r.same).toBe(true);
    // a completed event stays answerable (it no longer needs its native event)
    expect(r.msgs.query).toBe('ok');
    for (const k of ['submit', 'read', 'launch']) {
      expect(r.msgs[k], k).toMatch(
        /^XpuError: .*belongs to an XPU runtime that was shut down \(xpu\.shutdown\(\)\)/,
      );
    }
    expect(r.curIsOld).toBe(false);
    expect(r.curClosed).toBe(false);
    expect(r.v).toEqual([0, 2654435761]);
    expect(r.again.leakedDevices).toEqual([]);
    expect(r.live).toEqual(ZERO);
    expect(r.third).toEqual({ abandonedStreams: 0, failedCalls: 0, leakedDevices: [] });
  });

  it('an Event per iteration does not grow the event pools (completed events hand their slot back)', () => {
    const r = runChild<Json>(
      `const s = new xpu.Stream(), c = new xpu.Stream();
       const a = xpu.alloc(4096);
       const counts = [];
       let first, last;
       for (let i = 0; i < 3000; i++) {
         const e = new xpu.Event({ enableTiming: true });
         const f = new xpu.Event({ enableTiming: true });
         e.record(s); s.fill(a, i & 0xff); f.record(s);
         c.waitEvent(f);
         if (i % 50 === 0) { await s.synchronize(); await c.synchronize(); counts.push(xpu.simLiveObjects().events); }
         if (i === 0) first = [e, f];
         last = [e, f];
       }
       await xpu.synchronize();
       done({ counts, ms: first[0].elapsedTime(first[1]), ms2: last[0].elapsedTime(last[1]), q: last[1].query(), id: String(last[1].eventId) });`,
      env(),
    );
    // ≤ 100 timing + 100 plain events in flight between syncs (a few pools of 64); without the slot
    // release this would pass 6 000
    expect(Math.max(...r.counts)).toBeLessThanOrEqual(512);
    expect(r.counts).toHaveLength(60); // 3000 iterations: without slot release this would pass 6000 events
    expect(r.ms).toBeGreaterThanOrEqual(0);
    expect(r.ms2).toBeGreaterThanOrEqual(0);
    expect(r.q).toBe(true);
    expect(r.id).not.toBe('0');
  });

  it('simLiveObjects is undefined without the simulated driver and never throws', () => {
    const r = runChild<Json>(
      `done({ v: xpu.simLiveObjects() ?? 'undefined' });`,
      cleanEnv({ XPUSCOPE_DRIVER: 'system' }),
    );
    expect(r.v).toBe('undefined');
  });
});
