// Level 1 diagnostics: software — the loader, the discovery environment, driver libraries, device
// nodes, driver initialisation and API versions. System-wide: each runs once.
import { readFileSync, statSync } from 'node:fs';
import { probe } from '../../runtime/index.js';
import { errorText, NO_DRIVER_HINT, RENDER_GROUP_HINT } from './check-helpers.js';
import { outcome, type CheckDef } from './registry.js';

const { INTEL_GPU_DRIVER_LIB } = probe;

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
    const ze = probe.loaderStatus();
    if (!ze.loaded) {
      return outcome('fail', `not loaded: ${errorText(ze.error)}`, 'loads, version ≥ 1.8', source, {
        message: `cannot load ${ze.library}`,
        hint: 'Install the Level Zero loader: sudo apt-get install libze1 (or level-zero from Intel), or point XPUSCOPE_ZE_LOADER at it.',
      });
    }
    const versions = ze.versions;
    const v = versions.loader;
    const details = { library: ze.library, versions, missingOptional: ze.missingOptional };
    if (!v) {
      return outcome('warn', `${ze.library} loaded, version unknown`, 'loads, version ≥ 1.8', source, {
        message: ze.hasVersionQuery
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
    const intel = probe.findIntelGpuDriver();
    const choice = ctx.list.driver;
    const sim = probe.simDriverPath();
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
    const nodes = probe.renderNodes();
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
      driverCount = probe.driverCount();
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
    let found;
    try {
      found = probe.drivers();
    } catch (err) {
      return outcome('skip', '-', expected, source, {
        message: `no driver to ask (${errorText(err)})`,
        hint: 'Fix the l1.drivers check first.',
      });
    }
    const per = found.map((d, i) => ({
      driver: i,
      apiVersion: d.apiVersion,
      extensions: d.extensions ?? null,
    }));
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

/** Level 1, in run order. */
export const L1_CHECKS: readonly CheckDef[] = [
  loader,
  environment,
  driverLibs,
  renderNodesCheck,
  drivers,
  apiVersion,
];
