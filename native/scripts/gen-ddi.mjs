#!/usr/bin/env node
// Generates native/gen/ddi_tables.c and native/gen/xs_decls.h from the installed Level Zero DDI
// headers, the slot-version gating file and the implementations found in native/src/*.c.
//
// Convention: a driver entry point is implemented by defining, in native/src/*.c,
//     XS_IMPL ze_result_t xs_<zeFunctionName>(...)
// (XS_IMPL at the start of the line). Every other slot gets a generated stub that returns
// ZE_RESULT_ERROR_UNSUPPORTED_FEATURE. Extra slots that the installed headers do not know yet (newer
// API versions) are listed in native/ddi/extra-slots.txt with their index in the table.
//
// Usage: node native/scripts/gen-ddi.mjs [--include /usr/include/level_zero]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
let inc = '/usr/include/level_zero';
const ai = process.argv.indexOf('--include');
if (ai >= 0) inc = process.argv[ai + 1];

// ---- gating file -------------------------------------------------------------------------------
const gating = new Map(); // getter -> Map(slot -> [major, minor])
for (const line of fs.readFileSync(path.join(root, 'ddi/ddi-version-gating.txt'), 'utf8').split('\n')) {
  const l = line.trim();
  if (!l || l.startsWith('#')) continue;
  const m = /^(\w+):\s*(.*)$/.exec(l);
  if (!m) throw new Error(`bad gating line: ${l}`);
  const slots = new Map();
  for (const tok of m[2].split(/\s+/).filter(Boolean)) {
    const t = /^(\w+)@(\d+)_(\d+)$/.exec(tok);
    if (!t) throw new Error(`bad gating token ${tok}`);
    slots.set(t[1], [Number(t[2]), Number(t[3])]);
  }
  gating.set(m[1], slots);
}

// ---- corrections (native/ddi/gating-corrections.txt) -------------------------------------------
const corrFile = path.join(root, 'ddi/gating-corrections.txt');
if (fs.existsSync(corrFile)) {
  for (const line of fs.readFileSync(corrFile, 'utf8').split('\n')) {
    const l = line.replace(/#.*$/, '').trim();
    if (!l) continue;
    const m = /^(\w+)\s+(\w+)\s+(\d+)_(\d+)$/.exec(l);
    if (!m) throw new Error(`bad gating-corrections line: ${l}`);
    const slots = gating.get(m[1]);
    if (!slots || !slots.has(m[2])) throw new Error(`gating-corrections: unknown slot ${m[1]}.${m[2]}`);
    slots.set(m[2], [Number(m[3]), Number(m[4])]);
  }
}

// ---- extra slots (beyond the installed headers) ------------------------------------------------
// format: <getter> <index> <slot> <major>_<minor> <function> <prototype-params>
const extras = [];
const extraFile = path.join(root, 'ddi/extra-slots.txt');
if (fs.existsSync(extraFile)) {
  for (const line of fs.readFileSync(extraFile, 'utf8').split('\n')) {
    const l = line.trim();
    if (!l || l.startsWith('#')) continue;
    const m = /^(\w+)\s+(\d+)\s+(\w+)\s+(\d+)_(\d+)\s+(\w+)$/.exec(l);
    if (!m) throw new Error(`bad extra-slots line: ${l}`);
    extras.push({ getter: m[1], index: Number(m[2]), slot: m[3], ver: [Number(m[4]), Number(m[5])], fn: m[6] });
  }
}

// ---- headers -----------------------------------------------------------------------------------
const tables = []; // {prefix, getter, tableType, slots:[{slot, pfnType, fn}]}
const pfnParams = new Map(); // pfnType -> [param types]
for (const prefix of ['ze', 'zet', 'zes']) {
  const text = fs.readFileSync(path.join(inc, `${prefix}_ddi.h`), 'utf8').replace(/\/\/.*$/gm, '');
  for (const m of text.matchAll(/typedef\s+ze_result_t\s*\(\s*ZE_APICALL\s*\*\s*(\w+)\s*\)\s*\(([^;]*?)\)\s*;/g)) {
    const params = m[2].split(',').map((s) => s.replace(/\s+/g, ' ').trim()).filter((s) => s && s !== 'void');
    pfnParams.set(m[1], params);
  }
  for (const m of text.matchAll(/typedef\s+struct\s+_(\w+_dditable_t)\s*\{([^}]*)\}\s*(\w+)\s*;/g)) {
    const tableType = m[3];
    const slots = [];
    for (const f of m[2].matchAll(/(\w+)\s+(pfn\w+)\s*;/g)) {
      const pfnType = f[1];
      const fm = /^(ze|zet|zes)_pfn(\w+)_t$/.exec(pfnType);
      if (!fm) throw new Error(`unexpected pfn type ${pfnType}`);
      slots.push({ slot: f[2], pfnType, fn: fm[1] + fm[2] });
    }
    if (slots.length === 0) continue; // the aggregate ze_dditable_t
    // find the getter that takes this table type
    const gm = new RegExp(`ZE_DLLEXPORT\\s+ze_result_t\\s+ZE_APICALL\\s+(\\w+)\\s*\\(\\s*ze_api_version_t\\s+version\\s*,\\s*${tableType}\\s*\\*`).exec(text);
    if (!gm) throw new Error(`no getter for ${tableType}`);
    tables.push({ prefix, getter: gm[1], tableType, slots });
  }
}

// ---- implementations ---------------------------------------------------------------------------
const impl = new Set();
const srcDir = path.join(root, 'src');
for (const f of fs.readdirSync(srcDir).filter((f) => f.endsWith('.c')).sort()) {
  const text = fs.readFileSync(path.join(srcDir, f), 'utf8');
  for (const m of text.matchAll(/^XS_IMPL\s+ze_result_t\s+xs_(\w+)\s*\(/gm)) impl.add(m[1]);
}
const allFns = new Set();
for (const t of tables) for (const s of t.slots) allFns.add(s.fn);
for (const e of extras) allFns.add(e.fn);
for (const fn of impl) if (!allFns.has(fn)) throw new Error(`xs_${fn} is implemented but no DDI slot exists for ${fn}`);

// ---- emit --------------------------------------------------------------------------------------
const hdr = `// GENERATED by \`node native/scripts/gen-ddi.mjs\` — do not edit.
// Source: ${inc}/{ze,zet,zes}_ddi.h, native/ddi/ddi-version-gating.txt (+ gating-corrections.txt), native/ddi/extra-slots.txt, native/src/*.c
`;
const verC = ([a, b]) => `ZE_MAKE_VERSION(${a}, ${b})`;
let out = hdr + `#include "xpusim.h"\n#include "xs_decls.h"\n\n`;
let decls = hdr + `#pragma once\n#include <level_zero/ze_ddi.h>\n#include <level_zero/zet_ddi.h>\n#include <level_zero/zes_ddi.h>\n#include "xs_extra_types.h"\n\n`;
decls += `// Prototypes of the implemented entry points, typed by the headers' pfn typedefs so a wrong\n// signature fails to compile.\n`;
const seenDecl = new Set();
for (const t of tables) for (const s of t.slots) {
  if (impl.has(s.fn) && !seenDecl.has(s.fn)) { seenDecl.add(s.fn); decls += `extern __typeof__(*(${s.pfnType})0) xs_${s.fn};\n`; }
}
for (const e of extras) if (impl.has(e.fn) && !seenDecl.has(e.fn)) { seenDecl.add(e.fn); decls += `extern __typeof__(*(xs_pfn_${e.fn}_t)0) xs_${e.fn};\n`; }
decls += `\n#define XS_IMPLEMENTED_COUNT ${impl.size}\n`;

// stubs
out += `// ---- stubs: ZE_RESULT_ERROR_UNSUPPORTED_FEATURE ----\n`;
const stubbed = new Set();
for (const t of tables) for (const s of t.slots) {
  if (impl.has(s.fn) || stubbed.has(s.fn)) continue;
  stubbed.add(s.fn);
  const params = pfnParams.get(s.pfnType);
  if (!params) throw new Error(`no typedef for ${s.pfnType}`);
  const args = params.map((p, i) => `${p} a${i}`).join(', ') || 'void';
  const voids = params.map((_, i) => `(void)a${i}; `).join('');
  out += `static ze_result_t ZE_APICALL stub_${s.fn}(${args}) { ${voids}return xs_unsupported("${s.fn}"); }\n`;
}
out += `\n// ---- getters ----\n`;
let nImplSlots = 0, nSlots = 0;
const rows = [];
for (const t of tables) {
  const g = gating.get(t.getter);
  if (!g) throw new Error(`getter ${t.getter} missing from gating file`);
  out += `ZE_DLLEXPORT ze_result_t ZE_APICALL ${t.getter}(ze_api_version_t version, ${t.tableType} *t)\n{\n`;
  out += `    if (t == NULL) return ZE_RESULT_ERROR_INVALID_NULL_POINTER;\n`;
  out += `    if (ZE_MAJOR_VERSION(version) != 1) return ZE_RESULT_ERROR_UNSUPPORTED_VERSION;\n`;
  for (const s of t.slots) {
    const v = g.get(s.slot);
    if (!v) throw new Error(`${t.getter}.${s.slot} missing from gating file`);
    const fn = impl.has(s.fn) ? `xs_${s.fn}` : `stub_${s.fn}`;
    nSlots++; if (impl.has(s.fn)) nImplSlots++;
    rows.push({ fn: s.fn, ver: v, impl: impl.has(s.fn) });
    out += `    if (version >= ${verC(v)}) t->${s.slot} = ${fn};\n`;
  }
  for (const e of extras.filter((e) => e.getter === t.getter)) {
    if (e.index < t.slots.length) throw new Error(`extra slot ${e.slot} index ${e.index} overlaps header slots`);
    const gv = g.get(e.slot);
    if (!gv || gv[0] !== e.ver[0] || gv[1] !== e.ver[1]) throw new Error(`extra slot ${e.slot} version disagrees with gating file`);
    const fn = impl.has(e.fn) ? `(void *)xs_${e.fn}` : 'NULL';
    rows.push({ fn: e.fn, ver: e.ver, impl: impl.has(e.fn) });
    out += `    if (version >= ${verC(e.ver)}) ((void **)t)[${e.index}] = ${fn}; // ${e.slot}: not in the installed header\n`;
  }
  out += `    return ZE_RESULT_SUCCESS;\n}\n\n`;
}
// implemented-function list for diagnostics
out += `const char *const xs_implemented_functions[] = {\n${[...impl].sort().map((f) => `    "${f}",\n`).join('')}    NULL\n};\n`;

fs.mkdirSync(path.join(root, 'gen'), { recursive: true });
fs.writeFileSync(path.join(root, 'gen/ddi_tables.c'), out);
fs.writeFileSync(path.join(root, 'gen/xs_decls.h'), decls);
// Markdown table of implemented calls (used by native/README.md)
rows.sort((a, b) => a.fn.localeCompare(b.fn));
let md = `<!-- GENERATED by \`node native/scripts/gen-ddi.mjs\` — do not edit. -->\n# Level Zero entry points in libze_xpusim.so\n\n` +
  `${impl.size} implemented of ${rows.length} slots known (installed headers + extra-slots.txt).\n\n| function | since | implemented |\n|---|---|---|\n`;
const seenRow = new Set();
for (const r of rows) { if (seenRow.has(r.fn)) continue; seenRow.add(r.fn); md += `| ${r.fn} | ${r.ver[0]}.${r.ver[1]} | ${r.impl ? 'yes' : 'stub (UNSUPPORTED_FEATURE)'} |\n`; }
fs.writeFileSync(path.join(root, 'gen/IMPLEMENTED.md'), md);
console.log(`gen-ddi: ${tables.length} getters, ${nSlots} header slots, ${impl.size} implemented functions`);
