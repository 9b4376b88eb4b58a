// Issue 8: a device lost mid-work (XPUSIM_FAULTS=device_lost_after_ops=N). Operations and waits reject
// with a ZeError naming DEVICE_LOST, with a plain explanation and what to do; queries keep working and
// shutdown still releases everything. (This form of the fault loses every device of the process at
// once; faults-device-lost-one.test.ts loses one device of two and shows the other keeps working.)
import { describe, expect, it } from 'vitest';
import { cleanEnv, runChild, simBuilt, type Json } from './helpers/child.js';

const env = (faults: string) =>
  cleanEnv({ XPUSCOPE_DRIVER: 'sim', XPUSIM_PROFILE: 'arc-a770,max-1550', XPUSIM_FAULTS: faults });

describe.skipIf(!simBuilt())('device lost', () => {
  it('waits, submits, allocations and event waits reject with DEVICE_LOST; queries keep working', () => {
    const r = runChild<Json>(
      `const info = (e) => e && { name: e.name, resultName: e.resultName, call: e.call, advice: e.advice, message: e.message, isXpu: e instanceof rt.XpuError };
       const s = new xpu.Stream();
       const b = xpu.alloc(4096, { kind: 'shared' });
       const ev = new xpu.Event();
       const out = {};
       try { for (let i = 0; i < 6; i++) s.fill(b, i); ev.record(s); await s.synchronize(); out.sync = 'ok'; } catch (e) { out.sync = info(e); }
       try { await ev.synchronize(); out.event = 'ok'; } catch (e) { out.event = info(e); }
       try { s.fill(b, 1); out.submit = 'ok'; } catch (e) { out.submit = info(e); }
       try { xpu.alloc(8 << 20); out.alloc = 'ok'; } catch (e) { out.alloc = info(e); }
       try { await xpu.synchronize(); out.devsync = 'ok'; } catch (e) { out.devsync = info(e); }
       const list = xpu.listDevices();
       out.devices = list.devices.map((d) => d.name);
       out.problem = list.problem ?? null;
       out.props = [0, 1, 2].map((i) => xpu.getDeviceProperties(i).name);
       out.count = xpu.deviceCount();
       out.shutdown = await xpu.shutdown({ timeoutMs: 1000 });
       out.live = xpu.simLiveObjects();
       done(out);`,
      env('device_lost_after_ops=3'),
    );
    for (const k of ['sync', 'submit'] as const) {
      expect(r[k], k).toMatchObject({
        name: 'ZeError',
        resultName: 'ZE_RESULT_ERROR_DEVICE_LOST',
        isXpu: true,
      });
      expect(r[k].message).toMatch(/DEVICE_LOST/);
      expect(r[k].message).toMatch(/The GPU was lost/);
      expect(r[k].message).toMatch(/restart the program/);
      expect(r[k].advice).toMatch(/dmesg/);
    }
    // The event was recorded after the lost ops: its wait fails the same way (or it never got recorded).
    expect(r.event === 'ok' || r.event.resultName === 'ZE_RESULT_ERROR_DEVICE_LOST').toBe(true);
    expect(r.alloc).toMatchObject({ name: 'ZeError', resultName: 'ZE_RESULT_ERROR_DEVICE_LOST' });
    expect(r.devsync).toMatchObject({ resultName: 'ZE_RESULT_ERROR_DEVICE_LOST' });
    // Queries still answer.
    expect(r.devices).toHaveLength(3);
    expect(r.problem).toBeNull();
    expect(r.props[0]).toMatch(/A770/);
    expect(r.props[1]).toMatch(/Max 1550/);
    expect(r.count).toBe(3);
    // Shutdown after the loss still releases every Level Zero object.
    expect(r.shutdown.leakedDevices).toEqual([]);
    expect(r.live).toMatchObject({ contexts: 0, commandLists: 0, eventPools: 0, events: 0, allocations: 0 });
  });

  it('a device lost while a wait is in progress rejects that wait (async and poll strategies)', () => {
    for (const strategy of ['async', 'poll']) {
      const r = runChild<Json>(
        `xpu.setWaitStrategy(${JSON.stringify(strategy)});
         const k = xpu.kernels(1);
         const s = new xpu.Stream({ device: 1 });
         const out = xpu.alloc(256 * 64 * 4, { device: 1 });
         // op 1: a long kernel, op 2 loses the device while we wait on op 1's successor
         s.launch(k.busy, { groups: 256, groupSize: 64, args: [out, 200000] });
         s.fill(out, 0);
         let err = null;
         try { await s.synchronize(); } catch (e) { err = { name: e.name, resultName: e.resultName }; }
         done(err);`,
        env('device_lost_after_ops=1'),
      );
      expect(r, strategy).toEqual({ name: 'ZeError', resultName: 'ZE_RESULT_ERROR_DEVICE_LOST' });
    }
  });
});
