// The importer's direct decoder (runtime/trace/event-decoder.ts) reads the common event shape straight
// from the bytes; anything unusual falls back to JSON.parse. Every import here runs twice — direct
// decoding on (the default) and off (every event through JSON.parse) — and must give exactly the same
// records, summary, devices and origin, or exactly the same TraceParseError (offset, line, column).
import { describe, expect, it } from 'vitest';
import { EventDecoder } from '../../../runtime/trace/event-decoder.js';
import { importTrace, type ImportResult, TraceParseError } from '../../../runtime/trace/index.js';
import { mulberry32 } from '../../../runtime/prng.js';

const SEED = Number(process.env.XPUSCOPE_FUZZ_SEED ?? 0xdec0de);
const OURS = '"otherData":{"xpuscope":{"version":"0.1.0","format":1,"baseNs":1000000000,"clock":"host ns"}}';
const OUR_META =
  '{"ph":"M","name":"process_name","pid":1,"args":{"name":"GPU0","xpuscope":{"device":0}}},\n' +
  '{"ph":"M","name":"thread_name","pid":1,"tid":1,"args":{"name":"stream 3 · compute ord0/idx0","xpuscope":{"device":0,"stream":3,"engine":{"ordinal":0,"index":0,"kind":"compute"},"level":0}}}';
const UNITRACE_META =
  '{"ph":"M","name":"process_name","pid":4294967295,"args":{"name":"DEVICE<host>[Intel(R) Arc(TM) A770] 0000:03:00.0 #0"}},\n' +
  '{"ph":"M","name":"thread_name","pid":4294967295,"tid":7,"args":{"name":"Thread 7 L0 Compute Engine<0,0>"}}';

/** An xpuscope / unitrace / Kineto / plain file around the given event texts. */
function file(kind: 'xpuscope' | 'unitrace' | 'kineto' | 'bare', events: string[]): Buffer {
  if (kind === 'bare') return Buffer.from(`[${events.join(',\n')}]`, 'utf8');
  const meta = kind === 'xpuscope' ? [OUR_META] : kind === 'unitrace' ? [UNITRACE_META] : [];
  const top =
    kind === 'xpuscope' ? `${OURS},` : kind === 'kineto' ? '"baseTimeNanoseconds":1700000000000000000,' : '';
  return Buffer.from(`{${top}"traceEvents":[\n${[...meta, ...events].join(',\n')}\n]}`, 'utf8');
}

type Outcome = { ok: ImportResult } | { error: string };

async function outcome(buf: Buffer, directDecode: boolean, chunkSize?: number): Promise<Outcome> {
  try {
    return { ok: await importTrace(buf, { directDecode, ...(chunkSize ? { chunkSize } : {}) }) };
  } catch (e) {
    if (!(e instanceof TraceParseError)) throw e;
    return { error: e.message };
  }
}

/** Imports with and without direct decoding and checks both agree; returns the direct result. */
async function same(buf: Buffer, chunkSize?: number): Promise<Outcome> {
  const direct = await outcome(buf, true, chunkSize);
  const parsed = await outcome(buf, false, chunkSize);
  expect(direct, buf.toString('utf8').slice(0, 600)).toEqual(parsed);
  return direct;
}

function records(o: Outcome): ImportResult['records'] {
  if (!('ok' in o)) throw new Error(`import failed: ${o.error}`);
  return o.ok.records;
}

const span = (fields: string) => `{"ph":"X",${fields}}`;
const ourArgs = '"args":{"id":7,"kind":"kernel","bytes":0,"submitNs":999999000,"deps":[5,6]}';

describe('direct event decoding (fast path) gives what JSON.parse gives', () => {
  it('decodes the common shape directly and declines what it does not handle', () => {
    const d = new EventDecoder();
    const lines = { count: 0, last: -1 };
    const dec = (s: string) => d.decode(Buffer.from(s + ',', 'utf8'), 0, Buffer.byteLength(s) + 1, lines);
    const common = `{"ph":"X","cat":"kernel","name":"gemm","pid":1,"tid":1,"ts":12.345,"dur":50.000,${ourArgs}}`;
    expect(dec(common)).toBe(Buffer.byteLength(common));
    expect([d.ph, d.cat, d.name, d.pid, d.tid, d.tsInt, d.tsFracNs, d.durInt, d.aId, d.aKind]).toEqual([
      0x58,
      'kernel',
      'gemm',
      1,
      1,
      12,
      345,
      50,
      7,
      'kernel',
    ]);
    expect(d.aDeps).toEqual([5, 6]);
    // Handled directly: unicode, unknown fields of any JSON type, other field orders, whitespace.
    for (const ok of [
      '{"ph":"X","name":"ñame 😀 名前","pid":1,"tid":1,"ts":1,"dur":2}',
      '{"args":{"x":[1,{"y":null}],"kind":"copy","id":3},"dur":0.5,"ts":-3.25,"tid":2,"pid":1,"ph":"X"}',
      '{ "ph" : "X" ,\n  "pid": 1, "tid": 1,\n  "ts": 1.0001, "dur": 1e3e, "z": true }'.replace('1e3e', '1'),
      '{"ph":"C","pid":1,"ts":0.5,"args":{"compute ord0/idx0":73.5,"copy":0,"e":1.5e-7}}',
      '{"ph":"X","name":"a\\"b\\u00e9","pid":1,"tid":1,"ts":1,"dur":1,"extra":"\\n\\t"}',
    ])
      expect(dec(ok), ok).toBeGreaterThan(0);
    expect(lines.count).toBe(0);
    expect(dec('{"ph":"X",\n"pid":1,\n"tid":1}')).toBeGreaterThan(0);
    expect(lines.count).toBe(2);
    // Declined: the JSON.parse path decides.
    for (const no of [
      '{"ph":"X","pid":"1"}', // a known field of another type
      '{"ph":"X","pid":1,"pid":2}', // duplicate known key
      '{"\\u0070h":"X"}', // escaped key
      '{"ph":"X","ts":1.5e3}', // exponent in ts
      '{"ph":"X","ts":1234567890123456.5}', // > 15 integer digits
      '{"ph":"X","ts":1.1234567891}', // > 9 fraction digits
      '{"ph":"X","pid":1.0}', // fraction where an integer is read
      '{"ph":"X","args":{"deps":[1,"2"]}}', // deps not all integers
      '{"ph":"X","args":[]}', // args not an object
      '{"ph":"XX"}', // ph not one character
      '{"ph":"X","pid":01}', // leading zero: invalid JSON
      '{"ph":"X","name":"a\tb"}', // raw control character: invalid JSON
      '{"ph":"X","name":"\\x"}', // bad escape: invalid JSON
      '{"ph":"X","z":tru}', // bad literal
      '{"ph":"X","z":[[[[[[[[[1]]]]]]]]]}', // deeper than the decoder follows
      '{"ph":"X","pid":1', // ends in this chunk
    ])
      expect(dec(no), no).toBe(-1);
  });

  it('xpuscope spans: escapes, unicode, exponents, negative and huge numbers, unknown fields, any order', async () => {
    const events = [
      span(`"cat":"kernel","name":"gemm","pid":1,"tid":1,"ts":12.345,"dur":50.000,${ourArgs}`),
      span(
        `"cat":"kernel","name":"we\\"ird\\\\ \\u00e9 \\ud83d\\ude00","pid":1,"tid":1,"ts":1,"dur":2,${ourArgs}`,
      ),
      span(`"cat":"kernel","name":"ünïcødé 名前 😀","pid":1,"tid":1,"ts":0.0005,"dur":0.9995,${ourArgs}`),
      span(`"cat":"kernel","name":"k","pid":1,"tid":1,"ts":-12.4999,"dur":3.4445,${ourArgs}`),
      span(`"cat":"kernel","name":"k","pid":1,"tid":1,"ts":1.5e3,"dur":2E-1,${ourArgs}`),
      span(
        `"cat":"kernel","name":"k","pid":1,"tid":1,"ts":123456789012345678,"dur":1.123456789012,${ourArgs}`,
      ),
      span(
        `"cat":"kernel","name":"k","pid":1,"tid":1,"ts":-0,"dur":0,"args":{"id":99999999999999999,"kind":"copy","bytes":1e6,"submitNs":-5,"deps":[]}`,
      ),
      `{"args":{"deps":[1],"extra":{"a":[true,false,null,-1.5e-300,"s"]},"kind":"fill","id":8,"startNs":1000000123,"endNs":1000000999},"dur":1,"ts":2,"tid":1,"pid":1,"name":"fill","cat":"fill","ph":"X","unknown":[1,2,{"x":"y"}]}`,
      span(`"cat":"kernel","name":"dup","name":"last","pid":1,"tid":1,"ts":1,"dur":1,${ourArgs}`),
      span(
        `"cat":"kernel","name":"k","pid":"1","tid":1,"ts":"3.5","dur":1,"args":{"id":"9","kind":"kernel","deps":["4",5,"x"]}`,
      ),
      span(`"cat":"kernel","name":"k","pid":1,"tid":1,"ts":1,"dur":1,"args":{"id":1,"kind":"nope"}`),
      span(
        `"name":"k","pid":1,"tid":1,"ts":1,"dur":1,"args":{"id":1,"kind":"kernel","__proto__":{"x":1}},"__proto__":5`,
      ),
      '{\n  "ph": "X",\n  "cat": "kernel",\n  "name": "pretty",\n  "pid": 1, "tid": 1,\n  "ts": 7.25, "dur": 1.5,\n  "args": {\n    "id": 11, "kind": "kernel", "deps": [ 7 , 8 ]\n  }\n}',
      '{"ph":"s","id":1,"cat":"dep","name":"dep","pid":1,"tid":1,"ts":1.5}',
      '{"ph":"f","bp":"e","id":1,"cat":"dep","name":"dep","pid":1,"tid":1,"ts":2.5}',
      '{"ph":"C","name":"engine busy %","pid":1,"ts":0.000,"args":{"compute ord0/idx0":73.5,"copy ord1/idx0":0}}',
      '{"ph":"i","name":"i","pid":1,"tid":1,"ts":1}',
      '{"ph":"B","pid":1,"tid":1,"ts":1}',
      '{"ph":"Q","pid":1}',
      '{"ph":"é"}',
      '{"ph":7}',
      '{}',
      '{"name":"no ph"}',
      span('"cat":"cpu_op","name":"aten::mm","pid":1,"tid":1,"ts":1,"dur":1'),
      span('"cat":"kernel","name":"no tid","pid":1,"ts":1,"dur":1'),
      span('"cat":"kernel","name":"no dur","pid":1,"tid":1,"ts":1'),
      span(`"cat":"kernel","name":"unknown lane","pid":2,"tid":9,"ts":1,"dur":1,${ourArgs}`),
    ];
    const o = await same(file('xpuscope', events));
    const recs = records(o);
    expect(recs.length).toBeGreaterThanOrEqual(12);
    expect(recs.map((r) => r.name)).toContain('we"ird\\ é 😀');
    expect(recs.map((r) => r.name)).toContain('ünïcødé 名前 😀');
    // Shared, read-only engine per lane and one frozen empty deps array.
    const lane = recs.filter((r) => r.device === 0 && r.stream === 3);
    expect(lane.length).toBeGreaterThan(2);
    for (const r of lane) expect(r.engine).toBe(lane[0]!.engine);
    expect(Object.isFrozen(lane[0]!.engine)).toBe(true);
    const empty = recs.filter((r) => r.deps.length === 0);
    expect(empty.length).toBeGreaterThan(1);
    for (const r of empty) expect(Object.isFrozen(r.deps)).toBe(true);
  });

  it('unitrace and Kineto spans (foreign origins, flows that carry submit times)', async () => {
    const ut = [
      '{"ph":"s","cat":"Flow_H2D_3_0","name":"a","pid":1,"tid":1,"id":3,"ts":1700000000000010.125}',
      '{"ph":"X","cat":"gpu_op","name":"Tile #0: gemm [SIMD32 {1; 1; 1} {8; 1; 1}]","pid":4294967295,"tid":7,"ts":1700000000000011.5,"dur":4.25,"args":{"id":3}}',
      '{"ph":"X","cat":"gpu_op","name":"zeCommandListAppendMemoryCopy(M2D)[4096]","pid":4294967295,"tid":7,"ts":1700000000000020,"dur":1,"args":{"id":4}}',
      '{"ph":"X","cat":"cpu_op","name":"zeCommandListAppendMemoryCopy","pid":1,"tid":1,"ts":1700000000000009,"dur":1}',
      '{"ph":"s","cat":"Flow_H2D_4_0","name":"a","pid":1,"tid":1,"id":4,"ts":1700000000000019}',
    ];
    const u = records(await same(file('unitrace', ut)));
    expect(u.map((r) => [r.kind, r.name, r.bytes])).toEqual([
      ['kernel', 'gemm', 0],
      ['copy', 'copy M2D', 4096],
    ]);
    const ki = [
      '{"ph":"X","cat":"cpu_op","name":"aten::mm","pid":100,"tid":100,"ts":1700000000000005,"dur":10}',
      '{"ph":"s","id":7,"pid":100,"tid":100,"ts":1700000000000006.5,"cat":"ac2g","name":"ac2g"}',
      '{\n    "ph": "X", "cat": "kernel", "name": "gemm", "pid": 0, "tid": 1,\n    "ts": 1700000000000010.5, "dur": 4.25,\n    "args": {\n      "External id": 23, "device": 0, "queued": 0, "correlation": 7, "grid": [1, 2, 3]\n    }\n  }',
      '{"ph":"X","cat":"gpu_memcpy","name":"Memcpy HtoD","pid":0,"tid":2,"ts":1700000000000020,"dur":1,"args":{"device":0,"bytes":4096,"correlation":99}}',
      '{"ph":"X","cat":"gpu_memset","name":"Memset","pid":0,"tid":2,"ts":-2.5,"dur":-1,"args":{"stream":5}}',
    ];
    const k = records(await same(file('kineto', ki)));
    // The copy waits for its launch (correlation 99, never seen) until the end.
    expect(k.map((r) => r.kind)).toEqual(['kernel', 'fill', 'copy']);
    expect(k[0]!.submitNs).toBe(k[0]!.startNs - 4000);
    const bare = records(await same(file('bare', ki)));
    expect(bare.length).toBe(3);
  });

  it('malformed events: the same TraceParseError (byte, line, column) as the JSON.parse path', async () => {
    const good = span(`"cat":"kernel","name":"g","pid":1,"tid":1,"ts":1,"dur":1,${ourArgs}`);
    const pretty =
      '{\n "ph": "X",\n "cat": "kernel", "name": "p", "pid": 1, "tid": 1,\n "ts": 1, "dur": 1\n}';
    const bad = [
      '{"ph":"X","pid":01}',
      '{"ph":"X","name":"a\tb"}',
      '{"ph":"X","name":"\\x"}',
      '{"ph":"X","z":tru}',
      '{"ph":"X","pid":1,}',
      '{"ph":"X" "pid":1}',
      '{"ph":"X","ts":1.}',
      '{"ph":"X","ts":-}',
      '{"ph":"X","args":{"deps":[1,]}}',
      '{"ph":"X","a":{"b":[1 2]}}',
    ];
    for (const b of bad) {
      const o = await same(file('xpuscope', [good, pretty, good, pretty, b, good]));
      expect('error' in o, b).toBe(true);
      if ('error' in o) expect(o.error).toMatch(/line (1[1-9]|[2-9]\d)/); // after the pretty events' lines
    }
    // Truncated in the middle of an event: everything before it, and where it stopped.
    const full = file('xpuscope', [good, pretty, good]);
    const cut = await same(full.subarray(0, full.length - 20));
    if (!('ok' in cut)) throw new Error(cut.error);
    expect(cut.ok.summary.truncated).toBe(true);
    expect(cut.ok.records.length).toBe(2);
  });

  it('random events, random formatting and chunk sizes: both paths agree', async () => {
    const rnd = mulberry32(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const nums = [
      '0',
      '-0',
      '1',
      '17',
      '-3',
      '12.5',
      '0.0005',
      '1.9995',
      '-7.25',
      '1e3',
      '2.5E-2',
      '1234567890123456',
      '99999999999999999999',
      '1.123456789',
      '1.1234567891',
      '4294967295',
    ];
    const strs = [
      '"k"',
      '"gemm_kernel"',
      '"é"',
      '"名前"',
      '"😀"',
      '"a\\"b"',
      '"\\u0041"',
      '"\\n"',
      '""',
      '"kernel"',
      '"copy"',
      '"fill"',
      '"gpu_op"',
      '"ac2g"',
    ];
    const values = () =>
      pick([
        pick(nums),
        pick(strs),
        'true',
        'false',
        'null',
        '[]',
        '{}',
        `[${pick(nums)},${pick(strs)}]`,
        `{"q":${pick(nums)}}`,
      ]);
    const ws = () => pick(['', '', '', ' ', '\n', '\n  ', '\t']);
    const obj = (fields: [string, string][]) => {
      for (let i = fields.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [fields[i], fields[j]] = [fields[j]!, fields[i]!];
      }
      return `{${ws()}${fields.map(([k, v]) => `"${k}"${ws()}:${ws()}${v}`).join(`${ws()},${ws()}`)}${ws()}}`;
    };
    for (let round = 0; round < 40; round++) {
      const kind = pick(['xpuscope', 'xpuscope', 'unitrace', 'kineto', 'bare'] as const);
      const events: string[] = [];
      for (let e = 0; e < 60; e++) {
        const f: [string, string][] = [];
        const r = rnd();
        f.push(['ph', r < 0.7 ? '"X"' : pick(['"s"', '"f"', '"C"', '"M"', '"i"', '"Z"', '1'])]);
        if (rnd() < 0.95)
          f.push([
            'cat',
            pick([
              '"kernel"',
              '"gpu_op"',
              '"gpu_memcpy"',
              '"ac2g"',
              '"Flow_H2D_1_0"',
              '"cpu_op"',
              pick(strs),
            ]),
          ]);
        if (rnd() < 0.95) f.push(['name', pick(strs)]);
        if (rnd() < 0.95) f.push(['pid', rnd() < 0.9 ? pick(['1', '0', '4294967295']) : values()]);
        if (rnd() < 0.95) f.push(['tid', rnd() < 0.9 ? pick(['1', '7', '2']) : values()]);
        if (rnd() < 0.95) f.push(['ts', rnd() < 0.8 ? pick(nums) : values()]);
        if (rnd() < 0.9) f.push(['dur', rnd() < 0.8 ? pick(nums) : values()]);
        if (rnd() < 0.2) f.push(['id', pick(nums)]);
        if (rnd() < 0.2) f.push([pick(['bp', 'zz', 's', 'ph2']), values()]);
        if (rnd() < 0.05) f.push(['name', pick(strs)]); // duplicate
        if (rnd() < 0.85) {
          const a: [string, string][] = [];
          if (rnd() < 0.8) a.push(['id', rnd() < 0.9 ? pick(['1', '2', '3', '7']) : values()]);
          if (rnd() < 0.8)
            a.push(['kind', rnd() < 0.9 ? pick(['"kernel"', '"copy"', '"fill"', '"bogus"']) : values()]);
          if (rnd() < 0.5) a.push(['bytes', pick(nums)]);
          if (rnd() < 0.5) a.push(['submitNs', pick(nums)]);
          if (rnd() < 0.2) a.push(['startNs', pick(nums)]);
          if (rnd() < 0.2) a.push(['endNs', pick(nums)]);
          if (rnd() < 0.5) a.push(['deps', pick(['[]', '[1]', '[1,2,3]', '["1"]', '[1.5]', values()])]);
          if (rnd() < 0.3) a.push(['correlation', pick(['1', '2', '3', '7'])]);
          if (rnd() < 0.2) a.push(['device', pick(['0', '1'])]);
          if (rnd() < 0.2) a.push(['stream', pick(['0', '5'])]);
          if (rnd() < 0.3) a.push([pick(['External id', 'grid', 'x', '__proto__']), values()]);
          f.push(['args', rnd() < 0.95 ? obj(a) : values()]);
        }
        events.push(obj(f));
      }
      const buf = file(kind, events);
      await same(buf, pick([undefined, 7, 61, 1024]));
      // And a broken copy: a byte replaced somewhere.
      const broken = Buffer.from(buf);
      broken[Math.floor(rnd() * broken.length)] = pick([0x22, 0x2c, 0x7d, 0x5d, 0x3a, 0x30, 0x2e, 0x09]);
      await same(broken);
    }
  });
});
