// Issue 8: the trace importer against truncated, malformed and adversarial input. Every case must
// either import or throw TraceParseError saying where (byte offset) — never another exception type,
// never hang — and memory must stay bounded. Seeded PRNG: failures reproduce (the seed and case index
// are in the assertion message).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSyntheticTrace, importTrace, TraceParseError } from '../../../runtime/trace/index.js';
import { tempDir } from './helpers.js';
import { mulberry32 } from '../../../runtime/prng.js';

const SEED = Number(process.env.XPUSCOPE_FUZZ_SEED ?? 0x5eed);

const dir = tempDir();
const enc = (s: string) => Buffer.from(s, 'utf8');

// Valid seeds: xpuscope's own export (synthetic), unitrace and Kineto layouts, bare-array form.
function seeds(): Buffer[] {
  const xp = join(dir, 'seed-xpuscope.json');
  generateSyntheticTrace(xp, 24 << 10, { seed: 7, writer: { counterIntervalNs: 0 } });
  const ut = join(dir, 'seed-unitrace.json');
  generateSyntheticTrace(ut, 16 << 10, { seed: 9, format: 'unitrace' });
  const kineto = JSON.stringify({
    schemaVersion: 1,
    deviceProperties: [{ id: 0, name: 'Intel(R) Arc(TM) A770 Graphics', totalGlobalMem: 16225243136 }],
    baseTimeNanoseconds: 1700000000000000000,
    traceEvents: [
      {
        ph: 'X',
        cat: 'kernel',
        name: 'gemm',
        pid: 0,
        tid: 1,
        ts: 10.5,
        dur: 4.25,
        args: { device: 0, queued: 0, correlation: 7 },
      },
      {
        ph: 'X',
        cat: 'gpu_memcpy',
        name: 'Memcpy HtoD',
        pid: 0,
        tid: 2,
        ts: 20,
        dur: 1,
        args: { device: 0, bytes: 4096 },
      },
      { ph: 'X', cat: 'cpu_op', name: 'aten::mm', pid: 100, tid: 100, ts: 5, dur: 10 },
      { ph: 's', id: 7, pid: 100, tid: 100, ts: 6, cat: 'ac2g', name: 'ac2g' },
      { ph: 'f', id: 7, pid: 0, tid: 1, ts: 10.5, cat: 'ac2g', name: 'ac2g', bp: 'e' },
      { ph: 'M', name: 'process_name', pid: 0, args: { name: 'XPU 0' } },
    ],
  });
  const bare = JSON.stringify([
    { ph: 'X', name: 'k', pid: 1, tid: 1, ts: 1, dur: 2 },
    { ph: 'M', name: 'thread_name', pid: 1, tid: 1, args: { name: 't' } },
  ]);
  return [readFileSync(xp), readFileSync(ut), enc(kineto), enc(bare)];
}

const ADVERSARIAL_TOKENS = [
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '"',
  '\\',
  '\\u',
  '\\ud800',
  'null',
  'true',
  'false',
  '-',
  '0',
  '1e999',
  '-1e-999',
  '123456789012345678901234567890',
  'NaN',
  'Infinity',
  '"ts"',
  '"dur"',
  '"ph"',
  '"X"',
  '"traceEvents"',
  '"__proto__"',
  '"constructor"',
  '\u0000',
  '\uFEFF',
  '\n',
  ' ',
];

function mutate(src: Buffer, rnd: () => number): Buffer {
  const pick = (n: number) => Math.floor(rnd() * n);
  const b = Buffer.from(src);
  switch (pick(8)) {
    case 0: // truncate
      return b.subarray(0, pick(b.length + 1));
    case 1: {
      // flip bytes
      for (let i = 0, n = 1 + pick(8); i < n; i++) b[pick(b.length)] = pick(256);
      return b;
    }
    case 2: {
      // insert an adversarial token
      const at = pick(b.length + 1);
      const tok = enc(ADVERSARIAL_TOKENS[pick(ADVERSARIAL_TOKENS.length)] as string);
      return Buffer.concat([b.subarray(0, at), tok, b.subarray(at)]);
    }
    case 3: {
      // delete a range
      const at = pick(b.length);
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + pick(64))]);
    }
    case 4: {
      // duplicate a range
      const at = pick(b.length);
      const len = 1 + pick(256);
      return Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
    }
    case 5: {
      // replace a number with a huge / odd one
      const s = b.toString('latin1');
      const nums = [...s.matchAll(/-?\d+(\.\d+)?/g)];
      const m = nums[pick(nums.length)];
      if (!m || m.index === undefined) return b;
      const repl = [
        '1e308',
        '-1e308',
        '1e999',
        '99999999999999999999999',
        '0.0000000000000000000001',
        '-0',
        '1.5e-400',
        '18446744073709551616',
      ][pick(8)] as string;
      return Buffer.from(s.slice(0, m.index) + repl + s.slice(m.index + m[0].length), 'latin1');
    }
    case 6: {
      // wrong types for known keys
      const s = b.toString('latin1');
      const keys = [
        '"ts":',
        '"dur":',
        '"pid":',
        '"tid":',
        '"ph":',
        '"args":',
        '"name":',
        '"id":',
        '"traceEvents":',
      ];
      const k = keys[pick(keys.length)] as string;
      const at = s.indexOf(k, pick(s.length));
      if (at < 0) return b;
      const vals = ['[]', '{}', 'null', 'true', '"x"', '-1', '[[[[1]]]]', '{"a":{"b":{}}}', '"\\u0000"'];
      const v = vals[pick(vals.length)] as string;
      return Buffer.from(s.slice(0, at + k.length) + v + ',"_x":' + s.slice(at + k.length), 'latin1');
    }
    default: {
      // invalid UTF-8 / BOM / NULs at a random place
      const junk = [
        Buffer.from([0xff, 0xfe]),
        Buffer.from([0xc3]),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from([0]),
      ][pick(5)] as Buffer;
      const at = pick(b.length + 1);
      return Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
    }
  }
}

function randomBytes(rnd: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
  return b;
}

/** Imports; returns 'ok' or 'parse-error'; anything else fails the test with the case's id. */
async function attempt(input: Buffer, id: string): Promise<'ok' | 'parse-error'> {
  // some small cases in tiny chunks (tokens split across chunk boundaries)
  const chunkSize = input.length < 2048 && input.length % 5 === 0 ? 3 : 1 << 16;
  try {
    await importTrace(input, { chunkSize });
    return 'ok';
  } catch (e) {
    if (!(e instanceof TraceParseError)) {
      throw new Error(`case ${id}: ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
    }
    expect(e.message, id).toMatch(/at byte \d+ \(line \d+, column \d+\)/);
    expect(e.offset, id).toBeGreaterThanOrEqual(0);
    expect(e.offset, id).toBeLessThanOrEqual(input.length + 3); // BOM / end of input
    return 'parse-error';
  }
}

describe('trace importer fuzz', () => {
  it('a few thousand mutated, truncated and random inputs import or throw TraceParseError with an offset', async () => {
    const rnd = mulberry32(SEED);
    const base = seeds();
    const counts = { ok: 0, 'parse-error': 0 };
    const t0 = Date.now();
    let n = 0;
    for (; n < 4000; n++) {
      const id = `seed=${SEED} #${n}`;
      let input: Buffer;
      const r = rnd();
      if (r < 0.1) input = randomBytes(rnd, Math.floor(rnd() * 512));
      else {
        let b = base[Math.floor(rnd() * base.length)] as Buffer;
        // keep cases small so thousands fit in the time budget: cut the big seeds to a window
        if (b.length > 6144) {
          if (rnd() < 0.3)
            b = b.subarray(0, 1024 + Math.floor(rnd() * 5120)); // a valid, truncated prefix
          else {
            const from = Math.floor(rnd() * (b.length - 4096));
            b = Buffer.concat([b.subarray(0, 512), b.subarray(from, from + 1024 + Math.floor(rnd() * 3072))]);
          }
        }
        for (let m = 0, k = 1 + Math.floor(rnd() * 3); m < k; m++) b = mutate(b, rnd);
        input = b;
      }
      counts[await attempt(input, id)]++;
    }
    const ms = Date.now() - t0;
    console.log(`fuzz: ${n} cases in ${ms} ms`, counts);
    expect(counts.ok).toBeGreaterThan(50); // truncation keeps many inputs importable
    expect(counts['parse-error']).toBeGreaterThan(100);
    expect(ms).toBeLessThan(10_000);
  });

  it('hand-written adversarial inputs: deep nesting, huge numbers, wrong types, giant strings, BOMs, invalid UTF-8', async () => {
    const cases: [string, Buffer][] = [
      ['empty', Buffer.alloc(0)],
      ['whitespace', enc(' \n\t ')],
      ['bom only', Buffer.from([0xef, 0xbb, 0xbf])],
      ['bom + trace', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), enc('{"traceEvents":[]}')])],
      ['double bom', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), enc('[]')])],
      ['utf16 bom', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('[]', 'utf16le')])],
      ['deep arrays', enc('['.repeat(100_000))],
      ['deep arrays closed', enc('['.repeat(5000) + ']'.repeat(5000))],
      [
        'deep objects in event',
        enc('{"traceEvents":[' + '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000) + ']}'),
      ],
      [
        'deep top-level value',
        enc('{"otherData":' + '['.repeat(50_000) + ']'.repeat(50_000) + ',"traceEvents":[]}'),
      ],
      [
        'huge number',
        enc(`{"traceEvents":[{"ph":"X","ts":${'9'.repeat(100_000)},"dur":1,"pid":1,"tid":1}]}`),
      ],
      ['1e999', enc('{"traceEvents":[{"ph":"X","ts":1e999,"dur":-1e999,"pid":1e999,"tid":-0}]}')],
      [
        'wrong types',
        enc(
          '{"traceEvents":[{"ph":1,"ts":"x","dur":[],"pid":{},"tid":null,"args":"s","name":7},[],"s",1,null,true]}',
        ),
      ],
      ['traceEvents not an array', enc('{"traceEvents":{"a":1}}')],
      ['traceEvents string', enc('{"traceEvents":"[]"}')],
      ['top-level number', enc('42')],
      ['top-level string', enc('"traceEvents"')],
      [
        '__proto__ keys',
        enc(
          '{"__proto__":{"polluted":1},"traceEvents":[{"__proto__":{"ph":"X"},"ph":"X","ts":1,"dur":1,"pid":1,"tid":1,"args":{"__proto__":1}}]}',
        ),
      ],
      ['giant string', enc('{"traceEvents":[{"ph":"X","name":"' + 'a'.repeat(20 << 20) + '"}]}')],
      ['giant key', enc('{"' + 'k'.repeat(20 << 20) + '":1,"traceEvents":[]}')],
      ['unterminated string', enc('{"traceEvents":[{"name":"abc')],
      [
        'lone surrogate escape',
        enc('{"traceEvents":[{"ph":"X","name":"\\ud800\\u0041","ts":1,"dur":1,"pid":1,"tid":1}]}'),
      ],
      ['bad escape', enc('{"traceEvents":[{"name":"\\x41"}]}')],
      [
        'invalid utf8 in string',
        Buffer.concat([
          enc('{"traceEvents":[{"ph":"X","name":"'),
          Buffer.from([0xc3, 0x28, 0xff, 0xed, 0xa0, 0x80]),
          enc('","ts":1,"dur":1,"pid":1,"tid":1}]}'),
        ]),
      ],
      [
        'invalid utf8 outside strings',
        Buffer.concat([enc('{"traceEvents":['), Buffer.from([0xff]), enc(']}')]),
      ],
      ['nul bytes', Buffer.from([0x7b, 0, 0, 0x7d])],
      ['control char in string', enc('{"traceEvents":[{"name":"a\u0001b"}]}')],
      ['trailing garbage', enc('{"traceEvents":[]} xyz')],
      ['two documents', enc('[][]')],
      ['many commas', enc('{"traceEvents":[,,,,]}')],
      ['trailing comma', enc('{"traceEvents":[{"ph":"X"},]}')],
      ['literal typo', enc('{"traceEvents":[nul]}')],
      [
        'many events, truncated',
        enc('{"traceEvents":[' + '{"ph":"X","ts":1,"dur":1,"pid":1,"tid":1},'.repeat(20_000)),
      ],
    ];
    const results: Record<string, string> = {};
    const t0 = Date.now();
    for (const [name, input] of cases) results[name] = await attempt(input, name);
    expect(Date.now() - t0).toBeLessThan(10_000);
    // Spot checks: well-formed edge cases import, broken ones are parse errors.
    expect(results['bom + trace']).toBe('ok');
    expect(results['deep arrays']).toBe('parse-error');
    expect(results['trailing garbage']).toBe('parse-error');
    expect(results['many events, truncated']).toBe('ok');
    expect({} as Record<string, unknown>).not.toHaveProperty('polluted');
  });

  it('memory stays bounded on a large adversarial input (deeply nested, giant strings, many events)', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = process.memoryUsage().heapUsed;
    // ~48 MiB fed in chunks without ever being one string: 2 000 events each with a 16 KiB string
    // and 40-deep nesting, then a truncated giant string.
    const ev = enc(
      `{"ph":"X","name":"${'x'.repeat(16 << 10)}","args":${'{"a":'.repeat(40)}1${'}'.repeat(40)},"ts":1,"dur":1,"pid":1,"tid":1},`,
    );
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield enc('{"traceEvents":[');
      for (let i = 0; i < 3000; i++) yield ev;
      yield enc('{"name":"');
      const s = Buffer.alloc(1 << 20, 0x61);
      for (let i = 0; i < 8; i++) yield s;
    }
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed - before)), 5);
    let outcome: string;
    try {
      const r = await importTrace(chunks(), { onRecords: () => {} });
      outcome = `ok truncated=${r.summary.truncated}`;
    } catch (e) {
      if (!(e instanceof TraceParseError)) throw e;
      outcome = 'parse-error';
    } finally {
      clearInterval(timer);
    }
    gc?.();
    const after = process.memoryUsage().heapUsed - before;
    expect(outcome).toMatch(/^ok truncated=true$|^parse-error$/);
    // onRecords streams the records out: retained memory does not grow with the ~56 MiB read.
    expect(after).toBeLessThan(32 << 20);
    expect(peak).toBeLessThan(160 << 20);
  });
});
