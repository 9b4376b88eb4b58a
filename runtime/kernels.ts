// Bundled kernels (native/kernels/xpuscope.spv, OpenCL C source beside it) built per device with
// zeModuleCreate. Argument types come from the OpenCL C signatures in xpuscope.cl when it is present;
// otherwise pass typed arguments ({ f32: 2 }, { u32: 7 }, …) instead of plain numbers.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runtime } from './core.js';
import { checkRange, deviceIndex, type DeviceLike } from './device-arg.js';
import { closedError, deviceRuntime, PerDevice, type DeviceRuntime } from './device-runtime.js';
import { packageRoot } from './driver.js';
import { XpuError, ZeError, check } from './errors.js';
import type { LaunchableKernel, MemoryRef } from './streams.js';
import { L, struct } from './ze/layouts.js';

export type ScalarType = 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'i64' | 'u64' | 'f32' | 'f64';
export type ParamType = 'ptr' | ScalarType;
/** A kernel argument: a buffer, a typed scalar, raw bytes, or a plain number when the kernel's signature is known. */
export type KernelArg =
  MemoryRef | number | bigint | Partial<Record<ScalarType, number | bigint>> | Uint8Array | null;

const SCALAR_SIZE: Record<ScalarType, number> = {
  i8: 1,
  u8: 1,
  i16: 2,
  u16: 2,
  i32: 4,
  u32: 4,
  i64: 8,
  u64: 8,
  f32: 4,
  f64: 8,
};
const CL_TYPES: Record<string, ScalarType> = {
  char: 'i8',
  uchar: 'u8',
  short: 'i16',
  ushort: 'u16',
  int: 'i32',
  uint: 'u32',
  long: 'i64',
  ulong: 'u64',
  float: 'f32',
  double: 'f64',
  size_t: 'u64',
};

/** The SPIR-V module path (`XPUSCOPE_KERNELS` overrides). */
export function kernelsPath(): string {
  return process.env.XPUSCOPE_KERNELS || join(packageRoot(), 'native', 'kernels', 'xpuscope.spv');
}

/** Parse `kernel void name(type a, global T *b, …)` signatures from OpenCL C source. */
export function parseSignatures(src: string): Map<string, ParamType[]> {
  const out = new Map<string, ParamType[]>();
  const clean = src.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
  const re = /(?:__)?kernel\s+void\s+(\w+)\s*\(([^)]*)\)/g;
  for (let m = re.exec(clean); m; m = re.exec(clean)) {
    const params: ParamType[] = [];
    for (const raw of (m[2] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      if (raw.includes('*')) params.push('ptr');
      else {
        const words = raw
          .replace(/\b(const|__private|private|restrict|volatile)\b/g, '')
          .trim()
          .split(/\s+/);
        const ty = CL_TYPES[words[0] ?? ''];
        if (!ty) {
          params.length = 0;
          break;
        }
        params.push(ty);
      }
    }
    out.set(m[1] as string, params);
  }
  return out;
}

function encodeScalar(t: ScalarType, v: number | bigint): Buffer {
  const b = Buffer.alloc(SCALAR_SIZE[t]);
  switch (t) {
    case 'i8':
      b.writeInt8(Number(v));
      break;
    case 'u8':
      b.writeUInt8(Number(v));
      break;
    case 'i16':
      b.writeInt16LE(Number(v));
      break;
    case 'u16':
      b.writeUInt16LE(Number(v));
      break;
    case 'i32':
      b.writeInt32LE(Number(v));
      break;
    case 'u32':
      b.writeUInt32LE(Number(v) >>> 0);
      break;
    case 'i64':
      b.writeBigInt64LE(BigInt(v));
      break;
    case 'u64':
      b.writeBigUInt64LE(BigInt(v));
      break;
    case 'f32':
      b.writeFloatLE(Number(v));
      break;
    case 'f64':
      b.writeDoubleLE(Number(v));
      break;
  }
  return b;
}

export class Kernel implements LaunchableKernel {
  private lastSize = '';
  /** @internal */
  constructor(
    readonly name: string,
    readonly deviceIndex: number,
    readonly handle: bigint,
    /** Parameter types when known (from the OpenCL C source). */
    readonly params: readonly ParamType[] | undefined,
    private readonly dr: DeviceRuntime,
  ) {}

  /** @internal */
  prepare(
    groupSize: [number, number, number],
    args: readonly unknown[],
  ): { handle: bigint; keep: MemoryRef[] } {
    const ze = this.dr.ze;
    if (this.params && args.length !== this.params.length) {
      throw new XpuError(
        `Kernel '${this.name}' takes ${this.params.length} arguments (${this.params.join(', ')}), got ${args.length}.`,
      );
    }
    if (this.dr.closed) throw closedError(`kernel '${this.name}'`);
    const key = groupSize.join(',');
    if (key !== this.lastSize) {
      check(
        'zeKernelSetGroupSize',
        ze.fn.zeKernelSetGroupSize(this.handle, groupSize[0], groupSize[1], groupSize[2]) as number,
        `${this.name} [${key}]`,
      );
      this.lastSize = key;
    }
    const keep: MemoryRef[] = [];
    args.forEach((a, i) => {
      const want = this.params?.[i];
      let value: Buffer;
      if (a === null) value = Buffer.alloc(8);
      else if (a instanceof Uint8Array) value = Buffer.from(a);
      else if (
        typeof a === 'object' &&
        a !== null &&
        'ptr' in a &&
        typeof (a as MemoryRef).ptr === 'bigint'
      ) {
        const m = a as MemoryRef & { isFreed?: boolean };
        if (m.isFreed) throw new XpuError(`Kernel '${this.name}' argument ${i} is a freed buffer.`);
        value = Buffer.alloc(8);
        value.writeBigUInt64LE(m.ptr);
        keep.push(m);
      } else if (typeof a === 'number' || typeof a === 'bigint') {
        if (!want || want === 'ptr') {
          throw new XpuError(
            `Kernel '${this.name}' argument ${i}: ${want === 'ptr' ? 'expected a buffer' : 'type unknown, pass a typed value such as { f32: 1.5 } or { u32: 7 }'}, got ${String(a)}.`,
          );
        }
        value = encodeScalar(want, a);
      } else if (typeof a === 'object' && a !== null) {
        const entries = Object.entries(a).filter(([k]) => k in SCALAR_SIZE);
        const [t, v] = entries[0] ?? [];
        if (entries.length !== 1 || v === undefined)
          throw new XpuError(`Kernel '${this.name}' argument ${i}: unsupported value ${JSON.stringify(a)}.`);
        value = encodeScalar(t as ScalarType, v as number | bigint);
      } else {
        throw new XpuError(`Kernel '${this.name}' argument ${i}: unsupported value ${String(a)}.`);
      }
      const r = ze.fn.zeKernelSetArgumentValue(this.handle, i, value.length, value) as number;
      if (r !== 0)
        throw new ZeError(
          'zeKernelSetArgumentValue',
          r,
          `${this.name} argument ${i} (${value.length} bytes)`,
        );
    });
    return { handle: this.handle, keep };
  }

  toString(): string {
    return `xpu.Kernel(${this.name}, device=xpu:${this.deviceIndex})`;
  }
}

interface ModuleState {
  module: bigint;
  kernels: Record<string, Kernel>;
}
/** The bundled kernels' module of each device runtime (built by the first kernels() call). */
const modules = new PerDevice<ModuleState>();

/** The bundled kernels of a device (module built on first call). */
export function kernels(d?: DeviceLike | null): Readonly<Record<string, Kernel>> {
  const idx = deviceIndex(d, true);
  checkRange(idx, runtime().devices.length);
  const dr = deviceRuntime(idx);
  const hit = modules.peek(dr);
  if (hit) return hit.kernels;
  const path = kernelsPath();
  if (!existsSync(path))
    throw new XpuError(`Bundled kernels not found at ${path} (build them: npm run build:native).`);
  const spv = readFileSync(path);
  const clPath = join(
    dirname(path),
    path.endsWith('.spv') ? `${path.slice(dirname(path).length + 1, -4)}.cl` : 'xpuscope.cl',
  );
  const sigs = existsSync(clPath)
    ? parseSignatures(readFileSync(clPath, 'utf8'))
    : new Map<string, ParamType[]>();
  const koffi = dr.ze.koffi;
  const desc = struct(L.ze_module_desc_t, {
    format: 0,
    inputSize: spv.length,
    pInputModule: koffi.address(spv),
  });
  const mod = new BigUint64Array(1);
  const log = new BigUint64Array(1);
  const r = dr.ze.fn.zeModuleCreate(dr.context, dr.rec.handle, desc.buf, mod, log) as number;
  let logText = '';
  if (log[0]) {
    const n = new BigUint64Array(1);
    if ((dr.ze.fn.zeModuleBuildLogGetString(log[0], n, null) as number) === 0 && n[0]) {
      const b = Buffer.alloc(Number(n[0]));
      dr.ze.fn.zeModuleBuildLogGetString(log[0], n, b);
      logText = b.toString('utf8').replace(/\0+$/, '');
    }
    dr.ze.fn.zeModuleBuildLogDestroy(log[0]);
  }
  if (r !== 0) throw new ZeError('zeModuleCreate', r, `${path}${logText ? `: ${logText}` : ''}`);
  const module = mod[0] ?? 0n;
  const names = kernelNames(dr, module, sigs);
  const out: Record<string, Kernel> = {};
  for (const name of names) {
    const nameBuf = Buffer.from(`${name}\0`);
    const kd = struct(L.ze_kernel_desc_t, { flags: 0, pKernelName: koffi.address(nameBuf) });
    const kh = new BigUint64Array(1);
    check('zeKernelCreate', dr.ze.fn.zeKernelCreate(module, kd.buf, kh) as number, name);
    out[name] = new Kernel(name, idx, kh[0] ?? 0n, sigs.get(name), dr);
  }
  Object.freeze(out);
  modules.set(dr, { module, kernels: out });
  return out;
}

function kernelNames(dr: DeviceRuntime, module: bigint, sigs: Map<string, ParamType[]>): string[] {
  const n = new Uint32Array(1);
  if ((dr.ze.fn.zeModuleGetKernelNames(module, n, null) as number) === 0 && n[0]) {
    const ptrs = new BigUint64Array(n[0]);
    if ((dr.ze.fn.zeModuleGetKernelNames(module, n, ptrs) as number) === 0) {
      const names: string[] = [];
      for (const p of ptrs.subarray(0, n[0])) {
        if (p === 0n) continue;
        names.push(dr.ze.koffi.decode(p, 'char', -1) as string);
      }
      if (names.length > 0) return names;
    }
  }
  return [...sigs.keys()];
}

/** @internal xpu.shutdown(): destroy the device's kernels and module. Returns the number of failed calls. */
export function closeKernels(dr: DeviceRuntime): number {
  const st = modules.peek(dr);
  if (!st) return 0;
  let failed = 0;
  for (const k of Object.values(st.kernels))
    if ((dr.ze.fn.zeKernelDestroy(k.handle) as number) !== 0) failed++;
  if ((dr.ze.fn.zeModuleDestroy(st.module) as number) !== 0) failed++;
  modules.drop(dr);
  return failed;
}
