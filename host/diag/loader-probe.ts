// Level Zero queries the runtime does not bind (yet): zeDriverGetExtensionProperties. Loaded through
// koffi from the same loader library the runtime uses (a second dlopen of an already loaded library
// only bumps its reference count). Remove once runtime/ze/lib.ts binds it.
import type { ZeLib } from '../../runtime/ze/lib.js';

type ExtFn = (driver: bigint, pCount: Uint32Array, props: Buffer | null) => number;
let extFn: ExtFn | null | undefined;

/** ze_driver_extension_properties_t: char name[ZE_MAX_EXTENSION_NAME = 256]; uint32_t version. */
const EXT_SIZE = 260;

/** The driver's extensions ({ name, version "major.minor" }), or undefined when the call is unavailable or fails. */
export function driverExtensions(ze: ZeLib, driver: bigint): { name: string; version: string }[] | undefined {
  if (extFn === undefined) {
    try {
      const lib = ze.koffi.load(ze.library);
      extFn = lib.func(
        'int32_t zeDriverGetExtensionProperties(void *hDriver, void *pCount, void *pProps)',
      ) as unknown as ExtFn;
    } catch {
      extFn = null;
    }
  }
  if (extFn === null) return undefined;
  const n = new Uint32Array(1);
  if (extFn(driver, n, null) !== 0) return undefined;
  const count = Math.min(n[0] ?? 0, 4096);
  if (count === 0) return [];
  const buf = Buffer.alloc(EXT_SIZE * count);
  n[0] = count;
  if (extFn(driver, n, buf) !== 0) return undefined;
  const out: { name: string; version: string }[] = [];
  for (let i = 0; i < Math.min(n[0] ?? 0, count); i++) {
    const raw = buf.subarray(i * EXT_SIZE, i * EXT_SIZE + 256);
    const nul = raw.indexOf(0);
    const v = buf.readUInt32LE(i * EXT_SIZE + 256);
    out.push({
      name: raw.subarray(0, nul < 0 ? 256 : nul).toString('utf8'),
      version: `${v >>> 16}.${v & 0xffff}`,
    });
  }
  return out;
}
