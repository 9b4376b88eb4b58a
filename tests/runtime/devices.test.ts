// Device management against the simulated driver: arc-a770 (device 0) and max-1550 (devices 1, 2).
import { describe, expect, it } from 'vitest';
import { xpu, XpuError } from '../../runtime/index.js';
import { haveSim, useSim } from './helpers/sim.js';

useSim();

describe.skipIf(!haveSim)('devices', () => {
  it('counts without initialising, then initialises on first use', () => {
    expect(xpu.isCompiled()).toBe(true);
    expect(xpu.deviceCount()).toBe(3);
    expect(xpu.isAvailable()).toBe(true);
    expect(xpu.isInitialized()).toBe(false);
    expect(xpu.currentDevice()).toBe(0);
    expect(xpu.isInitialized()).toBe(true);
  });

  it('names devices', () => {
    expect(xpu.getDeviceName()).toBe('Intel(R) Arc(TM) A770 Graphics');
    expect(xpu.getDeviceName(1)).toBe('Intel(R) Data Center GPU Max 1550');
    expect(xpu.getDeviceName('xpu:2')).toBe('Intel(R) Data Center GPU Max 1550');
    expect(xpu.getDeviceName({ type: 'xpu', index: 1 })).toBe('Intel(R) Data Center GPU Max 1550');
    expect(xpu.getDeviceName('xpu')).toBe('Intel(R) Arc(TM) A770 Graphics');
  });

  it('rejects bad device arguments with torch messages', () => {
    expect(() => xpu.getDeviceName(3)).toThrow(
      'The device index is out of range. It must be in [0, 3), but got 3.',
    );
    expect(() => xpu.getDeviceName(-1)).toThrow(
      'The device index is out of range. It must be in [0, 3), but got -1.',
    );
    expect(() => xpu.getDeviceName('cuda:0')).toThrow('Expected a xpu device, but got: cuda:0');
    expect(() => xpu.getDeviceName({ type: 'cpu' })).toThrow('Expected a xpu device, but got: cpu');
    expect(() => xpu.setDevice('xpu')).toThrow(
      'Expected a torch.device with a specified index or an integer, but got:xpu',
    );
    expect(() => xpu.getDeviceName(1.5)).toThrow(XpuError);
    expect(() => xpu.getDeviceName('xpu:x')).toThrow(/Invalid device string/);
  });

  it('reports torch properties with their Level Zero sources', () => {
    const p = xpu.getDeviceProperties(0);
    expect(p).toMatchObject({
      name: 'Intel(R) Arc(TM) A770 Graphics',
      vendor: 'Intel(R) Corporation',
      vendorId: 0x8086,
      deviceId: 0x56a0,
      type: 'gpu',
      gpuEuCount: 512,
      maxComputeUnits: 512,
      gpuSubsliceCount: 32,
      gpuEuCountPerSubslice: 16,
      maxWorkGroupSize: 1024,
      subGroupSizes: [8, 16, 32],
      maxNumSubGroups: 1024 / 8,
      localMemSize: 65536,
      isIntegratedGpu: false,
      hasFp64: false,
      coreClockRate: 2400,
      timerFrequency: 19_200_000,
      kernelTimestampValidBits: 32,
      subDeviceCount: 0,
    });
    expect(p.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(p.driverVersion).toMatch(/^1\.3\.\d+$/);
    expect(p.totalMemory).toBeGreaterThan(15e9);
    expect(p.pciAddress).toMatch(/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/);
    // Every reported field names its source; unreported ones are undefined and listed.
    for (const k of Object.keys(p))
      if (k !== 'sources' && k !== 'unavailable') expect(p.sources[k], k).toBeTruthy();
    for (const k of p.unavailable) expect((p as unknown as Record<string, unknown>)[k], k).toBeUndefined();
    // The IP version the driver reports through ze_device_ip_version_ext_t, mapped as SYCL maps it.
    expect(p).toMatchObject({
      version: '12.55.8',
      architecture: 'intel_gpu_dg2_g10',
      hasSubgroupMatrixMultiplyAccumulate: true,
      hasSubgroupMatrixMultiplyAccumulateTensorFloat32: false,
    });
    expect(p.unavailable).toContain('hasBfloat16Conversions');
    expect(p.unavailable).not.toContain('architecture');
    expect(p.engines.map((e) => [e.ordinal, e.kind, e.numQueues])).toEqual([
      [0, 'compute', 1],
      [1, 'render', 1],
      [2, 'copy', 1],
    ]);
    const m = xpu.getDeviceProperties(1);
    expect(m.hasFp64).toBe(true);
    expect(m).toMatchObject({
      version: '12.60.7',
      architecture: 'intel_gpu_pvc',
      hasSubgroupMatrixMultiplyAccumulateTensorFloat32: true,
    });
    expect(m.engines[0]).toMatchObject({ kind: 'compute', numQueues: 4 });
    expect(m.engines.filter((e) => e.kind === 'copy').length).toBeGreaterThan(0);
  });

  it('is_bf16_supported / is_tf32_supported follow the current device', () => {
    xpu.setDevice(0);
    expect(xpu.isBf16Supported()).toBe(true); // emulation counts by default, as in torch
    expect(xpu.isBf16Supported(false)).toBe(false); // conversions are not reported by Level Zero
    // torch's rule is has_subgroup_matrix_multiply_accumulate (DPAS), not the tf32 matrix combination:
    // the A770 (DG2) has DPAS though SYCL lists no tf32 combination for it, so tf32 is supported.
    const a770 = xpu.getDeviceProperties(0);
    expect(a770.hasSubgroupMatrixMultiplyAccumulate).toBe(true);
    expect(a770.hasSubgroupMatrixMultiplyAccumulateTensorFloat32).toBe(false);
    expect(xpu.isTf32Supported()).toBe(true);
    xpu.setDevice(1);
    expect(xpu.isTf32Supported()).toBe(true); // Ponte Vecchio has DPAS too
    xpu.setDevice(0);
  });

  it('capability holds the plain-data fields', () => {
    const c = xpu.getDeviceCapability(1);
    expect(c.maxWorkGroupSize).toBe(1024);
    expect(c.subGroupSizes).toEqual([16, 32]);
    expect(c.name).toBe('Intel(R) Data Center GPU Max 1550');
    expect(c).not.toHaveProperty('engines');
    expect(c).not.toHaveProperty('sources');
  });

  it('setDevice: negative is a no-op, out of range throws', () => {
    xpu.setDevice(1);
    expect(xpu.currentDevice()).toBe(1);
    xpu.setDevice(-1);
    expect(xpu.currentDevice()).toBe(1);
    expect(() => xpu.setDevice(7)).toThrow(
      'The device index is out of range. It must be in [0, 3), but got 7.',
    );
    xpu.setDevice('xpu:0');
    expect(xpu.currentDevice()).toBe(0);
  });

  it('device scopes restore the previous device', () => {
    {
      using _ = xpu.device(2);
      expect(xpu.currentDevice()).toBe(2);
      {
        using _inner = xpu.device('xpu:1');
        expect(xpu.currentDevice()).toBe(1);
      }
      expect(xpu.currentDevice()).toBe(2);
      {
        using _neg = xpu.device(-1);
        expect(xpu.currentDevice()).toBe(2);
      }
    }
    expect(xpu.currentDevice()).toBe(0);
    const scope = xpu.device(1);
    expect(xpu.currentDevice()).toBe(1);
    scope.exit();
    scope.exit();
    expect(xpu.currentDevice()).toBe(0);
  });

  it('withDevice returns the result of sync and async functions', async () => {
    expect(xpu.withDevice(1, () => xpu.currentDevice() * 10)).toBe(10);
    await expect(
      xpu.withDevice(2, async () => {
        await new Promise((r) => setTimeout(r, 5));
        return xpu.currentDevice();
      }),
    ).resolves.toBe(2);
    expect(xpu.currentDevice()).toBe(0);
  });

  it('concurrent tasks in withDevice do not see each other', async () => {
    const seen: number[][] = [[], [], []];
    const task = (d: number) =>
      xpu.withDevice(d, async () => {
        for (let i = 0; i < 5; i++) {
          seen[d]?.push(xpu.currentDevice());
          await new Promise((r) => setTimeout(r, 1 + ((i * 7 + d) % 3)));
          if (i === 2) xpu.setDevice(d); // mutations stay inside the task
        }
      });
    await Promise.all([task(0), task(1), task(2)]);
    expect(seen).toEqual([
      [0, 0, 0, 0, 0],
      [1, 1, 1, 1, 1],
      [2, 2, 2, 2, 2],
    ]);
    expect(xpu.currentDevice()).toBe(0);
  });

  it('deviceOf uses the object device', () => {
    const s = new xpu.Stream({ device: 2 });
    {
      using _ = xpu.deviceOf(s);
      expect(xpu.currentDevice()).toBe(2);
    }
    {
      using _ = xpu.deviceOf({});
      expect(xpu.currentDevice()).toBe(0);
    }
    expect(xpu.currentDevice()).toBe(0);
  });

  it('peer access is symmetric and within the same driver context', () => {
    expect(xpu.canDeviceAccessPeer(1, 2)).toBe(xpu.canDeviceAccessPeer(2, 1));
    expect(typeof xpu.canDeviceAccessPeer(0, 1)).toBe('boolean');
    expect(() => xpu.canDeviceAccessPeer(0, 9)).toThrow('The device index is out of range');
  });

  it('listDevices shows all simulated devices', () => {
    const l = xpu.listDevices();
    expect(l.problem).toBeUndefined();
    expect(l.driver).toMatchObject({ mode: 'sim', simulated: true, profiles: ['arc-a770', 'max-1550'] });
    expect(l.devices.map((d) => d.name)).toEqual([
      'Intel(R) Arc(TM) A770 Graphics',
      'Intel(R) Data Center GPU Max 1550',
      'Intel(R) Data Center GPU Max 1550',
    ]);
    expect(l.devices.every((d) => d.simulated)).toBe(true);
  });
});
