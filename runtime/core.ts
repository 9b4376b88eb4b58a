// Runtime core: loads the loader, runs zeInit with the chosen driver set, enumerates devices
// (enumerate(): no context, no queues — what deviceCount/isAvailable/listDevices need) and, on first
// real use, creates one context per driver (runtime(): what isInitialized reports).
import { existsSync } from 'node:fs';
import type { DeviceList, DeviceSummary, DriverChoice, LoaderInfo, Problem } from '../protocol/index.js';
import { DEVICES_SCHEMA } from '../protocol/devices.js';
import { applyDriverChoice, currentDriverChoice, findIntelGpuDriver, renderNodes } from './driver.js';
import { XpuError, ZE_RESULT, ZeError, check, zeResultName } from './errors.js';
import { L, Struct, STYPE, struct } from './ze/layouts.js';
import { LoaderLoadError, loadZe, loaderLibraryName, loaderVersions, type ZeLib } from './ze/lib.js';

export type Handle = bigint;

export interface DriverRecord {
  handle: Handle;
  /** zeDriverGetProperties.driverVersion (raw). */
  driverVersion: number;
  /** zeDriverGetApiVersion as "major.minor". */
  apiVersion: string;
}

export interface DeviceRecord {
  index: number;
  handle: Handle;
  driver: DriverRecord;
  props: Struct<typeof L.ze_device_properties_t>;
  name: string;
}

export interface Enumeration {
  ze: ZeLib;
  driverChoice: DriverChoice;
  drivers: DriverRecord[];
  devices: DeviceRecord[];
}

export interface Runtime extends Enumeration {
  /** One context per driver, in `drivers` order. */
  contexts: Map<DriverRecord, Handle>;
}

let enumeration: Enumeration | undefined;
let rt: Runtime | undefined;
let initializing = false;

/** `ze_api_version_t` → "major.minor". */
export function apiVersionString(v: number): string {
  return `${v >>> 16}.${v & 0xffff}`;
}

/** Level Zero driverVersion as Intel encodes it: major.minor.build (e.g. 1.3.27642). */
export function driverVersionString(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${v & 0xffff}`;
}

export function uuidString(bytes: Uint8Array): string {
  const h = Buffer.from(bytes).toString('hex').padEnd(32, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function problemError(problem: Problem, cause?: unknown): XpuError {
  return new XpuError(`${problem.title}: ${problem.detail} (${problem.hint})`, { problem, cause });
}

const NO_DRIVER_HINT =
  "install Intel's GPU compute runtime (Debian/Ubuntu: sudo apt-get install libze-intel-gpu1, " +
  'or intel-level-zero-gpu on older releases), make sure your user is in the render group and can open ' +
  '/dev/dri/renderD*, or run with --driver sim to use the simulated GPU';

function noDriverProblem(choice: DriverChoice, detail: string): Problem {
  if (choice.mode === 'sim') {
    return {
      code: 'NO_DRIVER',
      title: 'No Level Zero driver found',
      detail: `the simulated driver ${choice.simDriverPath ?? ''} did not load (${detail})`,
      hint: process.env.XPUSIM_FAULTS
        ? 'check XPUSIM_FAULTS (the simulated driver says above which entry it refused), or rebuild it with npm run build:native'
        : 'rebuild it with npm run build:native, or check XPUSIM_PROFILE names a known profile',
    };
  }
  const nodes = renderNodes();
  const blocked = nodes.filter((n) => !n.accessible);
  if (nodes.length > 0 && blocked.length === nodes.length && findIntelGpuDriver()) {
    return {
      code: 'NO_PERMISSION',
      title: 'No permission to open the GPU',
      detail: `${blocked.map((n) => n.path).join(', ')} exist but cannot be opened by this user (${detail})`,
      hint: 'sudo usermod -aG render $USER, then log out and in again',
    };
  }
  return { code: 'NO_DRIVER', title: 'No Level Zero driver found', detail, hint: NO_DRIVER_HINT };
}

function readDeviceProps(ze: ZeLib, dev: Handle): Struct<typeof L.ze_device_properties_t> {
  const props = struct(L.ze_device_properties_t);
  check('zeDeviceGetProperties', ze.fn.zeDeviceGetProperties(dev, props.buf));
  return props;
}

/** Load the loader, zeInit, enumerate drivers and GPU devices. Throws XpuError with `.problem`. */
export function enumerate(): Enumeration {
  if (enumeration) return enumeration;
  const choice = currentDriverChoice();
  let ze: ZeLib;
  try {
    ze = loadZe();
  } catch (e) {
    const lib = e instanceof LoaderLoadError ? e.library : loaderLibraryName();
    throw problemError(
      {
        code: 'NO_LOADER',
        title: 'Level Zero loader not found',
        detail: `cannot load ${lib}: ${(e as Error).message}`,
        hint: 'install libze1 (sudo apt-get install libze1)',
      },
      e,
    );
  }
  if (choice.mode === 'sim' && (!choice.simDriverPath || !existsSync(choice.simDriverPath))) {
    throw problemError({
      code: 'SIM_DRIVER_MISSING',
      title: 'Simulated driver not built',
      detail: `${choice.simDriverPath ?? 'libze_xpusim.so'} does not exist`,
      hint: 'npm run build:native (or set XPUSCOPE_SIM_DRIVER to the library)',
    });
  }
  const applied = applyDriverChoice();
  const r = ze.fn.zeInit(0) as number;
  if (r === ZE_RESULT.ERROR_UNINITIALIZED) {
    throw problemError(
      noDriverProblem(applied, `zeInit returned ${zeResultName(r)}: the loader found no usable driver`),
    );
  }
  if (r !== 0) {
    const err = new ZeError('zeInit', r);
    throw problemError(
      {
        code: 'INIT_FAILED',
        title: 'Level Zero initialization failed',
        detail: err.message,
        hint: 'check the driver installation',
      },
      err,
    );
  }
  const count = new Uint32Array(1);
  check('zeDriverGet', ze.fn.zeDriverGet(count, null));
  if (count[0] === 0) throw problemError(noDriverProblem(applied, 'zeDriverGet reported 0 drivers'));
  const dh = new BigUint64Array(count[0] ?? 0);
  check('zeDriverGet', ze.fn.zeDriverGet(count, dh));
  const drivers: DriverRecord[] = [];
  const devices: DeviceRecord[] = [];
  for (const handle of dh.subarray(0, count[0])) {
    const dp = struct(L.ze_driver_properties_t);
    check('zeDriverGetProperties', ze.fn.zeDriverGetProperties(handle, dp.buf));
    const api = new Uint32Array(1);
    check('zeDriverGetApiVersion', ze.fn.zeDriverGetApiVersion(handle, api));
    const driver: DriverRecord = {
      handle,
      driverVersion: dp.num('driverVersion'),
      apiVersion: apiVersionString(api[0] ?? 0),
    };
    drivers.push(driver);
    const n = new Uint32Array(1);
    check('zeDeviceGet', ze.fn.zeDeviceGet(handle, n, null));
    if (!n[0]) continue;
    const hs = new BigUint64Array(n[0]);
    check('zeDeviceGet', ze.fn.zeDeviceGet(handle, n, hs));
    for (const dev of hs.subarray(0, n[0])) {
      const props = readDeviceProps(ze, dev);
      if (props.num('type') !== 1) continue; // GPUs only, as torch.xpu
      devices.push({ index: devices.length, handle: dev, driver, props, name: props.str('name') });
    }
  }
  if (devices.length === 0) {
    throw problemError({
      code: 'NO_DEVICE',
      title: 'No GPU device found',
      detail: `${drivers.length} Level Zero driver(s) loaded but none reports a GPU device`,
      hint:
        applied.mode === 'sim'
          ? 'check XPUSIM_PROFILE'
          : 'check that the GPU is supported by the installed compute runtime (dmesg, clinfo)',
    });
  }
  enumeration = { ze, driverChoice: applied, drivers, devices };
  return enumeration;
}

/** Initialise the runtime (contexts). Retried on the next call after a failure. */
export function runtime(): Runtime {
  if (rt) return rt;
  if (initializing)
    throw new XpuError('XPU runtime initialization is already in progress (re-entrant call).');
  initializing = true;
  try {
    const en = enumerate();
    const contexts = new Map<DriverRecord, Handle>();
    try {
      for (const d of en.drivers) {
        const desc = struct(L.ze_context_desc_t);
        const out = new BigUint64Array(1);
        check('zeContextCreate', en.ze.fn.zeContextCreate(d.handle, desc.buf, out));
        contexts.set(d, out[0] ?? 0n);
      }
    } catch (e) {
      for (const c of contexts.values()) en.ze.fn.zeContextDestroy(c);
      throw new XpuError(`XPU runtime initialization failed: ${(e as Error).message}`, { cause: e });
    }
    rt = { ...en, contexts };
    return rt;
  } finally {
    initializing = false;
  }
}

/**
 * xpu.shutdown()'s last step: destroy the contexts and forget the runtime (the next call that needs it
 * creates new contexts; the loader, zeInit and the enumeration stay). Returns failed destroy calls.
 */
export function closeRuntime(keep: ReadonlySet<DriverRecord> = new Set()): number {
  if (!rt) return 0;
  let failed = 0;
  for (const [d, c] of rt.contexts)
    if (!keep.has(d) && (rt.ze.fn.zeContextDestroy(c) as number) !== 0) failed++;
  rt = undefined;
  return failed;
}

export function isInitialized(): boolean {
  return rt !== undefined;
}

export function contextOf(r: Runtime, d: DeviceRecord): Handle {
  const c = r.contexts.get(d.driver);
  if (c === undefined) throw new XpuError(`no context for device ${d.index}`);
  return c;
}

/** Timer frequency in ticks per second (DEVICE_PROPERTIES_1_2 stype), or undefined. */
export function timerFrequency(ze: ZeLib, dev: Handle): number | undefined {
  const p = new Struct(L.ze_device_properties_t, STYPE.DEVICE_PROPERTIES_1_2);
  if (ze.fn.zeDeviceGetProperties(dev, p.buf) !== 0) return undefined;
  const f = p.num('timerResolution');
  return f > 0 ? f : undefined;
}

function loaderInfo(): LoaderInfo {
  const library = loaderLibraryName();
  try {
    const ze = loadZe();
    const info: LoaderInfo = { library: ze.library, loaded: true };
    const v = loaderVersions(ze).loader;
    if (v) info.version = v;
    return info;
  } catch {
    return { library, loaded: false };
  }
}

function summarize(d: DeviceRecord, simulated: boolean, ze: ZeLib): DeviceSummary {
  const s: DeviceSummary = {
    index: d.index,
    name: d.name,
    type: deviceTypeName(d.props.num('type')),
    vendorId: d.props.num('vendorId'),
    deviceId: d.props.num('deviceId'),
    integrated: (d.props.num('flags') & 1) !== 0,
    simulated,
    driverVersion: driverVersionString(d.driver.driverVersion),
    apiVersion: d.driver.apiVersion,
    uuid: uuidString(d.props.bytes('uuid')),
  };
  const total = totalMemory(ze, d.handle);
  if (total !== undefined) s.totalMemory = total;
  return s;
}

export function deviceTypeName(t: number): string {
  return (
    ({ 1: 'gpu', 2: 'cpu', 3: 'fpga', 4: 'mca', 5: 'vpu' } as Record<number, string>)[t] ?? `unknown(${t})`
  );
}

/** Sum of zeDeviceGetMemoryProperties totalSize, or undefined when the driver reports none. */
export function totalMemory(ze: ZeLib, dev: Handle): number | undefined {
  const n = new Uint32Array(1);
  if (ze.fn.zeDeviceGetMemoryProperties(dev, n, null) !== 0 || !n[0]) return undefined;
  const count = n[0];
  const size = L.ze_device_memory_properties_t.size;
  const buf = Buffer.alloc(size * count);
  for (let i = 0; i < count; i++) buf.writeUInt32LE(STYPE.DEVICE_MEMORY_PROPERTIES, i * size);
  if (ze.fn.zeDeviceGetMemoryProperties(dev, n, buf) !== 0) return undefined;
  let total = 0;
  for (let i = 0; i < count; i++)
    total += Number(buf.readBigUInt64LE(i * size + L.ze_device_memory_properties_t.fields.totalSize.off));
  return total;
}

/** Never throws: the driver choice, the loader, the devices, and a problem explaining an empty list. */
export function listDevices(): DeviceList {
  let driver: DriverChoice;
  try {
    driver = currentDriverChoice();
  } catch (e) {
    return {
      schema: DEVICES_SCHEMA,
      driver: { requested: 'auto', mode: 'system', simulated: false, reason: (e as Error).message },
      loader: { library: loaderLibraryName(), loaded: false },
      devices: [],
      problem: {
        code: 'INTERNAL',
        title: 'Invalid driver choice',
        detail: (e as Error).message,
        hint: 'use --driver auto|system|sim',
      },
    };
  }
  try {
    const en = enumerate();
    return {
      schema: DEVICES_SCHEMA,
      driver: en.driverChoice,
      loader: loaderInfo(),
      devices: en.devices.map((d) => summarize(d, en.driverChoice.simulated, en.ze)),
    };
  } catch (e) {
    const problem: Problem =
      e instanceof XpuError && e.problem
        ? e.problem
        : {
            code: 'INTERNAL',
            title: 'Device enumeration failed',
            detail: (e as Error).message ?? String(e),
            hint: 'report this as a bug',
          };
    return { schema: DEVICES_SCHEMA, driver, loader: loaderInfo(), devices: [], problem };
  }
}
