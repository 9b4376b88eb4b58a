// The IP version table: Intel's bit encoding and SYCL's architecture names.
import { describe, expect, it } from 'vitest';
import { archInfo, decodeIpVersion, ipVersionString } from '../../runtime/ip-version.js';

const enc = (a: number, r: number, v: number) => ((a << 22) | (r << 14) | v) >>> 0;

describe('ip-version', () => {
  it('decodes architecture.release.revision', () => {
    expect(decodeIpVersion(enc(12, 55, 8))).toEqual({ architecture: 12, release: 55, revision: 8 });
    expect(ipVersionString(enc(20, 4, 4))).toBe('20.4.4');
    expect(ipVersionString(enc(1023, 255, 16383))).toBe('1023.255.16383');
  });

  it('maps known IP versions to SYCL architectures and their matrix capabilities', () => {
    expect(archInfo(enc(12, 55, 8))).toEqual({
      version: '12.55.8',
      architecture: 'intel_gpu_dg2_g10',
      matrix: true,
      tf32: false,
    });
    expect(archInfo(enc(12, 60, 7))).toMatchObject({ architecture: 'intel_gpu_pvc', tf32: true });
    expect(archInfo(enc(12, 71, 4))).toMatchObject({ architecture: 'intel_gpu_mtl_h', matrix: false });
  });

  it('names an unknown IP version without guessing its capabilities, and 0 as not reported', () => {
    expect(archInfo(enc(40, 1, 2))).toEqual({ version: '40.1.2', architecture: 'intel_gpu_40_1_2' });
    expect(archInfo(0)).toBeUndefined();
  });
});
