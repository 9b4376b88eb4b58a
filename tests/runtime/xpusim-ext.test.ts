// runtime/ze/xpusim.ts against the simulated driver's public extension header
// (native/include/xpusim_ext.h, the one C definition the driver and its C test include): a C program
// compiled against the header prints every struct's size and field offsets and the function names.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIVE_OBJECTS_FIELDS, REGISTRY_STATS_FIELDS, XPUSIM_FUNCTIONS } from '../../runtime/ze/xpusim.js';
import { ROOT } from './helpers/child.js';

const EXT_H = join(ROOT, 'native/include/xpusim_ext.h');
const haveCc =
  spawnSync('cc', ['--version']).status === 0 &&
  existsSync('/usr/include/level_zero/ze_api.h') &&
  existsSync(EXT_H);

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

describe.skipIf(!haveCc)('xpusim extension layouts match native/include/xpusim_ext.h', () => {
  it('every struct is its uint64_t fields in the TypeScript order; the function names agree', () => {
    const structs: [string, readonly string[]][] = [
      ['xs_live_objects_t', LIVE_OBJECTS_FIELDS],
      ['xs_registry_stats_t', REGISTRY_STATS_FIELDS],
    ];
    const lines = [
      '#include <stdio.h>',
      '#include <stddef.h>',
      '#include "xpusim_ext.h"',
      'int main(void) {',
    ];
    const expected: string[] = [];
    for (const [name, fields] of structs) {
      lines.push(`  printf("${name} size %zu\\n", sizeof(${name}));`);
      expected.push(`${name} size ${8 * fields.length}`);
      fields.forEach((f, i) => {
        const c = snake(f);
        lines.push(
          `  printf("${name}.${c} %zu %zu %d\\n", offsetof(${name}, ${c}), sizeof(((${name} *)0)->${c}),` +
            ` (int)((__typeof__(((${name} *)0)->${c}))-1 > 0));`,
        );
        expected.push(`${name}.${c} ${8 * i} 8 1`); // offset, an 8-byte unsigned integer
      });
    }
    for (const [k, v] of Object.entries({
      LIVE_OBJECTS: XPUSIM_FUNCTIONS.liveObjects,
      REGISTRY_STATS: XPUSIM_FUNCTIONS.registryStats,
    })) {
      lines.push(`  printf("XPUSIM_GET_${k} %s\\n", XPUSIM_GET_${k});`);
      expected.push(`XPUSIM_GET_${k} ${v}`);
    }
    lines.push('  return 0;', '}');
    const dir = mkdtempSync(join(tmpdir(), 'xpuscope-ext-'));
    writeFileSync(join(dir, 'x.c'), lines.join('\n'));
    execFileSync('cc', [
      '-std=c11',
      '-Wall',
      '-Werror',
      '-I',
      join(ROOT, 'native/include'),
      '-o',
      join(dir, 'x'),
      join(dir, 'x.c'),
    ]);
    const got = execFileSync(join(dir, 'x'), { encoding: 'utf8' }).trim().split('\n');
    expect(got).toEqual(expected);
  });
});
