// The Sysman layouts of runtime/ze/layouts-sysman.ts against the installed zes_api.h (as
// layouts.test.ts does for runtime/ze/layouts.ts): sizes, offsets and the stype value.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { L_SYSMAN, ZES_MEM_LOC, ZES_STYPE_MEM_PROPERTIES } from '../../runtime/ze/layouts-sysman.js';

const HEADER = '/usr/include/level_zero/zes_api.h';
const haveCc = spawnSync('cc', ['--version']).status === 0 && existsSync(HEADER);

describe.skipIf(!haveCc)('Sysman struct layouts match the installed headers', () => {
  it('every size, offset and constant', () => {
    const lines = [
      '#include <stdio.h>',
      '#include <stddef.h>',
      '#include <level_zero/zes_api.h>',
      'int main(void) {',
    ];
    const expected: string[] = [];
    for (const [name, layout] of Object.entries(L_SYSMAN)) {
      lines.push(`  printf("${name} size %zu\\n", sizeof(${name}));`);
      expected.push(`${name} size ${layout.size}`);
      for (const [field, spec] of Object.entries(layout.fields)) {
        lines.push(`  printf("${name}.${field} %zu\\n", offsetof(${name}, ${field}));`);
        expected.push(`${name}.${field} ${spec.off}`);
      }
    }
    lines.push(`  printf("MEM_PROPERTIES %u\\n", (unsigned)ZES_STRUCTURE_TYPE_MEM_PROPERTIES);`);
    expected.push(`MEM_PROPERTIES ${ZES_STYPE_MEM_PROPERTIES}`);
    lines.push(`  printf("LOC %u %u\\n", (unsigned)ZES_MEM_LOC_SYSTEM, (unsigned)ZES_MEM_LOC_DEVICE);`);
    expected.push(`LOC ${ZES_MEM_LOC.SYSTEM} ${ZES_MEM_LOC.DEVICE}`);
    lines.push('  return 0;', '}');
    const dir = mkdtempSync(join(tmpdir(), 'xpuscope-layout-zes-'));
    writeFileSync(join(dir, 'l.c'), lines.join('\n'));
    execFileSync('cc', ['-o', join(dir, 'l'), join(dir, 'l.c')]);
    expect(execFileSync(join(dir, 'l'), { encoding: 'utf8' }).trim().split('\n')).toEqual(expected);
    expect(L_SYSMAN.zes_mem_properties_t.stype).toBe(ZES_STYPE_MEM_PROPERTIES);
  });
});
