// Bundled kernels: building, argument encoding, launches and their errors.
import { describe, expect, it } from 'vitest';
import { xpu, XpuError, ZeError } from '../../runtime/index.js';
import { parseSignatures } from '../../runtime/kernels.js';
import { haveSim, useSim } from './helpers/sim.js';

useSim();

describe('OpenCL C signatures', () => {
  it('parses pointer and scalar parameters', () => {
    const sigs = parseSignatures(`
      // comment kernel void nope(int a)
      kernel void a(global float *y, global const float *x, float alpha, uint n) {}
      __kernel void b(__global ulong *p, int k, double d) {}
      kernel void c(image2d_t img) {}`);
    expect(sigs.get('a')).toEqual(['ptr', 'ptr', 'f32', 'u32']);
    expect(sigs.get('b')).toEqual(['ptr', 'i32', 'f64']);
    expect(sigs.get('c')).toEqual([]);
    expect(sigs.has('nope')).toBe(false);
  });
});

describe.skipIf(!haveSim)('kernels', () => {
  it('lists the bundled kernels with their parameter types', () => {
    const k = xpu.kernels(0);
    expect(Object.keys(k)).toEqual(
      expect.arrayContaining(['busy', 'saxpy', 'fill_u32', 'checksum_u32', 'copy_u32']),
    );
    expect(k.saxpy?.params).toEqual(['ptr', 'ptr', 'f32']);
    expect(k.busy?.params).toEqual(['ptr', 'u32']);
    expect(xpu.kernels(0)).toBe(k); // built once per device
    expect(xpu.kernels(1).saxpy?.deviceIndex).toBe(1);
  });

  it('saxpy computes y = a·x + y with plain and typed scalars', async () => {
    const n = 1024;
    const s = new xpu.Stream({ device: 1 });
    const k = xpu.kernels(1);
    using x = xpu.alloc(n * 4, { kind: 'shared', device: 1 });
    using y = xpu.alloc(n * 4, { kind: 'shared', device: 1 });
    x.write(Float32Array.from({ length: n }, (_, i) => i));
    y.write(new Float32Array(n).fill(1));
    s.launch(k.saxpy!, { groups: n / 64, groupSize: 64, args: [y, x, 2] });
    s.launch(k.saxpy!, { groups: [n / 64], groupSize: [64, 1, 1], args: [y, x, { f32: 0.5 }] });
    await s.synchronize();
    const out = new Float32Array(y.read().buffer);
    expect(out[0]).toBe(1);
    expect(out[10]).toBe(1 + 2.5 * 10);
    expect(out[n - 1]).toBe(1 + 2.5 * (n - 1));
  });

  it('checksum through device memory and copies', async () => {
    const n = 4096;
    const s = new xpu.Stream({ device: 0 });
    const k = xpu.kernels(0);
    using data = xpu.alloc(n * 4);
    using sum = xpu.alloc(4);
    using host = xpu.alloc(4, { kind: 'host' });
    s.launch(k.fill_u32!, { groups: n / 256, groupSize: 256, args: [data, 99] });
    s.fill(sum, 0);
    s.launch(k.checksum_u32!, { groups: n / 256, groupSize: 256, args: [data, sum] });
    s.copy(host, sum);
    await s.synchronize();
    let expected = 0;
    for (let i = 0; i < n; i++) expected = (expected + ((99 ^ Math.imul(i, 2654435761)) >>> 0)) >>> 0;
    expect(host.read().readUInt32LE(0)).toBe(expected);
  });

  it('rejects bad launches', () => {
    const k = xpu.kernels(0);
    const s = new xpu.Stream({ device: 0 });
    const other = new xpu.Stream({ device: 1 });
    const copy = new xpu.Stream({ device: 0, engine: 'copy' });
    using buf = xpu.alloc(4096);
    expect(() => s.launch(k.busy!, { groups: 1, groupSize: 64, args: [buf] })).toThrow(
      "Kernel 'busy' takes 2 arguments (ptr, u32), got 1.",
    );
    expect(() => s.launch(k.busy!, { groups: 1, groupSize: 64, args: [5, 5] })).toThrow(/expected a buffer/);
    expect(() => s.launch(k.busy!, { groups: 0, groupSize: 64, args: [buf, 1] })).toThrow(/Invalid groups/);
    expect(() => s.launch(k.busy!, { groups: 1, groupSize: 1.5, args: [buf, 1] })).toThrow(
      /Invalid groupSize/,
    );
    expect(() => other.launch(k.busy!, { groups: 1, groupSize: 64, args: [buf, 1] })).toThrow(
      "Kernel 'busy' was built for device 0, not this stream's device 1.",
    );
    expect(() => copy.launch(k.busy!, { groups: 1, groupSize: 64, args: [buf, 1] })).toThrow(
      /copy-engine stream/,
    );
    expect(() => s.launch(k.busy!, { groups: 1, groupSize: 64, args: [buf, { bogus: 1 } as never] })).toThrow(
      XpuError,
    );
    let err: unknown;
    try {
      s.launch(k.busy!, { groups: 1, groupSize: 4096, args: [buf, 1] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ZeError);
    expect((err as ZeError).call).toBe('zeKernelSetGroupSize');
    expect((err as ZeError).resultName).toMatch(/^ZE_RESULT_ERROR_/);
    expect(() => xpu.setStream('xpu:0' as never)).toThrow(/Expected a xpu.Stream/);
  });
});
