// Busy-kernel calibration: how many iterations of `busy(out, iterations)` (a dependent FMA chain per
// work-item) take a given time on this device, measured with timing events on the device itself, so
// that "durationMs = 2" means 2 ms on real hardware as on the simulated one.
//
// Method: launch `busy` with a single work-item (groups 1 × groupSize 1: it occupies one hardware thread,
// leaving the rest of the GPU free, so kernels on several engines can overlap) at two iteration counts,
// each bracketed by `Event({enableTiming:true})` records on a private stream; the minimum of 3 repeats is
// taken per point and a line ns = fixedNs + nsPerIteration × iterations is fitted through both points. The
// result is cached per device (index + name + driver version) for the life of the process.
import { xpu } from '../api.js';
import type { Kernel } from '../kernels.js';
import type { XpuBuffer } from '../memory.js';

export interface Calibration {
  device: number;
  /** ns per busy-loop iteration. */
  nsPerIteration: number;
  /** Fixed cost of one launch (launch latency, event barriers), ns; ≥ 0. */
  fixedNs: number;
  /** The measured points: iterations → ns (minimum of the repeats). */
  points: Array<{ iterations: number; ns: number }>;
  /** When it was measured (ms since the epoch). */
  measuredAt: number;
  /** How long calibrating took, ms. */
  tookMs: number;
}

/** Launch shape used for busy kernels everywhere in the scenarios. */
export const BUSY_SHAPE = { groups: 1, groupSize: 1 } as const;
/** busy's `iterations` argument is a u32. */
export const MAX_ITERATIONS = 0xffffffff;

const cache = new Map<string, Promise<Calibration>>();

function cacheKey(device: number): string {
  const p = xpu.getDeviceProperties(device);
  return `${device}|${p.name}|${p.driverVersion}`;
}

/** A small device buffer for busy's output (one float per work-item). */
export function busyOutput(device: number): XpuBuffer {
  return xpu.alloc(256, { device });
}

async function timeOnce(
  device: number,
  kernel: Kernel,
  out: XpuBuffer,
  iterations: number,
  leadIn = 1,
): Promise<number> {
  const s = new xpu.Stream({ device });
  const a = new xpu.Event({ enableTiming: true });
  const b = new xpu.Event({ enableTiming: true });
  // A lead-in kernel keeps the engine busy while `a`, the measured kernel and `b` are appended, so the
  // host's submission gaps do not end up inside the measured interval.
  s.launch(kernel, { ...BUSY_SHAPE, args: [out, leadIn] });
  a.record(s);
  s.launch(kernel, { ...BUSY_SHAPE, args: [out, iterations] });
  b.record(s);
  await b.synchronize();
  await s.synchronize();
  return a.elapsedTime(b) * 1e6;
}

async function measure(device: number): Promise<Calibration> {
  const t0 = performance.now();
  const k = xpu.kernels(device).busy;
  if (!k) throw new Error('the bundled kernels have no `busy` kernel');
  const out = busyOutput(device);
  try {
    await timeOnce(device, k, out, 1000); // warm-up (module, command list creation)
    const lo = 20_000;
    let hi = 400_000;
    // Lead-in of about 1 ms once the rough speed is known (hi iterations take ~1 ms on current GPUs).
    const leadIn = hi;
    const minOf = async (it: number): Promise<number> => {
      let best = Infinity;
      for (let r = 0; r < 3; r++) best = Math.min(best, await timeOnce(device, k, out, it, leadIn));
      return best;
    };
    const nsLo = await minOf(lo);
    let nsHi = await minOf(hi);
    // Fast devices: make the long point at least ~1 ms so that the slope is well above timer noise.
    if (nsHi < 1e6 && nsHi > nsLo) {
      const per = (nsHi - nsLo) / (hi - lo);
      hi = Math.min(MAX_ITERATIONS, Math.round(hi * Math.max(2, 1.5e6 / Math.max(nsHi, 1))));
      if (per > 0) nsHi = await minOf(hi);
    }
    let nsPerIteration = (nsHi - nsLo) / (hi - lo);
    if (!(nsPerIteration > 0)) nsPerIteration = nsHi / hi; // noise swamped the slope: proportional fit
    const fixedNs = Math.max(0, nsLo - nsPerIteration * lo);
    return {
      device,
      nsPerIteration,
      fixedNs,
      points: [
        { iterations: lo, ns: nsLo },
        { iterations: hi, ns: nsHi },
      ],
      measuredAt: Date.now(),
      tookMs: performance.now() - t0,
    };
  } finally {
    out.free();
  }
}

/** The device's calibration, measured on first use and cached (a failed measurement is not cached). */
export function calibrate(device: number): Promise<Calibration> {
  const key = cacheKey(device);
  let hit = cache.get(key);
  if (!hit) {
    hit = measure(device);
    cache.set(key, hit);
    hit.catch(() => cache.delete(key));
  }
  return hit;
}

/** The cached calibration, if this device was calibrated already. */
export async function cachedCalibration(device: number): Promise<Calibration | undefined> {
  const hit = cache.get(cacheKey(device));
  return hit ? hit.catch(() => undefined) : undefined;
}

/** Forget every calibration (tests; after a driver change). */
export function clearCalibrations(): void {
  cache.clear();
}

/** Iterations that make one busy kernel last `ns` on the calibrated device (at least 1). */
export function iterationsFor(cal: Calibration, ns: number): number {
  const it = Math.round((ns - cal.fixedNs) / cal.nsPerIteration);
  return Math.min(MAX_ITERATIONS, Math.max(1, it));
}
