// Issue 8: a kernel that never finishes (XPUSIM_FAULTS=hang_kernel=busy). Every wait has a timeout
// that surfaces as a clear XpuTimeoutError; the stream is marked broken (further submits reject saying
// so) and other streams and devices keep working. hang_ms is long so the simulated hang detection
// (which loses the device) does not fire during the test, except where a test wants it to.
import { describe, expect, it } from 'vitest';
import { cleanEnv, runChild, simBuilt, type Json } from './helpers/child.js';

const env = (faults: string, extra: Record<string, string> = {}) =>
  cleanEnv({
    XPUSCOPE_DRIVER: 'sim',
    XPUSIM_PROFILE: 'arc-a770,max-1550',
    XPUSIM_FAULTS: faults,
    ...extra,
  });

// A hung `busy` launch on device 1 (a Max 1550 tile: 4 compute engines, so the next pool stream runs
// on another engine than the hung one).
const HANG = `
  const k = xpu.kernels(1);
  const s = new xpu.Stream({ device: 1 });
  const out = xpu.alloc(64 * 4 * 4, { device: 1 });
  s.launch(k.busy, { groups: 4, groupSize: 64, args: [out, 10] });
  const info = (e) => e && { name: e.name, message: e.message, timeoutMs: e.timeoutMs, deviceIndex: e.deviceIndex, streamId: e.streamId, isXpu: e instanceof rt.XpuError };
`;

describe.skipIf(!simBuilt())('hung kernel', () => {
  it('default wait timeout is 30 s; XPUSCOPE_WAIT_TIMEOUT_MS and setWaitTimeout change it; bad values are rejected', () => {
    const r = runChild<Json>(
      `const a = xpu.waitTimeout();
       const bad = [];
       for (const v of [0, -1, NaN, '5']) { try { xpu.setWaitTimeout(v); } catch (e) { bad.push(e.name); } }
       xpu.setWaitTimeout(Infinity);
       const b = xpu.waitTimeout();
       let opt = null;
       try { await new xpu.Stream().synchronize({ timeoutMs: -5 }); } catch (e) { opt = e.message; }
       done({ a, bad, b, opt });`,
      env(''),
    );
    expect(r.a).toBe(30_000);
    expect(r.bad).toEqual(['XpuError', 'XpuError', 'XpuError', 'XpuError']);
    expect(r.b).toBe(null); // Infinity serialises as null
    expect(r.opt).toMatch(/^Invalid timeoutMs: -5/);
    const e = runChild<number>(`done(xpu.waitTimeout());`, env('', { XPUSCOPE_WAIT_TIMEOUT_MS: '1234' }));
    expect(e).toBe(1234);
  });

  it('stream.synchronize times out with a clear XpuTimeoutError, marks the stream broken; the rest keeps working', () => {
    const r = runChild<Json>(
      `${HANG}
       xpu.setWaitTimeout(400);
       const out2 = {};
       const t0 = Date.now();
       try { await s.synchronize(); out2.sync = 'ok'; } catch (e) { out2.sync = info(e); }
       out2.ms = Date.now() - t0;
       out2.broken = s.broken;
       try { s.fill(out, 1); out2.submit = 'ok'; } catch (e) { out2.submit = info(e); }
       try { await s.synchronize(); out2.again = 'ok'; } catch (e) { out2.again = info(e); }
       // another stream of the same device (another engine), a copy stream, another device
       const b = xpu.alloc(4096, { kind: 'shared', device: 1 });
       const s2 = new xpu.Stream({ device: 1 });
       s2.fill(b, 5); await s2.synchronize();
       const cs = new xpu.Stream({ device: 1, engine: 'copy' });
       const c = xpu.alloc(4096, { kind: 'shared', device: 1 });
       cs.copy(c, b); await cs.synchronize();
       const d0 = xpu.alloc(4096, { kind: 'shared', device: 0 });
       const s0 = new xpu.Stream({ device: 0 });
       s0.launch(xpu.kernels(0).fill_u32, { groups: 16, groupSize: 64, args: [d0, 7] });
       await s0.synchronize();
       out2.other = [b.read(0, 1)[0], c.read(0, 1)[0], new Uint32Array(d0.read(0, 8).buffer.slice(0, 8))[1] === (7 ^ 2654435761) >>> 0];
       out2.s2 = { id: s2.streamId, engine: s2.engine.index, hungEngine: s.engine.index };
       // device synchronize skips the broken stream; queries work
       await xpu.synchronize(1);
       out2.name = xpu.getDeviceName(1);
       // the pool hands out a fresh stream in place of the broken one
       let fresh = null;
       for (let i = 0; i < 40; i++) { const t = new xpu.Stream({ device: 1 }); if (t.streamId === s.streamId) { fresh = { same: t === s, broken: t.broken }; break; } }
       out2.fresh = fresh;
       done(out2);`,
      env('hang_kernel=busy,hang_ms=60000'),
    );
    expect(r.sync).toMatchObject({ name: 'XpuTimeoutError', isXpu: true, timeoutMs: 400, deviceIndex: 1 });
    expect(r.sync.message).toMatch(
      /^stream \d+ \(0x[0-9a-f]+\) on device 1 did not finish within 400 ms — the GPU may be hung/,
    );
    expect(r.sync.message).toMatch(/marked broken/);
    expect(r.sync.message).toMatch(/xpu\.setWaitTimeout/);
    expect(r.ms).toBeGreaterThanOrEqual(390);
    expect(r.ms).toBeLessThan(5000);
    expect(r.broken).toBe(true);
    expect(r.submit.name).toBe('XpuError');
    expect(r.submit.message).toMatch(/is broken: an earlier wait on it timed out after 400 ms/);
    expect(r.again.name).toBe('XpuTimeoutError');
    expect(r.other).toEqual([5, 5, true]);
    expect(r.s2.engine).not.toBe(r.s2.hungEngine);
    expect(r.name).toMatch(/Max 1550/);
    expect(r.fresh).toEqual({ same: false, broken: false });
  });

  it('event.synchronize, xpu.synchronize and { timeoutMs } time out too; poll strategy as well', () => {
    const r = runChild<Json>(
      `${HANG}
       const res = {};
       const ev = new xpu.Event(); ev.record(s);
       let t0 = Date.now();
       try { await ev.synchronize({ timeoutMs: 200 }); } catch (e) { res.event = info(e); res.eventMs = Date.now() - t0; }
       res.brokenAfterEvent = s.broken;
       done(res);`,
      env('hang_kernel=busy,hang_ms=60000'),
    );
    expect(r.event.name).toBe('XpuTimeoutError');
    expect(r.event.message).toMatch(/did not finish within 200 ms/);
    expect(r.eventMs).toBeLessThan(4000);
    expect(r.brokenAfterEvent).toBe(true);

    const p = runChild<Json>(
      `${HANG}
       xpu.setWaitStrategy('poll');
       const res = {};
       let t0 = Date.now();
       try { await xpu.synchronize(1, { timeoutMs: 250 }); } catch (e) { res.dev = info(e); res.ms = Date.now() - t0; }
       done(res);`,
      env('hang_kernel=busy,hang_ms=60000'),
    );
    expect(p.dev.name).toBe('XpuTimeoutError');
    expect(p.dev.message).toMatch(/on device 1 did not finish within 250 ms/);
    expect(p.ms).toBeLessThan(4000);
  });

  it('shutdown leaves a device with still-running hung work alone (reported), and releases everything once the device is lost', () => {
    const r = runChild<Json>(
      `${HANG}
       xpu.setWaitTimeout(300);
       try { await s.synchronize(); } catch {}
       const d0 = new xpu.Stream({ device: 0 }); const m = xpu.alloc(1 << 20, { device: 0 }); d0.fill(m, 1); await d0.synchronize();
       const t0 = Date.now();
       const rep = await xpu.shutdown({ timeoutMs: 200 });
       done({ rep, ms: Date.now() - t0, live: xpu.simLiveObjects() });`,
      env('hang_kernel=busy,hang_ms=60000'),
    );
    expect(r.rep.leakedDevices).toEqual([1]);
    expect(r.ms).toBeLessThan(3000);
    expect(r.live.contexts).toBe(1); // device 1's driver context must outlive its running work

    const lost = runChild<Json>(
      `${HANG}
       xpu.setWaitTimeout(200);
       try { await s.synchronize(); } catch {}
       await new Promise((res) => setTimeout(res, 900)); // hang_ms passes: the simulated hang detection loses the device
       const rep = await xpu.shutdown();
       done({ rep, live: xpu.simLiveObjects() });`,
      env('hang_kernel=busy,hang_ms=500'),
    );
    expect(lost.rep.leakedDevices).toEqual([]);
    expect(lost.live).toMatchObject({
      contexts: 0,
      commandLists: 0,
      events: 0,
      eventPools: 0,
      allocations: 0,
      kernels: 0,
      modules: 0,
    });
  });
});
