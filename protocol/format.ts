// Display formatting shared by every side (runtime, host/CLI, renderer): one way to name an engine
// and one way to write a byte count.
import type { EngineRef } from './timeline.js';

/** An engine as the UI, the CLI and trace files name it: "compute 0.1" (kind, ordinal.index). */
export function engineLabel(e: Pick<EngineRef, 'kind' | 'ordinal' | 'index'>): string {
  return `${e.kind} ${e.ordinal}.${e.index}`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/**
 * A byte count in binary units: "512 B", "16.0 GiB" (`decimals` after the point, default 1; whole
 * bytes below 1 KiB); "—" when unknown (undefined, not finite, negative).
 */
export function formatBytes(bytes: number | undefined, decimals = 1): string {
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(decimals)} ${BYTE_UNITS[unit]}`;
}
