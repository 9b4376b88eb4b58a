// The foundation slice: lazy loading, driver choice, and problems that explain an empty device list.
// Each case runs in a child process: the loader reads its environment once per process.
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runChild, simBuilt, SIM_DRIVER, type Json } from './helpers/child.js';

describe('lazy import', () => {
  it('importing the module loads neither koffi nor the loader and initialises nothing', () => {
    const r = runChild<{ maps: string; init: boolean; keys: string[] }>(`
      const { readFileSync } = await import('node:fs');
      done({ maps: readFileSync('/proc/self/maps', 'utf8'), init: xpu.isInitialized(), keys: Object.keys(rt) });
    `);
    expect(r.maps).not.toMatch(/libze_loader/);
    expect(r.maps).not.toMatch(/koffi/);
    expect(r.init).toBe(false);
    expect(r.keys).toEqual(expect.arrayContaining(['xpu', 'configureDriver', 'XpuError', 'ZeError']));
  });

  it('deviceCount/isAvailable/isCompiled never throw and do not initialise', () => {
    const r = runChild<{ compiled: boolean; count: number; avail: boolean; init: boolean }>(
      `done({ compiled: xpu.isCompiled(), count: xpu.deviceCount(), avail: xpu.isAvailable(), init: xpu.isInitialized() });`,
      cleanEnv({ XPUSCOPE_DRIVER: 'system' }),
    );
    expect(r).toEqual({ compiled: true, count: 0, avail: false, init: false });
  });
});

describe('missing loader', () => {
  it('reports NO_LOADER with the install hint', () => {
    const r = runChild<{ list: Json; compiled: boolean; count: number; err: string }>(
      `let err = '';
       try { xpu.getDeviceName(0); } catch (e) { err = e.name + ': ' + e.message; }
       done({ list: xpu.listDevices(), compiled: xpu.isCompiled(), count: xpu.deviceCount(), err });`,
      cleanEnv({ XPUSCOPE_ZE_LOADER: '/nonexistent/libze_loader.so.1', XPUSCOPE_DRIVER: 'system' }),
    );
    expect(r.compiled).toBe(false);
    expect(r.count).toBe(0);
    expect(r.list.devices).toEqual([]);
    expect(r.list.loader).toEqual({ library: '/nonexistent/libze_loader.so.1', loaded: false });
    expect(r.list.problem.code).toBe('NO_LOADER');
    expect(r.list.problem.title).toBe('Level Zero loader not found');
    expect(r.list.problem.hint).toMatch(/sudo apt-get install libze1/);
    expect(r.err).toMatch(/^XpuError: Level Zero loader not found/);
  });
});

describe('system driver without an Intel GPU', () => {
  it('gives NO_DRIVER with a clear message and hint', () => {
    const r = runChild<{ list: Json; err: { name: string; message: string; code: string } }>(
      `const c = rt.configureDriver({ driver: 'system' });
       let err;
       try { xpu.init(); } catch (e) { err = { name: e.name, message: e.message, code: e.problem?.code }; }
       done({ list: xpu.listDevices(), err, c });`,
    );
    expect(r.list.driver).toMatchObject({ requested: 'system', mode: 'system', simulated: false });
    expect(r.list.loader.loaded).toBe(true);
    expect(r.list.devices).toEqual([]);
    expect(r.list.problem).toMatchObject({ code: 'NO_DRIVER', title: 'No Level Zero driver found' });
    expect(r.list.problem.detail).toMatch(/ZE_RESULT_ERROR_UNINITIALIZED/);
    expect(r.list.problem.hint).toMatch(/libze-intel-gpu1/);
    expect(r.list.problem.hint).toMatch(/render/);
    expect(r.list.problem.hint).toMatch(/--driver sim/);
    expect(r.err.name).toBe('XpuError');
    expect(r.err.code).toBe('NO_DRIVER');
    expect(r.err.message).toMatch(/No Level Zero driver found/);
  });

  it('a failed init is retried by the next call (and fails the same way)', () => {
    const r = runChild<string[]>(
      `const out = [];
       for (let i = 0; i < 2; i++) { try { xpu.init(); out.push('ok'); } catch (e) { out.push(e.problem?.code); } }
       out.push(String(xpu.isInitialized()));
       done(out);`,
      cleanEnv({ XPUSCOPE_DRIVER: 'system' }),
    );
    expect(r).toEqual(['NO_DRIVER', 'NO_DRIVER', 'false']);
  });
});

describe('driver choice', () => {
  it('auto picks the simulator when no Intel GPU driver is installed and says why', () => {
    const r = runChild<Json>(`done(rt.configureDriver());`);
    // This machine has no libze_intel_gpu.so.1; on a machine with one and a render node, auto is system.
    expect(r.requested).toBe('auto');
    expect(r.mode).toBe('sim');
    expect(r.simulated).toBe(true);
    expect(r.reason).toMatch(/^auto: .*using the simulator\.$/);
    expect(r.simDriverPath).toBe(SIM_DRIVER);
  });

  it('auto needs both the Intel driver library and a render node', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xpuscope-fake-'));
    writeFileSync(join(dir, 'libze_intel_gpu.so.1'), '');
    const r = runChild<Json>(`done(rt.configureDriver());`, cleanEnv({ LD_LIBRARY_PATH: dir }));
    if (existsSync('/dev/dri') && readdirSync('/dev/dri').some((n) => n.startsWith('renderD'))) {
      expect(r.mode).toBe('system');
      expect(r.reason).toMatch(/^auto: found libze_intel_gpu\.so\.1/);
    } else {
      expect(r.mode).toBe('sim');
      expect(r.reason).toBe('auto: no GPU render node (/dev/dri/renderD*) found, using the simulator.');
    }
  });

  it('reads XPUSCOPE_DRIVER and XPUSIM_PROFILE; XPUSCOPE_SIM_DRIVER overrides the library path', () => {
    const r = runChild<Json>(
      `done(rt.configureDriver());`,
      cleanEnv({
        XPUSCOPE_DRIVER: 'sim',
        XPUSIM_PROFILE: 'arc-a770,max-1550',
        XPUSCOPE_SIM_DRIVER: '/opt/x/libze_xpusim.so',
      }),
    );
    expect(r).toMatchObject({
      requested: 'sim',
      mode: 'sim',
      profiles: ['arc-a770', 'max-1550'],
      simDriverPath: '/opt/x/libze_xpusim.so',
    });
  });

  it('rejects an unknown driver name', () => {
    const r = runChild<Json>(`done(xpu.listDevices());`, cleanEnv({ XPUSCOPE_DRIVER: 'cuda' }));
    expect(r.problem.code).toBe('INTERNAL');
    expect(r.problem.detail).toMatch(/expected auto, system or sim/);
  });

  it('reports SIM_DRIVER_MISSING when the simulated driver is not built', () => {
    const r = runChild<Json>(
      `done({ list: xpu.listDevices(), env: process.env.ZE_ENABLE_ALT_DRIVERS ?? null });`,
      cleanEnv({ XPUSCOPE_DRIVER: 'sim', XPUSCOPE_SIM_DRIVER: '/nonexistent/libze_xpusim.so' }),
    );
    expect(r.list.problem.code).toBe('SIM_DRIVER_MISSING');
    expect(r.list.problem.hint).toMatch(/npm run build:native/);
    expect(r.list.driver.simulated).toBe(true);
  });

  it('cannot switch drivers after zeInit, but may repeat the same choice', () => {
    const r = runChild<Json>(
      `rt.configureDriver({ driver: 'system' });
       xpu.deviceCount();
       const same = rt.configureDriver({ driver: 'system' }).mode;
       let err = null;
       try { rt.configureDriver({ driver: 'sim' }); } catch (e) { err = e.name + ': ' + e.message; }
       done({ same, err });`,
    );
    expect(r.same).toBe('system');
    expect(r.err).toMatch(/^XpuError: Cannot switch the Level Zero driver to 'sim'/);
  });
});

describe.skipIf(!simBuilt())('simulated driver', () => {
  it('lists the simulated Arc A770 with --driver sim', () => {
    const r = runChild<Json>(
      `rt.configureDriver({ driver: 'sim', profile: 'arc-a770' });
       done({ list: xpu.listDevices(), count: xpu.deviceCount(), avail: xpu.isAvailable(), init: xpu.isInitialized(),
              name: xpu.getDeviceName(), name0: xpu.getDeviceName('xpu:0'), init2: xpu.isInitialized(),
              env: process.env.ZE_ENABLE_ALT_DRIVERS });`,
    );
    expect(r.list.problem).toBeUndefined();
    expect(r.list.driver).toMatchObject({
      requested: 'sim',
      mode: 'sim',
      simulated: true,
      profiles: ['arc-a770'],
    });
    expect(r.list.loader.loaded).toBe(true);
    expect(r.list.devices).toHaveLength(1);
    expect(r.list.devices[0]).toMatchObject({
      index: 0,
      name: 'Intel(R) Arc(TM) A770 Graphics',
      type: 'gpu',
      vendorId: 0x8086,
      deviceId: 0x56a0,
      integrated: false,
      simulated: true,
    });
    expect(r.list.devices[0].uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(r.list.devices[0].driverVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(r.count).toBe(1);
    expect(r.avail).toBe(true);
    expect(r.init).toBe(false);
    expect(r.name).toBe('Intel(R) Arc(TM) A770 Graphics');
    expect(r.name0).toBe(r.name);
    expect(r.init2).toBe(true);
    expect(r.env).toBe(SIM_DRIVER);
  });

  it('an unknown profile makes the simulated driver refuse to load: NO_DRIVER with a hint', () => {
    const r = runChild<Json>(
      `done(xpu.listDevices());`,
      cleanEnv({ XPUSCOPE_DRIVER: 'sim', XPUSIM_PROFILE: 'bogus' }),
    );
    expect(r.devices).toEqual([]);
    expect(r.problem.code).toBe('NO_DRIVER');
    expect(r.problem.hint).toMatch(/XPUSIM_PROFILE/);
  });

  it('the integrated Meteor Lake profile is reported as integrated', () => {
    const r = runChild<Json>(
      `done({ list: xpu.listDevices(), integrated: xpu.getDeviceProperties().isIntegratedGpu });`,
      cleanEnv({ XPUSCOPE_DRIVER: 'sim', XPUSIM_PROFILE: 'mtl-igpu' }),
    );
    expect(r.list.devices).toHaveLength(1);
    expect(r.list.devices[0]).toMatchObject({
      name: 'Intel(R) Arc(TM) Graphics',
      integrated: true,
      simulated: true,
    });
    expect(r.integrated).toBe(true);
  });
});
