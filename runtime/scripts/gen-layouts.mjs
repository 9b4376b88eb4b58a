#!/usr/bin/env node
// Generates runtime/ze/layouts.generated.ts: the sizes, field offsets, array lengths and stype values of
// the Level Zero structs listed in runtime/scripts/layout-spec.mjs, found by compiling a C program
// against the installed headers (so nothing is typed by hand but which structs and fields are used).
// Each field's declared type is checked against the C member (size, integer/float/pointer, signedness).
// Reproduce with:  node runtime/scripts/gen-layouts.mjs [output.ts]
// Environment: CC (default cc), ZE_INCLUDE_DIR (the directory holding level_zero/; default /usr/include).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STRUCTS, STYPES, ZES_STYPES } from './layout-spec.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? join(here, '..', 'ze', 'layouts.generated.ts');
const cc = process.env.CC || 'cc';
const incDir = process.env.ZE_INCLUDE_DIR || '/usr/include';

const WIDTH = { u8: 1, u32: 4, i32: 4, u64: 8, i64: 8, size: 8, f64: 8, ptr: 8 };
/** What the C member must look like for each spec type: KIND() below (after array decay), and size. */
function fits(t, f) {
  switch (t) {
    case 'u8':
    case 'u32':
    case 'i32':
    case 'u64':
    case 'i64':
    case 'f64':
      return f.kind === t && f.size === WIDTH[t];
    case 'size':
      return f.kind === 'u64' && f.size === 8; // size_t on x86-64 Linux
    case 'ptr':
      return f.cls === 5 && f.size === 8; // __builtin_classify_type: pointer_type_class
    case 'chars':
    case 'u32s':
      return f.kind === t && f.size > 8; // an array (a pointer member would be 8 bytes)
    case 'bytes':
      return true;
    default:
      throw new Error(`unknown field type '${t}'`);
  }
}

// ---- the C program ----------------------------------------------------------------------------------
const c = [
  '#include <stdio.h>',
  '#include <stddef.h>',
  '#include <level_zero/ze_api.h>',
  '#include <level_zero/zes_api.h>',
  // The member's type after array decay (enums are compatible with their unsigned int).
  '#define KIND(m) _Generic((m), uint8_t: "u8", uint32_t: "u32", int32_t: "i32", uint64_t: "u64", \\',
  '    int64_t: "i64", double: "f64", char *: "chars", uint32_t *: "u32s", default: "other")',
  'int main(void) {',
];
for (const k of STYPES) c.push(`  printf("STYPE ${k} %u\\n", (unsigned)ZE_STRUCTURE_TYPE_${k});`);
for (const k of ZES_STYPES) c.push(`  printf("ZES_STYPE ${k} %u\\n", (unsigned)ZES_STRUCTURE_TYPE_${k});`);
for (const [name, spec] of Object.entries(STRUCTS)) {
  if (spec.stype && !STYPES.includes(spec.stype))
    throw new Error(`${name}: stype ${spec.stype} is not in STYPES`);
  if (spec.zesStype && !ZES_STYPES.includes(spec.zesStype))
    throw new Error(`${name}: zesStype ${spec.zesStype} is not in ZES_STYPES`);
  c.push(`  printf("SIZE ${name} %zu\\n", sizeof(${name}));`);
  for (const field of Object.keys(spec.fields)) {
    const m = `((${name} *)0)->${field}`;
    c.push(
      `  printf("FIELD ${name} ${field} %zu %zu %s %d\\n", offsetof(${name}, ${field}), sizeof(${m}), KIND(${m}), __builtin_classify_type(${m}));`,
    );
  }
}
c.push('  return 0;', '}', '');

const dir = mkdtempSync(join(tmpdir(), 'xpuscope-gen-layouts-'));
let lines;
try {
  writeFileSync(join(dir, 'layouts.c'), c.join('\n'));
  execFileSync(
    cc,
    ['-std=gnu11', '-Wall', '-Werror', '-I', incDir, '-o', join(dir, 'layouts'), join(dir, 'layouts.c')],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  lines = execFileSync(join(dir, 'layouts'), { encoding: 'utf8' }).trim().split('\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// ---- the results --------------------------------------------------------------------------------------
const stype = new Map();
const zesStype = new Map();
const sizes = new Map();
const fields = new Map(); // "struct field" -> { off, size }
const bad = [];
for (const line of lines) {
  const w = line.split(' ');
  if (w[0] === 'STYPE') stype.set(w[1], Number(w[2]));
  else if (w[0] === 'ZES_STYPE') zesStype.set(w[1], Number(w[2]));
  else if (w[0] === 'SIZE') sizes.set(w[1], Number(w[2]));
  else if (w[0] === 'FIELD') {
    const f = { off: Number(w[3]), size: Number(w[4]), kind: w[5], cls: Number(w[6]) };
    fields.set(`${w[1]} ${w[2]}`, f);
    const t = STRUCTS[w[1]].fields[w[2]];
    if (!fits(t, f))
      bad.push(`${w[1]}.${w[2]} is not a ${t} (C: ${f.size} bytes, ${f.kind}, type class ${f.cls})`);
  }
}
if (bad.length) throw new Error(`layout-spec.mjs does not match the headers:\n  ${bad.join('\n  ')}`);

const hex = (v) => `0x${v.toString(16)}`;
const obj = (entries) => `{\n${entries.map((e) => `  ${e},`).join('\n')}\n}`;
const body = [];
for (const [name, spec] of Object.entries(STRUCTS)) {
  const fs = [];
  for (const [field, t] of Object.entries(spec.fields)) {
    const f = fields.get(`${name} ${field}`);
    const len = t === 'chars' || t === 'bytes' ? f.size : t === 'u32s' ? f.size / 4 : undefined;
    const key = /^[A-Za-z_]\w*$/.test(field) ? field : `'${field}'`;
    fs.push(`${key}: { off: ${f.off}, type: '${t}'${len === undefined ? '' : `, len: ${len}`} }`);
  }
  const st = spec.stype ? stype.get(spec.stype) : spec.zesStype ? zesStype.get(spec.zesStype) : undefined;
  const parts = [`name: '${name}'`, `size: ${sizes.get(name)}`];
  if (st !== undefined) parts.push(`stype: ${hex(st)}`);
  parts.push(`fields: ${obj(fs)}`);
  body.push(`${name}: ${obj(parts)}`);
}

const src = `// GENERATED by runtime/scripts/gen-layouts.mjs — do not edit. The structs and fields are those of
// runtime/scripts/layout-spec.mjs; sizes, offsets, lengths and stype values come from compiling them
// against ${incDir}/level_zero/{ze_api,zes_api}.h (x86-64 Linux).
// Regenerate: node runtime/scripts/gen-layouts.mjs
import type { StructLayout } from './layouts.js';

/** ze_structure_type_t values used by the runtime. */
export const STYPE = ${obj(STYPES.map((k) => `${k}: ${hex(stype.get(k))}`))} as const;

/** zes_structure_type_t values used by the runtime (Sysman). */
export const ZES_STYPE = ${obj(ZES_STYPES.map((k) => `${k}: ${hex(zesStype.get(k))}`))} as const;

/** Every struct layout the runtime reads or writes, by C type name. */
export const LAYOUTS = ${obj(body)} as const satisfies Readonly<Record<string, StructLayout>>;
`;

// Format with the project's Prettier when it is installed, so `npm run lint` accepts the output.
let text = src;
try {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(join(here, '..', 'ze', 'x.ts'))) ?? {};
  text = await prettier.format(src, { ...options, parser: 'typescript' });
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  /* prettier not installed: keep the plain output */
}
writeFileSync(out, text);
console.log(
  `wrote ${out} (${Object.keys(STRUCTS).length} structs, ${STYPES.length + ZES_STYPES.length} stypes)`,
);
