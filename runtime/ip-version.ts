// The GPU IP version (ZE_extension_device_ip_version) and what SYCL derives from it. Level Zero's core
// queries do not say which GPU architecture a device is, nor whether it has matrix engines; SYCL (and so
// torch.xpu's `architecture`, `version` and `has_subgroup_matrix_multiply_accumulate*` fields) maps the
// IP version through a table. This is that table for the Intel GPUs SYCL names, with the two capability
// lists SYCL keys on the architecture (intel/llvm sycl/source/detail/device_impl.hpp: the
// ext_intel_matrix aspect list and the tf32 row of the matrix combinations).

export interface IpVersion {
  architecture: number;
  release: number;
  revision: number;
}

/** Intel's encoding: architecture << 22 | release << 14 | revision. */
export function decodeIpVersion(v: number): IpVersion {
  return { architecture: v >>> 22, release: (v >>> 14) & 0xff, revision: v & 0x3fff };
}

/** "12.55.8" — the form sycl-ls and SYCL's `version` use. */
export function ipVersionString(v: number): string {
  const d = decodeIpVersion(v);
  return `${d.architecture}.${d.release}.${d.revision}`;
}

interface ArchRow {
  /** SYCL's `ext::oneapi::experimental::architecture` name. */
  name: string;
  /** DPAS / XMX: SYCL's ext_intel_matrix aspect (torch: has_subgroup_matrix_multiply_accumulate). */
  matrix: boolean;
  /** tf32 matrix combinations (torch: has_subgroup_matrix_multiply_accumulate_tensor_float32). */
  tf32: boolean;
}

// IP version (architecture.release.revision) → SYCL architecture. Values: intel/llvm
// sycl/include/sycl/ext/oneapi/experimental/architectures.def and the clang driver's
// `intel_gpu_<a>_<r>_<v>` aliases.
const ARCH: Record<string, ArchRow> = {
  '12.0.0': { name: 'intel_gpu_tgllp', matrix: false, tf32: false },
  '12.1.0': { name: 'intel_gpu_rkl', matrix: false, tf32: false },
  '12.2.0': { name: 'intel_gpu_adl_s', matrix: false, tf32: false },
  '12.3.0': { name: 'intel_gpu_adl_p', matrix: false, tf32: false },
  '12.4.0': { name: 'intel_gpu_adl_n', matrix: false, tf32: false },
  '12.10.0': { name: 'intel_gpu_dg1', matrix: false, tf32: false },
  '12.55.8': { name: 'intel_gpu_dg2_g10', matrix: true, tf32: false },
  '12.56.5': { name: 'intel_gpu_dg2_g11', matrix: true, tf32: false },
  '12.57.0': { name: 'intel_gpu_dg2_g12', matrix: true, tf32: false },
  '12.60.7': { name: 'intel_gpu_pvc', matrix: true, tf32: true },
  '12.61.7': { name: 'intel_gpu_pvc_vg', matrix: false, tf32: false },
  '12.70.4': { name: 'intel_gpu_mtl_u', matrix: false, tf32: false },
  '12.71.4': { name: 'intel_gpu_mtl_h', matrix: false, tf32: false },
  '12.74.4': { name: 'intel_gpu_arl_h', matrix: true, tf32: false },
  '20.1.4': { name: 'intel_gpu_bmg_g21', matrix: true, tf32: true },
  '20.4.4': { name: 'intel_gpu_lnl_m', matrix: true, tf32: true },
  '30.0.4': { name: 'intel_gpu_ptl_h', matrix: true, tf32: true },
  '30.1.1': { name: 'intel_gpu_ptl_u', matrix: true, tf32: true },
};

export interface ArchInfo {
  version: string;
  /** SYCL's architecture name, or `intel_gpu_<a>_<r>_<v>` for an IP version the table does not know. */
  architecture: string;
  /** undefined when the IP version is not in the table (nothing is guessed). */
  matrix?: boolean;
  tf32?: boolean;
}

/** What the IP version says; `undefined` for 0 (the driver did not fill the structure). */
export function archInfo(ipVersion: number): ArchInfo | undefined {
  if (!ipVersion) return undefined;
  const version = ipVersionString(ipVersion);
  const row = ARCH[version];
  if (!row) return { version, architecture: `intel_gpu_${version.replaceAll('.', '_')}` };
  return { version, architecture: row.name, matrix: row.matrix, tf32: row.tf32 };
}
