// The struct layouts in runtime/ze/layouts.ts against the installed Level Zero headers: the generated
// table (runtime/ze/layouts.generated.ts) is reproducible with runtime/scripts/gen-layouts.mjs, and,
// independently of the generator, a C program compiled with `cc` prints sizeof/offsetof of every
// declared field and the stype values.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { L, L_NEWER, STYPE, ZES_MEM_LOC, ZES_STYPE, type StructLayout } from '../../runtime/ze/layouts.js';
import { ZE_RESULTS } from '../../runtime/ze/results.generated.js';
import { ZeError, zeResultName } from '../../runtime/errors.js';
import { ROOT } from './helpers/child.js';

const HEADER = '/usr/include/level_zero/ze_api.h';
const haveCc = spawnSync('cc', ['--version']).status === 0 && existsSync(HEADER);

describe.skipIf(!haveCc)('struct layouts match the installed headers', () => {
  it('the generated table is reproducible from the installed headers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xpuscope-gen-'));
    const out = join(dir, 'layouts.generated.ts');
    execFileSync(process.execPath, [join(ROOT, 'runtime/scripts/gen-layouts.mjs'), out], { stdio: 'pipe' });
    expect(readFileSync(out, 'utf8')).toBe(
      readFileSync(join(ROOT, 'runtime/ze/layouts.generated.ts'), 'utf8'),
    );
  });

  it('every size, offset and stype', () => {
    const lines: string[] = [
      '#include <stdio.h>',
      '#include <stddef.h>',
      '#include <level_zero/ze_api.h>',
      '#include <level_zero/zes_api.h>',
      'int main(void) {',
    ];
    const expected: string[] = [];
    for (const [name, layout] of Object.entries(L) as [string, StructLayout][]) {
      lines.push(`  printf("${name} size %zu\\n", sizeof(${name}));`);
      expected.push(`${name} size ${layout.size}`);
      for (const [field, spec] of Object.entries(layout.fields)) {
        lines.push(`  printf("${name}.${field} %zu\\n", offsetof(${name}, ${field}));`);
        expected.push(`${name}.${field} ${spec.off}`);
      }
      if (layout.stype !== undefined) {
        // Every struct's default stype names its own structure type.
        expect([...Object.values(STYPE), ...Object.values(ZES_STYPE)]).toContain(layout.stype);
      }
    }
    for (const [k, v] of Object.entries(STYPE)) {
      lines.push(`  printf("STYPE.${k} %u\\n", (unsigned)ZE_STRUCTURE_TYPE_${k});`);
      expected.push(`STYPE.${k} ${v}`);
    }
    for (const [k, v] of Object.entries(ZES_STYPE)) {
      lines.push(`  printf("ZES_STYPE.${k} %u\\n", (unsigned)ZES_STRUCTURE_TYPE_${k});`);
      expected.push(`ZES_STYPE.${k} ${v}`);
    }
    lines.push(
      `  printf("ZES_MEM_LOC %u %u\\n", (unsigned)ZES_MEM_LOC_SYSTEM, (unsigned)ZES_MEM_LOC_DEVICE);`,
    );
    expected.push(`ZES_MEM_LOC ${ZES_MEM_LOC.SYSTEM} ${ZES_MEM_LOC.DEVICE}`);
    lines.push('  return 0;', '}');
    const dir = mkdtempSync(join(tmpdir(), 'xpuscope-layout-'));
    writeFileSync(join(dir, 'l.c'), lines.join('\n'));
    execFileSync('cc', ['-o', join(dir, 'l'), join(dir, 'l.c')]);
    const got = execFileSync(join(dir, 'l'), { encoding: 'utf8' }).trim().split('\n');
    expect(got).toEqual(expected);
  });
});

// L_NEWER is laid out by hand from the spec (the 1.4 headers lack it), as the simulated driver's
// native/src/xs_extra_types.h is: the two must agree.
describe.skipIf(!haveCc)('structs newer than the headers', () => {
  it("match the simulated driver's definitions", () => {
    const ipv = L_NEWER.ze_device_ip_version_ext_t;
    const c = [
      '#include <stdio.h>',
      '#include <stddef.h>',
      '#include "xs_extra_types.h"',
      'int main(void) {',
      '  printf("%zu %u\\n", sizeof(xs_device_ip_version_ext_t), (unsigned)XS_STYPE_DEVICE_IP_VERSION_EXT);',
      ...Object.keys(ipv.fields).map(
        (f) => `  printf("%zu\\n", offsetof(xs_device_ip_version_ext_t, ${f}));`,
      ),
      '  return 0;',
      '}',
    ];
    const dir = mkdtempSync(join(tmpdir(), 'xpuscope-newer-'));
    writeFileSync(join(dir, 'n.c'), c.join('\n'));
    execFileSync('cc', ['-I', join(ROOT, 'native/src'), '-o', join(dir, 'n'), join(dir, 'n.c')]);
    const got = execFileSync(join(dir, 'n'), { encoding: 'utf8' }).trim().split('\n');
    expect(got).toEqual([`${ipv.size} ${ipv.stype}`, ...Object.values(ipv.fields).map((f) => `${f.off}`)]);
  });
});

describe('ze_result_t names', () => {
  it('the generated table is reproducible from the installed header', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xpuscope-gen-'));
    const out = join(dir, 'results.generated.ts');
    execFileSync(process.execPath, [join(ROOT, 'runtime/scripts/gen-results.mjs'), HEADER, out]);
    expect(readFileSync(out, 'utf8')).toBe(
      readFileSync(join(ROOT, 'runtime/ze/results.generated.ts'), 'utf8'),
    );
  });

  it('maps codes to names and explanations', () => {
    expect(ZE_RESULTS.size).toBeGreaterThan(40);
    expect(zeResultName(0x78000001)).toBe('ZE_RESULT_ERROR_UNINITIALIZED');
    expect(zeResultName(0x78000003)).toBe('ZE_RESULT_ERROR_UNSUPPORTED_FEATURE');
    expect(zeResultName(0x12345)).toBe('ZE_RESULT_UNKNOWN_0x12345');
    const e = new ZeError('zeMemAllocDevice', 0x70000003);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('ZeError');
    expect(e.result).toBe(0x70000003);
    expect(e.resultName).toBe('ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY');
    expect(e.call).toBe('zeMemAllocDevice');
    expect(e.explanation).toBe('insufficient device memory to satisfy call');
    expect(e.message).toBe(
      'zeMemAllocDevice failed: ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY (0x70000003): insufficient device memory to satisfy call. ' +
        e.advice,
    );
    expect(e.advice).toMatch(/^The GPU is out of memory: free buffers/);
    // results without plain advice keep the plain message
    const u = new ZeError('zeKernelCreate', 0x78000011);
    expect(u.advice).toBeUndefined();
    expect(u.message).toBe(
      `zeKernelCreate failed: ZE_RESULT_ERROR_INVALID_KERNEL_NAME (0x78000011): ${u.explanation}`,
    );
  });
});

describe('binding', () => {
  it('binds the required entry points and detects the optional ones', async () => {
    const { loadZe } = await import('../../runtime/ze/lib.js');
    const ze = loadZe();
    expect(typeof ze.fn.zeInit).toBe('function');
    // Debian's loader 1.8.12 predates these; newer loaders export them.
    for (const name of ['zeCommandListHostSynchronize', 'zeInitDrivers'] as const) {
      expect(ze.optional[name] === undefined).toBe(ze.missing.includes(name));
    }
    expect(typeof ze.optional.zelLoaderGetVersions).toBe('function');
  });
});
