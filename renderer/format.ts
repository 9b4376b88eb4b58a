// Small display helpers shared by the views.

/** Bytes as binary units with one decimal ("16.0 GiB"); "—" when unknown (protocol/format.ts). */
export { formatBytes } from '../protocol/format.js';

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

/** Wall-clock time of day, HH:MM:SS (local time): the captures list and the counters' x-axis. */
export function timeOfDay(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
