import { describe, expect, it } from 'vitest';
import {
  TraceJsonParser,
  TraceParseError,
  parseTraceJson,
  type JsonStreamResult,
} from '../../../runtime/trace/index.js';

function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

/** Feeds `bytes` in random-sized chunks (1 … maxChunk bytes). */
function parseChunked(
  bytes: Uint8Array,
  seed: number,
  maxChunk: number,
  fast = true,
): { events: unknown[]; top: Record<string, unknown>; result: JsonStreamResult; offsets: number[] } {
  const events: unknown[] = [];
  const offsets: number[] = [];
  const top: Record<string, unknown> = {};
  const p = new TraceJsonParser(
    { onEvent: (e, o) => (events.push(e), offsets.push(o)), onTopLevel: (k, v) => (top[k] = v) },
    { fastElements: fast },
  );
  const rand = rng(seed);
  for (let o = 0; o < bytes.length;) {
    const n = 1 + Math.floor(rand() * maxChunk);
    p.feed(bytes.subarray(o, o + n));
    o += n;
  }
  return { events, top, result: p.end(), offsets };
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

const tricky = [
  'plain',
  'quote " inside',
  'back\\slash',
  'ends with backslash \\',
  '\\\\"',
  'unicode ünï ✓ 日本語 😀',
  'control \n\t\r\b\f chars',
  '\u0000\u001f',
  '',
  '}]{["',
];

function makeDoc(nEvents: number): { text: string; expected: unknown[] } {
  const rand = rng(7);
  const expected: unknown[] = [];
  for (let i = 0; i < nEvents; i++) {
    expected.push({
      ph: 'X',
      name: tricky[i % tricky.length]! + i,
      pid: i % 3,
      tid: 4294967295 - i,
      ts: Math.round(rand() * 1e9) / 1000,
      dur: i ? -0.5e-3 * i : 1,
      args: {
        nested: { deep: [1, [2, [3, { x: null }]], true, false], e: 1.5e300 },
        s: tricky[(i * 7) % tricky.length],
        big: 2 ** 53 + 2,
      },
    });
  }
  return {
    text: JSON.stringify(
      { otherData: { a: [1, 2, 'x'] }, traceEvents: expected, displayTimeUnit: 'ns' },
      null,
      i2(nEvents),
    ),
    expected,
  };
}
const i2 = (n: number): number | undefined => (n % 2 ? 1 : undefined);

describe('streaming JSON parser', () => {
  it('extracts every event with tokens split across random chunk boundaries (both paths)', () => {
    const { text, expected } = makeDoc(301);
    const bytes = enc(text);
    for (const fast of [true, false]) {
      for (const [seed, max] of [
        [1, 1],
        [2, 7],
        [3, 64],
        [4, 4096],
      ] as const) {
        const { events, top, result } = parseChunked(bytes, seed, max, fast);
        expect(result.truncated).toBe(false);
        expect(result.form).toBe('object');
        expect(result.events).toBe(expected.length);
        expect(events).toEqual(expected);
        expect(top).toEqual({ otherData: { a: [1, 2, 'x'] }, displayTimeUnit: 'ns' });
        expect(result.bytes).toBe(bytes.length);
      }
    }
  });

  it('reads the bare-array form, a BOM, scalars and empty arrays', () => {
    const r = parseChunked(enc('\ufeff [ {"a":1}, 2, "s", [], {} ] \n'), 5, 3);
    expect(r.events).toEqual([{ a: 1 }, 2, 's', [], {}]);
    expect(r.result.form).toBe('array');
    expect(parseChunked(enc('{"traceEvents":[]}'), 1, 5).events).toEqual([]);
    expect(parseChunked(enc('{}'), 1, 5).result.sawTraceEvents).toBe(false);
  });

  it('reports the byte offset of each event', () => {
    const text = '{"traceEvents":[\n{"a":1},\n{"b":2}]}';
    const r = parseChunked(enc(text), 1, 4);
    expect(r.offsets).toEqual([text.indexOf('{"a"'), text.indexOf('{"b"')]);
  });

  it('keeps the source text of precise keys', async () => {
    const events: unknown[] = [];
    for (const fast of [true, false]) {
      events.length = 0;
      await parseTraceJson(
        enc('{"traceEvents":[{"ts":1700000000123456.789,"dur":5,"x":1.5,"args":{"ts":0.25}}]}'),
        { onEvent: (e) => events.push(e) },
        { preciseKeys: new Set(['ts', 'dur']), fastElements: fast },
      );
      expect(events[0]).toMatchObject({ ts: '1700000000123456.789', x: 1.5 });
      expect([5, '5']).toContain((events[0] as { dur: unknown }).dur);
    }
  });

  it('imports what a truncated file holds and says where it stopped', () => {
    const full = '{"traceEvents":[\n{"ph":"X","n":1},\n{"ph":"X","n":2},\n{"ph":"X","name":"half wr';
    for (const fast of [true, false]) {
      const r = parseChunked(enc(full), 3, 9, fast);
      expect(r.events).toEqual([
        { ph: 'X', n: 1 },
        { ph: 'X', n: 2 },
      ]);
      expect(r.result.truncated).toBe(true);
      expect(r.result.truncatedAt).toBe(full.lastIndexOf('{'));
      const noClose = parseChunked(enc('{"traceEvents":[{"a":1},\n'), 1, 4, fast);
      expect(noClose.events).toEqual([{ a: 1 }]);
      expect(noClose.result).toMatchObject({ truncated: true, truncatedAt: 25 });
    }
  });

  it('every prefix of a document parses to a prefix of its events', () => {
    const { text, expected } = makeDoc(12);
    const bytes = enc(text);
    for (let cut = 1; cut < bytes.length; cut += 13) {
      const r = parseChunked(bytes.subarray(0, cut), cut, 50);
      expect(expected.slice(0, r.events.length)).toEqual(r.events);
      expect(r.result.truncated).toBe(true);
    }
  });

  it.each([
    ['{"traceEvents":[{"a":1},\n{"b":tru}]}', 2, /unknown literal 'tru'/],
    ['{"traceEvents":[{"a":1}\n {"b":2}]}', 2, /expected ',' or ']'/],
    ['{"traceEvents":[{"a":1},\n  {"b" 2}]}', 2, /expected ':'/],
    ['{"traceEvents":[{"a":01}]}', 1, /invalid number '01'/],
    ['{"traceEvents":[{"a":"x\\q"}]}', 1, /bad string escape/],
    ['{"traceEvents":[{"a":[1,2}]}', 1, /expected ',' or ']'/],
    ['x', 1, /must start with/],
    ['{"traceEvents":[]} x', 1, /after the end/],
  ])('malformed input %j fails with its location', (text, line, reason) => {
    for (const fast of [true, false]) {
      let err: unknown;
      try {
        parseChunked(enc(text), 2, 5, fast);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TraceParseError);
      const e = err as TraceParseError;
      expect(e.message).toMatch(reason);
      expect(e.line).toBe(line);
      expect(e.message).toMatch(/at byte \d+ \(line \d+, column \d+\)/);
      // The reported position is inside the document and at or after the start of the bad token's event.
      expect(e.offset).toBeGreaterThanOrEqual(0);
      expect(e.offset).toBeLessThanOrEqual(text.length);
    }
  });

  it('points at the exact bad byte', () => {
    const text = '{"traceEvents":[{"a":1},\n{"b":2, "c": @}]}';
    for (const fast of [true, false]) {
      try {
        parseChunked(enc(text), 1, 6, fast);
        expect.unreachable();
      } catch (e) {
        expect((e as TraceParseError).offset).toBe(text.indexOf('@'));
        expect((e as TraceParseError).column).toBe(text.indexOf('@') - text.indexOf('\n'));
      }
    }
  });

  it('caps nesting depth, string and number length', () => {
    const deep = '{"traceEvents":[' + '['.repeat(100) + ']'.repeat(100) + ']}';
    expect(() => parseChunked(enc(deep), 1, 50)).toThrow(/nesting deeper than 64/);
    expect(() => parseChunked(enc(deep), 1, 50, false)).toThrow(/nesting deeper than 64/);
    const p = new TraceJsonParser({ onEvent() {} }, { maxStringBytes: 100, fastElements: false });
    expect(() => p.feed(enc(`{"traceEvents":[{"a":"${'x'.repeat(200)}"}]}`))).toThrow(
      /string longer than 100 bytes/,
    );
    const q = new TraceJsonParser({ onEvent() {} }, { maxEventBytes: 100 });
    expect(() => q.feed(enc(`{"traceEvents":[{"a":"${'x'.repeat(200)}"}]}`))).toThrow(
      /larger than 100 bytes/,
    );
    const n = new TraceJsonParser({ onEvent() {} });
    expect(() => n.feed(enc(`{"traceEvents":[${'1'.repeat(100)}]}`))).toThrow(/number longer than 64/);
    expect(() => new TraceJsonParser({ onEvent() {} }).end()).toThrow(/empty input/);
  });

  it('skips oversized top-level values but keeps reading', () => {
    const events: unknown[] = [];
    const top: Record<string, unknown> = {};
    const p = new TraceJsonParser(
      { onEvent: (e) => events.push(e), onTopLevel: (k, v) => (top[k] = v) },
      { maxTopLevelNodes: 10 },
    );
    p.feed(
      enc(
        JSON.stringify({
          samples: Array.from({ length: 50 }, (_, i) => ({ i })),
          small: [1],
          traceEvents: [{ a: 1 }],
        }),
      ),
    );
    const r = p.end();
    expect(r.skippedTopLevel).toEqual(['samples']);
    expect(top).toEqual({ small: [1] });
    expect(events).toEqual([{ a: 1 }]);
  });

  it('does not let "__proto__" keys change prototypes', () => {
    const r = parseChunked(enc('[{"__proto__":{"polluted":1}}]'), 1, 100, false);
    const ev = r.events[0] as Record<string, unknown>;
    expect(Object.getPrototypeOf(ev)).toBe(Object.prototype);
    expect(ev.__proto__).toEqual({ polluted: 1 });
  });
});

describe('strictness is the same on both paths', () => {
  it('rejects raw control characters inside strings', () => {
    for (const fast of [true, false]) {
      expect(() => parseChunked(enc('{"traceEvents":[{"a":"x\ty"}]}'), 1, 100, fast)).toThrow(
        /control character/,
      );
    }
  });
});
