// Events: lazy native creation, device binding, timing and torch's error messages.
import { describe, expect, it } from 'vitest';
import { xpu } from '../../runtime/index.js';
import { gate, haveSim, useSim } from './helpers/sim.js';

useSim();

describe.skipIf(!haveSim)('events', () => {
  it('before the first record: id 0, query true, synchronize resolves', async () => {
    const e = new xpu.Event();
    expect(e.eventId).toBe(0n);
    expect(e.nativeHandle).toBe(0n);
    expect(e.deviceIndex).toBeUndefined();
    expect(e.query()).toBe(true);
    await expect(e.synchronize()).resolves.toBeUndefined();
    e.wait(); // never recorded: no-op
  });

  it('records on the current stream by default and gets a native event', async () => {
    const e = new xpu.Event();
    xpu.withDevice(1, () => e.record());
    expect(e.deviceIndex).toBe(1);
    expect(e.eventId).not.toBe(0n);
    await e.synchronize();
    expect(e.query()).toBe(true);
  });

  it('the recording stream must be on the event device', () => {
    const e = new xpu.Event();
    e.record(new xpu.Stream({ device: 1 }));
    expect(() => e.record(new xpu.Stream({ device: 2 }))).toThrow(
      "Event device 1 does not match recording stream's device 2.",
    );
  });

  it("elapsedTime follows torch's checks", async () => {
    const a = new xpu.Event();
    const b = new xpu.Event();
    // torch's order (XPUEvent.h): recorded, then completed, then timing enabled.
    expect(() => a.elapsedTime(b)).toThrow('Both events must be recorded before calculating elapsed time.');
    const t0 = new xpu.Event({ enableTiming: true });
    const t1 = new xpu.Event({ enableTiming: true });
    expect(() => t0.elapsedTime(t1)).toThrow('Both events must be recorded before calculating elapsed time.');
    const s = new xpu.Stream({ device: 0 });
    const k = xpu.kernels(0);
    const n = 64 * 1024;
    const buf = xpu.alloc(n * 4);
    const g = await gate(0);
    t0.record(s);
    s.waitEvent(g.event);
    s.launch(k.busy!, { groups: n / 64, groupSize: 64, args: [buf, 500_000] });
    t1.record(s);
    expect(t1.query()).toBe(false);
    expect(() => t0.elapsedTime(t1)).toThrow(
      'Both events must be completed before calculating elapsed time.',
    );
    g.open();
    await t1.synchronize();
    const ms = t0.elapsedTime(t1);
    expect(ms).toBeGreaterThan(0);
    expect(t1.elapsedTime(t0)).toBeCloseTo(-ms, 6);
    buf.free();
  });

  it('re-recording replaces the native event; recordEvent creates one', async () => {
    const s = new xpu.Stream({ device: 0 });
    const e = s.recordEvent();
    const first = e.eventId;
    await e.synchronize();
    s.recordEvent(e);
    expect(e.eventId).not.toBe(0n);
    await e.synchronize();
    expect(typeof first).toBe('bigint');
  });

  it('event.wait makes another stream wait (cross-device within a context)', async () => {
    const a = new xpu.Stream({ device: 1 });
    const b = new xpu.Stream({ device: 2 });
    const e = new xpu.Event();
    const k = xpu.kernels(1);
    const n = 64 * 256;
    const src = xpu.alloc(n * 4, { device: 1, kind: 'shared' });
    const dst = xpu.alloc(n * 4, { device: 2, kind: 'shared' });
    a.launch(k.fill_u32!, { groups: n / 64, groupSize: 64, args: [src, 1234] });
    e.record(a);
    e.wait(b);
    b.copy(dst, src);
    await b.synchronize();
    const out = new Uint32Array(dst.read().buffer);
    expect(out[5]).toBe((1234 ^ Math.imul(5, 2654435761)) >>> 0);
    src.free();
    dst.free();
  });
});
