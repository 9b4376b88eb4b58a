// The diagnostic checks, one module per level: checks-l1.ts (software: loader, drivers, environment,
// device nodes), checks-l2.ts (functional, per device: the runtime's public API — streams, alloc,
// kernels, events), checks-l3.ts (performance, per device, against expectations derived from the
// device's own properties); check-helpers.ts is what they share.
import { L1_CHECKS } from './checks-l1.js';
import { L2_CHECKS } from './checks-l2.js';
import { L3_CHECKS } from './checks-l3.js';
import type { CheckDef } from './registry.js';

export { hintFor } from './check-helpers.js';

/** Every check, in run order. */
export const CHECKS: readonly CheckDef[] = [...L1_CHECKS, ...L2_CHECKS, ...L3_CHECKS];
