// Helpers shared by the diagnostic checks of every level (checks-l1.ts, checks-l2.ts, checks-l3.ts):
// remediation hints, error texts, units, test patterns, buffers freed at the end of a check.
import { createHash } from 'node:crypto';
import { xpu, ZeError, type DeviceProperties, type Stream, type XpuBuffer } from '../../runtime/index.js';
import { mulberry32 as prng } from '../../runtime/prng.js';
import { outcome, type CheckContext, type Outcome } from './registry.js';

export const NO_DRIVER_HINT =
  "Install Intel's GPU compute runtime (Debian/Ubuntu: sudo apt-get install libze-intel-gpu1, or " +
  'intel-level-zero-gpu on older releases; see https://dgpu-docs.intel.com), or run with --driver sim ' +
  'to use the simulated GPU.';
export const RENDER_GROUP_HINT =
  'Add your user to the render group (sudo usermod -aG render $USER), then log out and in again.';
const DEVICE_LOST_HINT =
  'The GPU hung or was reset (device lost): check `sudo dmesg | grep -iE "i915|xe|gpu hang"`, update the ' +
  'kernel driver and compute runtime, then reboot (or reload the driver) before testing again.';
const OOM_HINT =
  'The device ran out of memory: close other GPU users (xpu-smi / intel_gpu_top), check the device memory size ' +
  'in `xpuscope info`, and on integrated GPUs the memory the OS lends to the GPU.';

export const MiB = 1 << 20;

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A remediation hint for a runtime error (device lost, out of memory, …). */
export function hintFor(err: unknown, fallback: string): string {
  const text = errorText(err);
  if (err instanceof ZeError) {
    if (err.result === 0x70000001 || err.result === 0x70000006) return DEVICE_LOST_HINT;
    if (err.result === 0x70000002 || err.result === 0x70000003) return OOM_HINT;
  }
  if (/DEVICE_LOST|REQUIRES_RESET/.test(text)) return DEVICE_LOST_HINT;
  if (/out of memory|OUT_OF_DEVICE_MEMORY|OUT_OF_HOST_MEMORY/i.test(text)) return OOM_HINT;
  return fallback;
}

/** A short measured text for an error: the Level Zero call and result, or the first clause of the message. */
function shortError(err: unknown): string {
  if (err instanceof ZeError) return `${err.call} → ${err.resultName}`;
  const text = errorText(err);
  const m = /(ze\w+) failed: (ZE_RESULT_\w+)/.exec(text);
  if (m) return `${m[1]} → ${m[2]}${/out of memory/i.test(text) ? ' (out of memory)' : ''}`;
  const first = text.split(/(?<=\.)\s/)[0] ?? text;
  return first.length > 80 ? `${first.slice(0, 77)}…` : first;
}

export function failed(err: unknown, expected: string, source: string, fallbackHint: string): Outcome {
  return outcome('fail', `error: ${shortError(err)}`, expected, source, {
    message: errorText(err),
    hint: hintFor(err, fallbackHint),
  });
}

export function gbps(bytes: number, ms: number): number {
  return ms > 0 ? bytes / (ms * 1e6) : Infinity;
}

export function fmtGBs(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(v < 10 ? 2 : 1)} GB/s` : '∞ GB/s';
}

export function pattern(bytes: number, seed: number): Buffer {
  const rnd = prng(seed);
  const b = Buffer.alloc(bytes);
  const words = new Uint32Array(b.buffer, b.byteOffset, Math.floor(bytes / 4));
  // A PRNG seed per 4 KiB block, then a cheap xorshift inside it: fast and still no repeating pages.
  let x = 1;
  for (let i = 0; i < words.length; i++) {
    if ((i & 1023) === 0) x = (Math.floor(rnd() * 4294967296) | 1) >>> 0;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return b;
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex').slice(0, 16);
}

export function props(ctx: CheckContext): DeviceProperties {
  return xpu.getDeviceProperties(ctx.device);
}

/** Frees every buffer at the end, even when a check throws. */
export class Buffers {
  private list: XpuBuffer[] = [];
  alloc(bytes: number, kind: 'device' | 'host' | 'shared', device: number): XpuBuffer {
    const b = xpu.alloc(bytes, { kind, device });
    this.list.push(b);
    return b;
  }
  free(): void {
    for (const b of this.list) {
      try {
        b.free();
      } catch {
        // a lost device cannot free; nothing else to do
      }
    }
    this.list = [];
  }
}

function hasCopyEngine(p: DeviceProperties): boolean {
  return p.engines.some((g) => g.kind === 'copy');
}

/** Streams for each engine class the runtime can target: compute always, copy when present. */
export function engineStreams(p: DeviceProperties, device: number): { name: string; stream: Stream }[] {
  const out = [{ name: 'compute', stream: new xpu.Stream({ device }) }];
  if (hasCopyEngine(p)) out.push({ name: 'copy', stream: new xpu.Stream({ device, engine: 'copy' }) });
  return out;
}

/** Busy-kernel iterations for about `ms` milliseconds (4 cycles per dependent FMA at coreClockRate). */
export function busyIterations(p: DeviceProperties, ms: number): number {
  const mhz = p.coreClockRate > 0 ? p.coreClockRate : 1000;
  return Math.max(1, Math.min(0xffffffff, Math.round((ms * 1e-3 * mhz * 1e6) / 4)));
}
