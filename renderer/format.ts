// Small display helpers shared by the views.

/** Bytes as binary units with one decimal ("16.0 GiB"); "—" when unknown. */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

const DEVICE_TYPES: Record<string, string> = { gpu: 'GPU', cpu: 'CPU', fpga: 'FPGA', mca: 'MCA', vpu: 'VPU' };

/** "GPU (integrated)", "GPU", … */
export function formatDeviceType(type: string, integrated: boolean): string {
  const name = DEVICE_TYPES[type.toLowerCase()] ?? type;
  return integrated ? `${name} (integrated)` : name;
}

/** PCI ids as 0x8086:0x56a0. */
export function formatPciId(vendorId: number, deviceId: number): string {
  const hex = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
  return `${hex(vendorId)}:${hex(deviceId)}`;
}
