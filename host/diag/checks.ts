// The diagnostic checks. Level 1: software (loader, drivers, environment, device nodes); level 2:
// functional, per device (runtime's public API: streams, alloc, kernels, events); level 3:
// performance, per device, against expectations derived from the device's own properties — an
// unknown SKU gets a warning with numbers, never a blind failure.
import { createHash } from 'node:crypto';
import { formatBytes } from '../../protocol/format.js';
import { readFileSync, statSync } from 'node:fs';
import { xpu, ZeError, type DeviceProperties, type Stream, type XpuBuffer } from '../../runtime/index.js';
import { enumerate } from '../../runtime/core.js';
import { deviceRuntime, globalTimestamps } from '../../runtime/device-runtime.js';
import {
  INTEL_GPU_DRIVER_LIB,
  findIntelGpuDriver,
  renderNodes,
  simDriverPath,
} from '../../runtime/driver.js';
import { kernelsPath } from '../../runtime/kernels.js';
import { L, struct } from '../../runtime/ze/layouts.js';
import { loadZe, loaderLibraryName, loaderVersions } from '../../runtime/ze/lib.js';
import { driverExtensions } from './loader-probe.js';
import { outcome, type CheckContext, type CheckDef, type Outcome } from './registry.js';
import { mulberry32 as prng } from '../../runtime/prng.js';

// ---- shared helpers ----

const NO_DRIVER_HINT =
  "Install Intel's GPU compute runtime (Debian/Ubuntu: sudo apt-get install libze-intel-gpu1, or " +
  'intel-level-zero-gpu on older releases; see https://dgpu-docs.intel.com), or run with --driver sim ' +
  'to use the simulated GPU.';
const RENDER_GROUP_HINT =
  'Add your user to the render group (sudo usermod -aG render $USER), then log out and in again.';
const DEVICE_LOST_HINT =
  'The GPU hung or was reset (device lost): check `sudo dmesg | grep -iE "i915|xe|gpu hang"`, update the ' +
  'kernel driver and compute runtime, then reboot (or reload the driver) before testing again.';
const OOM_HINT =
  'The device ran out of memory: close other GPU users (xpu-smi / intel_gpu_top), check the device memory size ' +
  'in `xpuscope info`, and on integrated GPUs the memory the OS lends to the GPU.';

const MiB = 1 << 20;

function errorText(err: unknown): string {
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

function failed(err: unknown, expected: string, source: string, fallbackHint: string): Outcome {
  return outcome('fail', `error: ${shortError(err)}`, expected, source, {
    message: errorText(err),
    hint: hintFor(err, fallbackHint),
  });
}

function gbps(bytes: number, ms: number): number {
  return ms > 0 ? bytes / (ms * 1e6) : Infinity;
}

function fmtGBs(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(v < 10 ? 2 : 1)} GB/s` : '∞ GB/s';
}

function pattern(bytes: number, seed: number): Buffer {
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

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex').slice(0, 16);
}

function props(ctx: CheckContext): DeviceProperties {
  return xpu.getDeviceProperties(ctx.device);
}

/** Frees every buffer at the end, even when a check throws. */
class Buffers {
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
function engineStreams(p: DeviceProperties, device: number): { name: string; stream: Stream }[] {
  const out = [{ name: 'compute', stream: new xpu.Stream({ device }) }];
  if (hasCopyEngine(p)) out.push({ name: 'copy', stream: new xpu.Stream({ device, engine: 'copy' }) });
  return out;
}

/** Busy-kernel iterations for about `ms` milliseconds (4 cycles per dependent FMA at coreClockRate). */
function busyIterations(p: DeviceProperties, ms: number): number {
  const mhz = p.coreClockRate > 0 ? p.coreClockRate : 1000;
  return Math.max(1, Math.min(0xffffffff, Math.round((ms * 1e-3 * mhz * 1e6) / 4)));
}

// ---- level 1: software ----

const loader: CheckDef = {
  id: 'l1.loader',
  title: 'Level Zero loader',
  level: 1,
  scope: 'system',
  measures:
    'the loader library (libze_loader.so.1) loads, has the entry points xpuscope needs, and its version (zelLoaderGetVersions)',
  run() {
    const source =
      'Level Zero loader 1.8 API (runtime/ze/lib.ts required entry points); Debian 12 ships 1.8.12';
    let ze;
    try {
      ze = loadZe();
    } catch (err) {
      return outcome('fail', `not loaded: ${errorText(err)}`, 'loads, version ≥ 1.8', source, {
        message: `cannot load ${loaderLibraryName()}`,
        hint: 'Install the Level Zero loader: sudo apt-get install libze1 (or level-zero from Intel), or point XPUSCOPE_ZE_LOADER at it.',
      });
    }
    const versions = loaderVersions(ze);
    const v = versions.loader;
    const details = { library: ze.library, versions, missingOptional: ze.missing };
    if (!v) {
      return outcome('warn', `${ze.library} loaded, version unknown`, 'loads, version ≥ 1.8', source, {
        message: ze.optional.zelLoaderGetVersions
          ? 'zelLoaderGetVersions reported no loader version (this loader answers only after a driver initialised)'
          : 'zelLoaderGetVersions is not exported by this loader (older than 1.4?)',
        hint: 'Update the Level Zero loader (libze1 / level-zero package).',
        details,
      });
    }
    const [maj = 0, min = 0] = v.split('.').map(Number);
    const ok = maj > 1 || (maj === 1 && min >= 8);
    return outcome(ok ? 'pass' : 'warn', `${ze.library} ${v}`, 'loads, version ≥ 1.8', source, {
      ...(ok
        ? {}
        : {
            message: `loader ${v} is older than 1.8`,
            hint: 'Update the Level Zero loader (libze1 / level-zero package).',
          }),
      details,
    });
  },
};

const DISCOVERY_VARS = [
  'ZE_ENABLE_ALT_DRIVERS',
  'ZE_AFFINITY_MASK',
  'ZE_FLAT_DEVICE_HIERARCHY',
  'ZES_ENABLE_SYSMAN',
  'ZE_ENABLE_LOADER_DEBUG_TRACE',
  'ZE_ENABLE_VALIDATION_LAYER',
  'XPUSCOPE_DRIVER',
  'XPUSCOPE_ZE_LOADER',
  'XPUSCOPE_SIM_DRIVER',
  'XPUSIM_PROFILE',
  'XPUSIM_FAULTS',
] as const;

const environment: CheckDef = {
  id: 'l1.env',
  title: 'Discovery environment',
  level: 1,
  scope: 'system',
  measures:
    'environment variables that steer driver and device discovery (ZE_ENABLE_ALT_DRIVERS, ZE_AFFINITY_MASK, ZE_FLAT_DEVICE_HIERARCHY, …)',
  run(ctx) {
    const set: Record<string, string> = {};
    for (const k of DISCOVERY_VARS) {
      const v = ctx.env[k];
      if (v !== undefined && v !== '') set[k] = v;
    }
    const notes: string[] = [];
    const choice = ctx.list.driver;
    const alt = set.ZE_ENABLE_ALT_DRIVERS;
    if (alt !== undefined && !(choice.mode === 'sim' && alt === choice.simDriverPath)) {
      notes.push(`ZE_ENABLE_ALT_DRIVERS=${alt} replaces the drivers the loader would find`);
    }
    if (set.ZE_AFFINITY_MASK !== undefined)
      notes.push(`ZE_AFFINITY_MASK=${set.ZE_AFFINITY_MASK} hides the devices it does not list`);
    const h = set.ZE_FLAT_DEVICE_HIERARCHY;
    if (h !== undefined && !['FLAT', 'COMPOSITE', 'COMBINED'].includes(h)) {
      notes.push(`ZE_FLAT_DEVICE_HIERARCHY=${h} is not FLAT, COMPOSITE or COMBINED (ignored by the driver)`);
    }
    if (set.XPUSIM_FAULTS !== undefined)
      notes.push(`XPUSIM_FAULTS=${set.XPUSIM_FAULTS} injects failures into the simulator`);
    const measured =
      Object.keys(set).length === 0
        ? 'none set'
        : Object.entries(set)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ');
    const expected = 'no variable that hides or replaces drivers/devices';
    const source =
      'Level Zero loader and driver documentation (ZE_ENABLE_ALT_DRIVERS, ZE_AFFINITY_MASK, ZE_FLAT_DEVICE_HIERARCHY)';
    if (notes.length > 0) {
      return outcome('warn', measured, expected, source, {
        message: notes.join('; '),
        hint: 'Unset these variables unless you meant to restrict or replace the drivers/devices under test.',
        details: { variables: set },
      });
    }
    return outcome('pass', measured, expected, source, {
      details: { variables: set },
      ...(alt !== undefined
        ? {
            message:
              'ZE_ENABLE_ALT_DRIVERS points at the simulated driver (set by xpuscope for --driver sim)',
          }
        : {}),
    });
  },
};

const driverLibs: CheckDef = {
  id: 'l1.driver-libs',
  title: 'Driver libraries',
  level: 1,
  scope: 'system',
  measures: `which Level Zero driver libraries are installed (${INTEL_GPU_DRIVER_LIB}, the simulated driver)`,
  run(ctx) {
    const intel = findIntelGpuDriver();
    const choice = ctx.list.driver;
    const sim = simDriverPath();
    let simOk: boolean;
    try {
      simOk = statSync(sim).isFile();
    } catch {
      simOk = false;
    }
    const details = { intelGpu: intel ?? null, simulated: simOk ? sim : null };
    const found = [intel, simOk ? sim : undefined].filter((x): x is string => x !== undefined);
    const measured = found.length === 0 ? 'none found' : found.join(', ');
    const source =
      'Intel compute runtime packaging (libze-intel-gpu1 / intel-level-zero-gpu); xpuscope native/build';
    if (choice.mode === 'sim' && choice.requested === 'auto') {
      // `--driver auto` fell back to the simulator: for a QA run on a real machine that is a failure.
      return outcome('fail', measured, `${INTEL_GPU_DRIVER_LIB} installed (--driver auto)`, source, {
        message: `${choice.reason} The remaining checks test the simulated driver, not a GPU.`,
        hint: `${NO_DRIVER_HINT} Pass --driver sim to test the simulator on purpose, --driver system to test only the installed drivers.`,
        details,
      });
    }
    if (choice.mode === 'sim') {
      return outcome(simOk ? 'pass' : 'fail', measured, 'the simulated driver (--driver sim)', source, {
        details,
        ...(simOk
          ? intel
            ? {}
            : { message: `no ${INTEL_GPU_DRIVER_LIB}: only the simulated GPU is available` }
          : {
              message: `${sim} is missing`,
              hint: 'Build it: npm run build:native (or set XPUSCOPE_SIM_DRIVER).',
            }),
      });
    }
    if (!intel) {
      return outcome('fail', measured, `${INTEL_GPU_DRIVER_LIB} installed`, source, {
        message: `no Intel GPU driver (${INTEL_GPU_DRIVER_LIB}) found in the ld.so cache, LD_LIBRARY_PATH or the standard library directories`,
        hint: NO_DRIVER_HINT,
        details,
      });
    }
    return outcome('pass', measured, `${INTEL_GPU_DRIVER_LIB} installed`, source, { details });
  },
};

function renderGroupGid(): number | undefined {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [name, , gid] = line.split(':');
      if (name === 'render' && gid !== undefined) return Number(gid);
    }
  } catch {
    // no /etc/group
  }
  return undefined;
}

const renderNodesCheck: CheckDef = {
  id: 'l1.render-nodes',
  title: 'GPU device nodes (/dev/dri/renderD*)',
  level: 1,
  scope: 'system',
  measures: 'on Linux, the /dev/dri/renderD* nodes and whether this user may open them (render group)',
  run(ctx) {
    const expected = 'at least one node, read-write for this user';
    const source =
      'i915/xe kernel drivers create /dev/dri/renderD128+; Intel GPU docs: users need the render group';
    if (process.platform !== 'linux') {
      return outcome('skip', '-', expected, source, {
        message: `not Linux (${process.platform})`,
        hint: 'Nothing to check on this platform.',
      });
    }
    const nodes = renderNodes();
    const gid = renderGroupGid();
    const groups = typeof process.getgroups === 'function' ? process.getgroups() : [];
    const inRender = gid !== undefined && groups.includes(gid);
    const details = { nodes, renderGroupGid: gid ?? null, userInRenderGroup: inRender };
    const sim = ctx.list.driver.mode === 'sim';
    if (nodes.length === 0) {
      const message =
        'no /dev/dri/renderD* node: the kernel has no GPU driver bound (or this is a container without the device)';
      return outcome(sim ? 'warn' : 'fail', 'no render nodes', expected, source, {
        message: sim ? `${message}; fine for the simulated driver, a real GPU needs one` : message,
        hint: 'Check that the i915 or xe kernel module is loaded (lsmod, dmesg); in a container pass --device /dev/dri.',
        details,
      });
    }
    const blocked = nodes.filter((n) => !n.accessible);
    const measured = `${nodes.length} node(s), ${nodes.length - blocked.length} accessible${gid !== undefined ? `; ${inRender ? 'in' : 'not in'} render group` : ''}`;
    if (blocked.length === nodes.length) {
      return outcome(sim ? 'warn' : 'fail', measured, expected, source, {
        message: `${blocked.map((n) => n.path).join(', ')} cannot be opened read-write by this user`,
        hint: RENDER_GROUP_HINT,
        details,
      });
    }
    if (blocked.length > 0) {
      return outcome('warn', measured, expected, source, {
        message: `${blocked.map((n) => n.path).join(', ')} cannot be opened by this user`,
        hint: RENDER_GROUP_HINT,
        details,
      });
    }
    return outcome('pass', measured, expected, source, { details });
  },
};

const drivers: CheckDef = {
  id: 'l1.drivers',
  title: 'Drivers initialise (zeInit) and report GPUs',
  level: 1,
  scope: 'system',
  measures: 'zeInit succeeds, the loader reports at least one driver and one GPU device',
  run(ctx) {
    const expected = '≥ 1 driver, ≥ 1 GPU device';
    const source = 'Level Zero spec: zeInit / zeDriverGet / zeDeviceGet';
    const list = ctx.list;
    if (list.devices.length === 0) {
      const p = list.problem;
      return outcome('fail', p ? p.title : 'no device', expected, source, {
        message: p ? `${p.title}: ${p.detail}` : 'no GPU device',
        hint: p?.hint ?? NO_DRIVER_HINT,
        details: { problem: p ?? null },
      });
    }
    let driverCount: number;
    try {
      driverCount = enumerate().drivers.length;
    } catch {
      driverCount = 0;
    }
    const measured = `${driverCount} driver(s), ${list.devices.length} GPU(s)${list.driver.simulated ? ' (simulated)' : ''}`;
    return outcome('pass', measured, expected, source, {
      value: list.devices.length,
      unit: 'devices',
      details: {
        devices: list.devices.map((d) => ({ index: d.index, name: d.name, driverVersion: d.driverVersion })),
      },
      ...(list.driver.simulated ? { message: 'these are simulated devices, not real GPUs' } : {}),
    });
  },
};

const apiVersion: CheckDef = {
  id: 'l1.api-version',
  title: 'Driver API version and extensions',
  level: 1,
  scope: 'system',
  measures:
    'each driver’s Level Zero API version (zeDriverGetApiVersion) and extensions (zeDriverGetExtensionProperties)',
  run() {
    const expected = 'API ≥ 1.2 for every driver';
    const source =
      'xpuscope needs zeDeviceGetGlobalTimestamps (1.1) and DEVICE_PROPERTIES_1_2 timer frequency (1.2) for profiling';
    let en;
    try {
      en = enumerate();
    } catch (err) {
      return outcome('skip', '-', expected, source, {
        message: `no driver to ask (${errorText(err)})`,
        hint: 'Fix the l1.drivers check first.',
      });
    }
    const per = en.drivers.map((d, i) => {
      const ext = driverExtensions(en.ze, d.handle);
      return { driver: i, apiVersion: d.apiVersion, extensions: ext ?? null };
    });
    const old = per.filter((d) => {
      const [maj = 0, min = 0] = d.apiVersion.split('.').map(Number);
      return maj < 1 || (maj === 1 && min < 2);
    });
    const measured = per
      .map(
        (d) =>
          `driver ${d.driver}: API ${d.apiVersion}, ${d.extensions ? `${d.extensions.length} extension(s)` : 'extensions unknown'}`,
      )
      .join('; ');
    if (old.length > 0) {
      return outcome('warn', measured, expected, source, {
        message: `driver(s) ${old.map((d) => d.driver).join(', ')} implement an API older than 1.2: timestamps and profiling may be unavailable`,
        hint: 'Update the Intel compute runtime.',
        details: { drivers: per },
      });
    }
    return outcome('pass', measured, expected, source, { details: { drivers: per } });
  },
};

// ---- level 2: functional, per device ----

const properties: CheckDef = {
  id: 'l2.properties',
  title: 'Device properties are sane',
  level: 2,
  scope: 'device',
  measures:
    'name, vendor, EU count, work-group limits, memory sizes, engines and timer are present and consistent',
  run(ctx) {
    const expected =
      'non-empty name; vendor 0x8086; EUs, clock, work-group size > 0; maxMemAllocSize ≤ totalMemory; a compute engine; a timer';
    const source =
      'Level Zero spec (zeDeviceGetProperties, zeDeviceGetComputeProperties, zeDeviceGetMemoryProperties)';
    let p: DeviceProperties;
    try {
      p = props(ctx);
    } catch (err) {
      return failed(err, expected, source, 'Report the device and driver versions to the driver vendor.');
    }
    const bad: string[] = [];
    const odd: string[] = [];
    if (!p.name.trim()) bad.push('empty name');
    if (p.vendorId !== 0x8086) odd.push(`vendor 0x${p.vendorId.toString(16)} is not Intel`);
    if (!(p.gpuEuCount > 0)) bad.push('EU count is 0');
    if (!(p.coreClockRate > 0)) bad.push('core clock is 0');
    if (!(p.maxWorkGroupSize > 0)) bad.push('maxWorkGroupSize is 0');
    if (p.subGroupSizes.length === 0) bad.push('no sub-group sizes');
    if (p.totalMemory === undefined || !(p.totalMemory > 0)) bad.push('no device memory reported');
    else if (p.maxMemAllocSize > p.totalMemory)
      bad.push(
        `maxMemAllocSize ${formatBytes(p.maxMemAllocSize)} exceeds totalMemory ${formatBytes(p.totalMemory)}`,
      );
    if (!(p.maxMemAllocSize > 0)) bad.push('maxMemAllocSize is 0');
    if (!p.engines.some((g) => g.flags & 1)) bad.push('no compute engine');
    if (p.timerFrequency === undefined) odd.push('no timer frequency (DEVICE_PROPERTIES_1_2)');
    if (!(p.timestampValidBits > 0) || p.timestampValidBits > 64)
      bad.push(`timestampValidBits ${p.timestampValidBits}`);
    if (!(p.kernelTimestampValidBits > 0) || p.kernelTimestampValidBits > 64)
      bad.push(`kernelTimestampValidBits ${p.kernelTimestampValidBits}`);
    const measured = `${p.name}: ${p.gpuEuCount} EUs @ ${p.coreClockRate} MHz, ${p.totalMemory !== undefined ? formatBytes(p.totalMemory) : '? memory'}, ${p.engines.length} engine group(s)`;
    const details = { unavailable: p.unavailable };
    if (bad.length > 0) {
      return outcome('fail', measured, expected, source, {
        message: bad.concat(odd).join('; '),
        hint: 'The driver reports impossible properties: update the compute runtime and report it to Intel with `xpuscope info --json`.',
        details,
      });
    }
    if (odd.length > 0) {
      return outcome('warn', measured, expected, source, {
        message: odd.join('; '),
        hint: 'Check that this is the GPU you meant to test (ZE_AFFINITY_MASK) and that the driver is current.',
        details,
      });
    }
    return outcome('pass', measured, expected, source, { details });
  },
};

const engines: CheckDef = {
  id: 'l2.engines',
  title: 'Context and immediate command list on every engine',
  level: 2,
  scope: 'device',
  measures:
    'a new context, and an immediate command list on every queue of every engine group (zeCommandListCreateImmediate)',
  run(ctx) {
    const expected = 'every (ordinal, index) of zeDeviceGetCommandQueueGroupProperties accepts a list';
    const source = 'Level Zero spec: numQueues per command queue group';
    let dr;
    try {
      dr = deviceRuntime(ctx.device);
    } catch (err) {
      return failed(err, expected, source, NO_DRIVER_HINT);
    }
    const ze = dr.ze;
    const out = new BigUint64Array(1);
    const r = ze.fn.zeContextCreate(dr.rec.driver.handle, struct(L.ze_context_desc_t).buf, out) as number;
    if (r !== 0)
      return failed(new ZeError('zeContextCreate', r), expected, source, 'Update the compute runtime.');
    const context = out[0] ?? 0n;
    const failures: string[] = [];
    const perGroup: Record<string, string> = {};
    let ok = 0;
    let total = 0;
    try {
      for (const g of dr.engines) {
        let good = 0;
        for (let index = 0; index < g.numQueues; index++) {
          total++;
          const desc = struct(L.ze_command_queue_desc_t, { ordinal: g.ordinal, index, mode: 2 });
          const list = new BigUint64Array(1);
          const rc = ze.fn.zeCommandListCreateImmediate(context, dr.rec.handle, desc.buf, list) as number;
          if (rc !== 0) {
            failures.push(
              `ordinal ${g.ordinal} (${g.kind}) index ${index}: ${new ZeError('zeCommandListCreateImmediate', rc).resultName}`,
            );
            continue;
          }
          good++;
          ok++;
          ze.fn.zeCommandListDestroy(list[0] ?? 0n);
        }
        perGroup[`${g.ordinal}:${g.kind}`] = `${good}/${g.numQueues}`;
      }
    } finally {
      ze.fn.zeContextDestroy(context);
    }
    const measured = `${ok}/${total} queues: ${Object.entries(perGroup)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`;
    if (failures.length > 0) {
      return outcome('fail', measured, expected, source, {
        message: failures.join('; '),
        hint: 'An engine refuses work: check dmesg for GPU errors and update the kernel driver and compute runtime.',
        details: { groups: perGroup },
      });
    }
    return outcome('pass', measured, expected, source, {
      value: ok,
      unit: 'queues',
      details: { groups: perGroup },
    });
  },
};

const allocation: CheckDef = {
  id: 'l2.alloc',
  title: 'Memory allocation of each kind',
  level: 2,
  scope: 'device',
  measures:
    'device, host and shared allocations (zeMemAlloc*) succeed; host/shared memory reads back what was written',
  async run(ctx) {
    const expected = 'device, host and shared allocations of 4 MiB succeed; host/shared read back equal';
    const source = 'Level Zero spec: USM allocations (zeMemAllocDevice/Host/Shared)';
    const bufs = new Buffers();
    const kinds: Record<string, string> = {};
    try {
      for (const kind of ['device', 'host', 'shared'] as const) {
        const b = bufs.alloc(4 * MiB, kind, ctx.device);
        if (kind !== 'device') {
          const data = pattern(4 * MiB, 7);
          b.write(data);
          if (!b.read().equals(data)) {
            return outcome('fail', `${kind} memory read back differs`, expected, source, {
              hint: 'Host-visible memory is corrupted: update the driver, check dmesg; report it with `xpuscope info --json`.',
              details: { kinds },
            });
          }
        }
        kinds[kind] = 'ok';
      }
    } catch (err) {
      return failed(err, expected, source, 'Allocation failed: update the compute runtime and check dmesg.');
    } finally {
      bufs.free();
    }
    return outcome('pass', 'device, host, shared: ok', expected, source, { details: { kinds } });
  },
};

const copies: CheckDef = {
  id: 'l2.copy',
  title: 'Copy correctness host→device→device→host',
  level: 2,
  scope: 'device',
  measures:
    'an 8 MiB pattern copied H→D→D→H on the compute and the copy engine comes back with the same checksum',
  async run(ctx) {
    const expected = 'SHA-256 of the result equals the source, on every engine';
    const source = 'a copy must be exact';
    const bytes = 8 * MiB;
    const bufs = new Buffers();
    const per: Record<string, string> = {};
    try {
      const p = props(ctx);
      const src = pattern(bytes, 0xc0ffee + ctx.device);
      const want = sha256(src);
      for (const { name, stream } of engineStreams(p, ctx.device)) {
        const a = bufs.alloc(bytes, 'host', ctx.device);
        const b = bufs.alloc(bytes, 'device', ctx.device);
        const c = bufs.alloc(bytes, 'device', ctx.device);
        const d = bufs.alloc(bytes, 'host', ctx.device);
        a.write(src);
        d.write(Buffer.alloc(bytes));
        stream.copy(b, a);
        stream.copy(c, b);
        stream.copy(d, c);
        await stream.synchronize();
        const got = sha256(d.read());
        per[name] = got;
        if (got !== want) {
          return outcome('fail', `${name} engine: checksum ${got}, expected ${want}`, expected, source, {
            message: `data copied on the ${name} engine came back different`,
            hint: 'Copies corrupt data: check dmesg for GPU errors, update the driver and firmware; try another PCIe slot.',
            details: { checksums: per, expected: want },
          });
        }
      }
      return outcome(
        'pass',
        `${Object.keys(per).join(' + ')} engine(s): checksum ${want}`,
        expected,
        source,
        {
          details: { checksums: per, bytes },
        },
      );
    } catch (err) {
      return failed(err, expected, source, 'Copies fail: check dmesg for GPU errors, update the driver.');
    } finally {
      bufs.free();
    }
  },
};

const EXPECTED_KERNELS = ['busy', 'saxpy', 'fill_u32', 'checksum_u32', 'copy_u32'];

const kernelBuild: CheckDef = {
  id: 'l2.kernel-build',
  title: 'Kernel module build (SPIR-V)',
  level: 2,
  scope: 'device',
  measures: "xpuscope's SPIR-V module builds with zeModuleCreate and exposes its kernels",
  run(ctx) {
    const expected = `module builds; kernels ${EXPECTED_KERNELS.join(', ')}`;
    const source = `${kernelsPath()} (native/kernels/xpuscope.cl)`;
    try {
      const t0 = performance.now();
      const k = xpu.kernels(ctx.device);
      const ms = performance.now() - t0;
      const missing = EXPECTED_KERNELS.filter((n) => !(n in k));
      if (missing.length > 0) {
        return outcome('fail', `built; missing ${missing.join(', ')}`, expected, source, {
          hint: 'The SPIR-V module is incomplete: rebuild it (npm run build:native) or reinstall xpuscope.',
        });
      }
      return outcome(
        'pass',
        `built in ${ms.toFixed(1)} ms, ${Object.keys(k).length} kernels`,
        expected,
        source,
        {
          value: ms,
          unit: 'ms',
        },
      );
    } catch (err) {
      return failed(
        err,
        expected,
        source,
        'The driver cannot build SPIR-V modules: update the compute runtime (IGC), check that the SPIR-V file exists (npm run build:native).',
      );
    }
  },
};

const saxpy: CheckDef = {
  id: 'l2.saxpy',
  title: 'Kernel launch and result (saxpy)',
  level: 2,
  scope: 'device',
  measures: 'y = a·x + y on 64 Ki floats computed on the device equals the host result',
  async run(ctx) {
    const expected = 'every element within 1e-6 relative of the host result';
    const source = 'IEEE-754 single precision (fma on the device, exact inputs)';
    const n = 1 << 16;
    const bytes = n * 4;
    const a = 2.5;
    const bufs = new Buffers();
    try {
      const p = props(ctx);
      const k = xpu.kernels(ctx.device).saxpy;
      if (!k)
        return outcome('fail', 'saxpy kernel missing', expected, source, {
          hint: 'Rebuild the kernels: npm run build:native.',
        });
      const x = new Float32Array(n);
      const y = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        x[i] = (i % 1000) * 0.25;
        y[i] = 1 + (i % 7);
      }
      const s = new xpu.Stream({ device: ctx.device });
      const hx = bufs.alloc(bytes, 'host', ctx.device);
      const hy = bufs.alloc(bytes, 'host', ctx.device);
      const dx = bufs.alloc(bytes, 'device', ctx.device);
      const dy = bufs.alloc(bytes, 'device', ctx.device);
      hx.write(x);
      hy.write(y);
      s.copy(dx, hx);
      s.copy(dy, hy);
      const groupSize = Math.min(256, p.maxWorkGroupSize);
      s.launch(k, { groups: Math.ceil(n / groupSize), groupSize, args: [dy, dx, { f32: a }] });
      s.copy(hy, dy);
      await s.synchronize();
      const out = hy.read();
      let bad = 0;
      let first = -1;
      for (let i = 0; i < n; i++) {
        const want = Math.fround(a * (x[i] ?? 0) + (y[i] ?? 0));
        const got = out.readFloatLE(i * 4);
        if (!(Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want)))) {
          bad++;
          if (first < 0) first = i;
        }
      }
      if (bad > 0) {
        const i = first;
        return outcome(
          'fail',
          `${bad}/${n} elements wrong (first: [${i}] = ${out.readFloatLE(i * 4)})`,
          expected,
          source,
          {
            value: bad,
            unit: 'elements',
            hint: 'Kernels compute wrong results: update the compute runtime and GPU firmware; report with `xpuscope info --json`.',
          },
        );
      }
      return outcome('pass', `${n}/${n} elements correct`, expected, source, {
        value: 0,
        unit: 'wrong elements',
      });
    } catch (err) {
      return failed(err, expected, source, 'Kernel launches fail: update the compute runtime, check dmesg.');
    } finally {
      bufs.free();
    }
  },
};

const timestamps: CheckDef = {
  id: 'l2.timestamps',
  title: 'Timestamps monotonic and consistent with the host clock',
  level: 2,
  scope: 'device',
  measures:
    'zeDeviceGetGlobalTimestamps is monotonic; device ticks / timer frequency track the host clock over 100 ms; event timing of a ~10 ms kernel fits in the host-measured time',
  async run(ctx) {
    const expected = 'monotonic; device/host rate within ±1 %; kernel event time ≤ host time';
    const source =
      'timerResolution (DEVICE_PROPERTIES_1_2) from the device properties; CLOCK_MONOTONIC_RAW on the host';
    const bufs = new Buffers();
    try {
      const p = props(ctx);
      const dr = deviceRuntime(ctx.device);
      if (!dr.timer || p.timerFrequency === undefined) {
        return outcome('fail', 'no timer frequency', expected, source, {
          hint: 'The driver does not report a timer (API < 1.2?): update the compute runtime.',
        });
      }
      const mask = dr.timer.globalMask;
      let prev = globalTimestamps(dr);
      for (let i = 0; i < 20; i++) {
        const cur = globalTimestamps(dr);
        const dticks = (cur[1] - prev[1]) & mask;
        if (cur[0] < prev[0] || dticks > mask >> 1n) {
          return outcome(
            'fail',
            `sample ${i}: went backwards (host ${cur[0] - prev[0]} ns, device ${cur[1] - prev[1]} ticks)`,
            expected,
            source,
            {
              hint: 'The GPU timestamp counter is not monotonic: update the compute runtime and firmware.',
            },
          );
        }
        prev = cur;
      }
      const g0 = globalTimestamps(dr);
      await new Promise((r) => setTimeout(r, 100));
      const g1 = globalTimestamps(dr);
      const hostNs = Number(g1[0] - g0[0]);
      const devNs = (Number((g1[1] - g0[1]) & mask) * 1e9) / dr.timer.frequency;
      const ratio = devNs / hostNs;
      const details: Record<string, unknown> = {
        hostNs,
        deviceNs: Math.round(devNs),
        ratio,
        frequency: dr.timer.frequency,
      };
      if (!(Math.abs(ratio - 1) <= 0.01)) {
        return outcome('fail', `device/host rate ${ratio.toFixed(4)}`, expected, source, {
          value: ratio,
          details,
          hint: 'The device timer does not run at the frequency it reports: profiles will show wrong durations. Update the compute runtime.',
        });
      }
      // Event timing of a ~10 ms kernel must fit inside the host-measured interval.
      const k = xpu.kernels(ctx.device).busy;
      if (k) {
        const s = new xpu.Stream({ device: ctx.device });
        const out = bufs.alloc(64 * 4, 'device', ctx.device);
        const e0 = new xpu.Event({ enableTiming: true });
        const e1 = new xpu.Event({ enableTiming: true });
        const t0 = performance.now();
        e0.record(s);
        s.launch(k, {
          groups: 1,
          groupSize: Math.min(64, p.maxWorkGroupSize),
          args: [out, { u32: busyIterations(p, 10) }],
        });
        e1.record(s);
        await s.synchronize();
        const host = performance.now() - t0;
        const ev = e0.elapsedTime(e1);
        details.kernelEventMs = ev;
        details.kernelHostMs = host;
        if (!(ev >= 0) || ev > host + 1) {
          return outcome(
            'fail',
            `event time ${ev.toFixed(3)} ms vs host ${host.toFixed(3)} ms`,
            expected,
            source,
            {
              details,
              hint: 'Kernel timestamps disagree with the host clock: update the compute runtime.',
            },
          );
        }
      }
      return outcome(
        'pass',
        `monotonic; rate ${ratio.toFixed(5)}${details.kernelEventMs !== undefined ? `; kernel ${(details.kernelEventMs as number).toFixed(2)} ms (host ${(details.kernelHostMs as number).toFixed(2)} ms)` : ''}`,
        expected,
        source,
        {
          value: ratio,
          details,
        },
      );
    } catch (err) {
      return failed(err, expected, source, 'Timestamps cannot be read: update the compute runtime.');
    } finally {
      bufs.free();
    }
  },
};

const overlap: CheckDef = {
  id: 'l2.overlap',
  title: 'Streams overlap as the engine count predicts',
  level: 2,
  scope: 'device',
  measures:
    'N = queues+1 streams each run a ~40 ms kernel; the makespan must match ceil(N / compute queues) kernels (no false serialisation, no impossible overlap)',
  async run(ctx) {
    const source = 'numQueues of the compute engine group (zeDeviceGetCommandQueueGroupProperties)';
    const bufs = new Buffers();
    try {
      const p = props(ctx);
      const group = p.engines.find((g) => g.kind === 'compute') ?? p.engines.find((g) => g.flags & 1);
      const k = xpu.kernels(ctx.device).busy;
      if (!group || !k)
        return outcome('fail', 'no compute engine or busy kernel', '-', source, {
          hint: 'See l2.properties / l2.kernel-build.',
        });
      const q = Math.max(1, group.numQueues);
      // Pick streams so that every queue of the group gets one, plus one more stream.
      const byQueue = new Map<number, Stream>();
      const chosen: Stream[] = [];
      for (let i = 0; i < 64 && byQueue.size < q; i++) {
        const s = new xpu.Stream({ device: ctx.device });
        if (!byQueue.has(s.engine.index)) {
          byQueue.set(s.engine.index, s);
          chosen.push(s);
        }
      }
      chosen.push(new xpu.Stream({ device: ctx.device }));
      const load = new Map<number, number>();
      for (const s of chosen) load.set(s.engine.index, (load.get(s.engine.index) ?? 0) + 1);
      const rounds = Math.max(...load.values());
      const kernelMs = 40;
      const iters = busyIterations(p, kernelMs);
      const gs = Math.min(16, p.maxWorkGroupSize);
      const outs = chosen.map(() => bufs.alloc(gs * 4, 'device', ctx.device));
      // Warm up: create the command lists, measure one kernel alone.
      for (const [i, s] of chosen.entries())
        s.launch(k, { groups: 1, groupSize: gs, args: [outs[i], { u32: 1 }] });
      await Promise.all(chosen.map((s) => s.synchronize()));
      const solo = chosen[0] as Stream;
      const a0 = new xpu.Event({ enableTiming: true });
      const a1 = new xpu.Event({ enableTiming: true });
      a0.record(solo);
      solo.launch(k, { groups: 1, groupSize: gs, args: [outs[0], { u32: iters }] });
      a1.record(solo);
      await solo.synchronize();
      const one = a0.elapsedTime(a1);
      const starts = chosen.map(() => new xpu.Event({ enableTiming: true }));
      const ends = chosen.map(() => new xpu.Event({ enableTiming: true }));
      for (const [i, s] of chosen.entries()) starts[i]?.record(s);
      for (const [i, s] of chosen.entries()) {
        s.launch(k, { groups: 1, groupSize: gs, args: [outs[i], { u32: iters }] });
        ends[i]?.record(s);
      }
      await Promise.all(chosen.map((s) => s.synchronize()));
      const ref = starts[0] as InstanceType<typeof xpu.Event>;
      const t0 = Math.min(0, ...starts.map((e) => ref.elapsedTime(e)));
      const t1 = Math.max(...ends.map((e) => ref.elapsedTime(e)));
      const makespan = t1 - t0;
      const predicted = rounds * one;
      const ratio = makespan / predicted;
      const expected = `makespan ≈ ${rounds} × ${one.toFixed(1)} ms = ${predicted.toFixed(1)} ms (±35 %) for ${chosen.length} streams on ${q} compute queue(s)`;
      const measured = `${makespan.toFixed(1)} ms (${ratio.toFixed(2)} × predicted)`;
      const details = {
        streams: chosen.length,
        computeQueues: q,
        queueLoad: Object.fromEntries(load),
        kernelMs: one,
        makespanMs: makespan,
        predictedMs: predicted,
      };
      if (ratio > 1.35) {
        return outcome('fail', measured, expected, source, {
          value: makespan,
          unit: 'ms',
          details,
          message: 'streams on separate queues ran one after another',
          hint: 'Work on separate queues serialises: check that no other process saturates the GPU, and the driver’s engine configuration (e.g. CCS mode on Data Center GPUs).',
        });
      }
      if (ratio < 0.65) {
        return outcome('warn', measured, expected, source, {
          value: makespan,
          unit: 'ms',
          details,
          message: 'more overlap than the reported engines allow: the driver may under-report its queues',
          hint: 'Compare numQueues in `xpuscope info` with the hardware documentation.',
        });
      }
      return outcome('pass', measured, expected, source, { value: makespan, unit: 'ms', details });
    } catch (err) {
      return failed(
        err,
        'streams overlap as predicted',
        source,
        'Launches fail: update the compute runtime, check dmesg.',
      );
    } finally {
      bufs.free();
    }
  },
};

// ---- level 3: performance, per device ----

/** Peak memory bandwidth from the device's memory properties, assuming double data rate (a lower bound). */
function memoryPeakGBs(p: DeviceProperties): number | undefined {
  if (!p.memoryClockRate || !p.memoryBusWidth) return undefined;
  return (p.memoryClockRate * 1e6 * (p.memoryBusWidth / 8) * 2) / 1e9;
}

const LINK_FLOOR_GBS = 1;

async function timedCopy(
  s: Stream,
  dst: XpuBuffer,
  src: XpuBuffer,
  bytes: number,
  reps: number,
): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const e0 = new xpu.Event({ enableTiming: true });
    const e1 = new xpu.Event({ enableTiming: true });
    e0.record(s);
    s.copy(dst, src, bytes);
    e1.record(s);
    await s.synchronize();
    best = Math.min(best, e0.elapsedTime(e1));
  }
  return best;
}

const bandwidth: CheckDef = {
  id: 'l3.copy-bandwidth',
  title: 'Copy bandwidth per engine',
  level: 3,
  scope: 'device',
  measures:
    'H→D, D→H and D→D bandwidth of 64 MiB copies on the compute and copy engines (best of 3, event timing) against the memory peak from the device properties',
  async run(ctx) {
    const bufs = new Buffers();
    try {
      const p = props(ctx);
      const bytes = Math.min(64 * MiB, Math.floor(p.maxMemAllocSize / 4) || 64 * MiB);
      const peak = memoryPeakGBs(p);
      const d2dMin = peak !== undefined ? peak * 0.25 : undefined;
      const linkMin = p.isIntegratedGpu && d2dMin !== undefined ? d2dMin : LINK_FLOOR_GBS;
      const h = bufs.alloc(bytes, 'host', ctx.device);
      const d1 = bufs.alloc(bytes, 'device', ctx.device);
      const d2 = bufs.alloc(bytes, 'device', ctx.device);
      const results: Record<string, Record<string, number>> = {};
      const low: string[] = [];
      for (const { name, stream } of engineStreams(p, ctx.device)) {
        await timedCopy(stream, d1, h, bytes, 1); // warm-up
        const r = {
          h2d: gbps(bytes, await timedCopy(stream, d1, h, bytes, 3)),
          d2h: gbps(bytes, await timedCopy(stream, h, d1, bytes, 3)),
          d2d: gbps(bytes, await timedCopy(stream, d2, d1, bytes, 3)),
        };
        results[name] = r;
        if (r.h2d < linkMin) low.push(`${name} H→D ${fmtGBs(r.h2d)}`);
        if (r.d2h < linkMin) low.push(`${name} D→H ${fmtGBs(r.d2h)}`);
        if (d2dMin !== undefined && r.d2d < d2dMin) low.push(`${name} D→D ${fmtGBs(r.d2d)}`);
      }
      const measured = Object.entries(results)
        .map(
          ([e, r]) => `${e}: H→D ${fmtGBs(r.h2d ?? 0)}, D→H ${fmtGBs(r.d2h ?? 0)}, D→D ${fmtGBs(r.d2d ?? 0)}`,
        )
        .join('; ');
      const expected = `D→D ≥ ${d2dMin !== undefined ? fmtGBs(d2dMin) : '? (no memory clock/bus width)'}; H→D, D→H ≥ ${fmtGBs(linkMin)}`;
      const expectedSource =
        (peak !== undefined
          ? `25 % of ${fmtGBs(peak)} = memoryClockRate ${p.memoryClockRate} MHz × memoryBusWidth ${p.memoryBusWidth} bit × 2 (double data rate; conservative for GDDR/HBM)`
          : 'the device reports no memory clock/bus width (zeDeviceGetMemoryProperties)') +
        (p.isIntegratedGpu
          ? '; integrated GPU: host copies go through the same memory'
          : `; host link floor ${LINK_FLOOR_GBS} GB/s ≈ PCIe 3.0 x1 (Level Zero core does not report the link speed)`);
      const best = Math.max(...Object.values(results).map((r) => r.d2d ?? 0));
      const details = { bytes, results, peakGBs: peak ?? null, simulated: ctx.list.driver.simulated };
      if (low.length > 0 || d2dMin === undefined) {
        return outcome('warn', measured, expected, expectedSource, {
          value: best,
          unit: 'GB/s',
          details,
          message:
            (low.length > 0
              ? `below expectation: ${low.join(', ')}`
              : 'no expectation can be derived for D→D') +
            (ctx.list.driver.simulated ? ' (simulated device: copies run at this host’s memcpy speed)' : ''),
          hint: 'Check the PCIe link (lspci -vv: LnkSta), that no other process uses the GPU, power/thermal limits, and the driver version.',
        });
      }
      return outcome('pass', measured, expected, expectedSource, { value: best, unit: 'GB/s', details });
    } catch (err) {
      return failed(
        err,
        'copies complete',
        '-',
        'Copies fail: run level 2 (xpuscope diag --level 2) to narrow it down.',
      );
    } finally {
      bufs.free();
    }
  },
};

const LATENCY_BUDGET_US = 200;

const launchLatency: CheckDef = {
  id: 'l3.launch-latency',
  title: 'Kernel launch latency',
  level: 3,
  scope: 'device',
  measures:
    'median round trip of an empty kernel (launch → completion seen by the host) and the per-launch cost of 200 back-to-back launches',
  async run(ctx) {
    const expected = `round trip median ≤ ${LATENCY_BUDGET_US} µs`;
    const source =
      'budget: immediate command lists submit in single-digit to tens of µs (Intel oneAPI GPU optimization guide); the rest allows for the host wait path';
    const bufs = new Buffers();
    try {
      const p = props(ctx);
      const k = xpu.kernels(ctx.device).busy;
      if (!k)
        return outcome('fail', 'busy kernel missing', expected, source, {
          hint: 'Rebuild the kernels: npm run build:native.',
        });
      const s = new xpu.Stream({ device: ctx.device });
      const out = bufs.alloc(64, 'device', ctx.device);
      const launch = (): void => s.launch(k, { groups: 1, groupSize: 1, args: [out, { u32: 0 }] });
      for (let i = 0; i < 10; i++) launch();
      await s.synchronize();
      const samples: number[] = [];
      for (let i = 0; i < 50; i++) {
        const t0 = performance.now();
        launch();
        await s.synchronize();
        samples.push((performance.now() - t0) * 1000);
      }
      samples.sort((a, b) => a - b);
      const median = samples[Math.floor(samples.length / 2)] ?? 0;
      const t0 = performance.now();
      for (let i = 0; i < 200; i++) launch();
      await s.synchronize();
      const perLaunch = ((performance.now() - t0) * 1000) / 200;
      const measured = `round trip median ${median.toFixed(1)} µs (p10 ${(samples[5] ?? 0).toFixed(1)}, p90 ${(samples[45] ?? 0).toFixed(1)}); ${perLaunch.toFixed(1)} µs per back-to-back launch`;
      const details = {
        roundTripUs: { median, p10: samples[5], p90: samples[45] },
        backToBackUs: perLaunch,
        device: p.name,
      };
      if (median > LATENCY_BUDGET_US) {
        return outcome('warn', measured, expected, source, {
          value: median,
          unit: 'µs',
          details,
          message: 'launches are slower than expected',
          hint: 'Check CPU frequency scaling and load on the host, the GPU power state, and the driver version.',
        });
      }
      return outcome('pass', measured, expected, source, { value: median, unit: 'µs', details });
    } catch (err) {
      return failed(err, expected, source, 'Launches fail: run level 2 to narrow it down.');
    } finally {
      bufs.free();
    }
  },
};

/** Every check, in run order. */
export const CHECKS: readonly CheckDef[] = [
  loader,
  environment,
  driverLibs,
  renderNodesCheck,
  drivers,
  apiVersion,
  properties,
  engines,
  allocation,
  copies,
  kernelBuild,
  saxpy,
  timestamps,
  overlap,
  bandwidth,
  launchLatency,
];
