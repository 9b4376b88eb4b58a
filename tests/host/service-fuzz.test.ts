// Fuzzing the service's message handling: 10,000 random and mutated messages (random bytes, random
// text, wrong types, unknown and prototype method names, huge numbers, deep nesting, oversized) go to
// createService().handle(). Every one must get a well-formed error or result reply (never a throw,
// never an echo of the huge input), and afterwards a valid devices.list must still answer correctly.
// Deterministic: a fixed seed for a tiny PRNG (mulberry32), no dependencies.
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES } from '../../protocol/contract.js';
import type { DeviceList } from '../../protocol/devices.js';
import { ErrorCodes, UNKNOWN_ID, createService, type ReplyMessage } from '../../host/service.js';
import { SIM_BUILT } from './helpers.js';
import { mulberry32 } from '../../runtime/prng.js';

const SEED = 0x5eed_2026;
const COUNT = 10_000;

const rnd = mulberry32(SEED);
const int = (n: number): number => Math.floor(rnd() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
const chance = (p: number): boolean => rnd() < p;

/** Methods whose valid calls are harmless; the rest always get an extra key so their strict schemas refuse them. */
const SAFE_METHODS = ['devices.list', 'service.hello', 'devices.properties'];
const OTHER_METHODS = [
  'diag.run',
  'scenario.run',
  'scenario.list',
  'capture.state',
  'capture.control',
  'captures.list',
  'captures.select',
  'captures.close',
  'trace.export',
  'trace.import',
];
const WEIRD_METHODS = [
  '',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'devices',
  'devices.list ',
  'DEVICES.LIST',
  'x'.repeat(65),
  '\u0000',
  'devices.list\u0000',
  '🎉',
  'a.b.c',
];
const HUGE_NUMBERS = [
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 1,
  2 ** 64,
  1e308,
  -1e308,
  Number.MIN_VALUE,
  -0,
  -1,
  0.5,
  1e-300,
  2 ** 31,
  -(2 ** 31) - 1,
];

function randomString(max: number): string {
  const n = int(max);
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rnd();
    // mostly ASCII, some BMP, some lone surrogates and control characters
    s += String.fromCharCode(
      r < 0.7 ? 32 + int(95) : r < 0.85 ? int(0x10000) : r < 0.93 ? 0xd800 + int(0x800) : int(32),
    );
  }
  return s;
}

function randomValue(depth: number): unknown {
  const r = int(depth > 3 ? 6 : 9);
  switch (r) {
    case 0:
      return null;
    case 1:
      return chance(0.5);
    case 2:
      return chance(0.5) ? pick(HUGE_NUMBERS) : int(1000) - 500;
    case 3:
      return randomString(20);
    case 4:
      return pick([...SAFE_METHODS, ...OTHER_METHODS, ...WEIRD_METHODS]);
    case 5:
      return chance(0.5) ? {} : [];
    case 6:
    case 7: {
      const o: Record<string, unknown> = {};
      for (let i = int(5); i > 0; i--)
        o[
          chance(0.3)
            ? pick(['id', 'method', 'params', 'device', 'level', '__proto__', 'constructor'])
            : randomString(8)
        ] = randomValue(depth + 1);
      return o;
    }
    default:
      return Array.from({ length: int(5) }, () => randomValue(depth + 1));
  }
}

function nested(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = chance(0.5) ? [v] : { a: v };
  return v;
}

function validRequest(): Record<string, unknown> {
  const method = pick(SAFE_METHODS.slice(0, 2));
  return chance(0.5) ? { id: int(1000), method, params: {} } : { id: int(1000), method };
}

/** Make sure a message cannot start real work other than the harmless methods (diag.run, trace.export…). */
function defuse(m: unknown): unknown {
  if (m !== null && typeof m === 'object' && !Array.isArray(m)) {
    const o = m as Record<string, unknown>;
    if (typeof o.method === 'string' && !SAFE_METHODS.includes(o.method)) {
      o.params =
        o.params !== null && typeof o.params === 'object' && !Array.isArray(o.params)
          ? { ...o.params, __fuzz: 1 }
          : o.params;
    }
  }
  return m;
}

function mutateObject(): unknown {
  const m: Record<string, unknown> = validRequest();
  for (let k = 1 + int(3); k > 0; k--) {
    switch (int(9)) {
      case 0:
        m.id = pick([...HUGE_NUMBERS, '7', null, true, [], {}, undefined]);
        break;
      case 1:
        m.method = pick([...SAFE_METHODS, ...OTHER_METHODS, ...WEIRD_METHODS, 42, null, ['devices.list']]);
        break;
      case 2:
        m.params = randomValue(0);
        break;
      case 3:
        m[randomString(6)] = randomValue(1);
        break;
      case 4:
        delete m[pick(['id', 'method', 'params'])];
        break;
      case 5:
        m.params = nested(1 + int(200), randomValue(3));
        break;
      case 6:
        m.params = { device: pick([...HUGE_NUMBERS, -1, 1024, '0', null]) };
        break;
      case 7:
        m.params = { level: pick([0, 4, 1.5, '1', null, 2 ** 53]) };
        break;
      default:
        m.id = int(1_000_000);
    }
  }
  return defuse(m);
}

function mutateText(): string {
  const chars = [...JSON.stringify(validRequest())];
  for (let k = 1 + int(4); k > 0; k--) {
    const at = int(chars.length + 1);
    const op = int(3);
    if (op === 0) chars.splice(at, 1);
    else if (op === 1)
      chars.splice(at, 0, pick(['{', '}', '[', ']', '"', ',', ':', '\\', '\u0000', 'e', '9', ' ', '\ud800']));
    else chars[at] = String.fromCharCode(int(128));
  }
  const text = chars.join('');
  try {
    return JSON.stringify(defuse(JSON.parse(text)));
  } catch {
    return text;
  }
}

function randomBytes(): Uint8Array | ArrayBuffer | Buffer {
  const b = new Uint8Array(int(300));
  for (let i = 0; i < b.length; i++) b[i] = int(256);
  const r = int(3);
  return r === 0 ? b : r === 1 ? b.buffer : Buffer.from(b);
}

function oversized(): unknown {
  const n = MAX_MESSAGE_BYTES + 1 + int(1 << 16);
  switch (int(3)) {
    case 0:
      return `{"id":${int(100)},"method":"devices.list","params":{"pad":"${'x'.repeat(n)}"}}`;
    case 1:
      return Buffer.alloc(n, 0x61);
    default:
      return { id: int(100), method: 'service.hello', params: { pad: 'y'.repeat(n) } };
  }
}

function deep(): unknown {
  const depth = 1000 + int(100_000);
  if (chance(0.5))
    return `{"id":1,"method":"service.hello","params":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  return { id: 1, method: 'service.hello', params: nested(Math.min(depth, 20_000), 0) };
}

function oddValue(): unknown {
  const throwing = {
    get id(): number {
      throw new Error('getter');
    },
    method: 'service.hello',
  };
  return pick<unknown>([
    undefined,
    null,
    0,
    NaN,
    Infinity,
    true,
    'devices.list',
    Symbol('x'),
    12n,
    () => 1,
    new Map(),
    new Date(0),
    [],
    throwing,
    Object.create(null),
  ]);
}

function message(i: number): unknown {
  if (i % 997 === 0) return oversized();
  if (i % 211 === 0) return deep();
  const r = int(7);
  if (r === 0) return randomBytes();
  if (r === 1) return randomString(200);
  if (r === 2) return defuse(randomValue(0));
  if (r === 3) return JSON.stringify(defuse(randomValue(0)));
  if (r === 4) return mutateText();
  if (r === 5) return chance(0.9) ? mutateObject() : oddValue();
  return chance(0.5) ? mutateObject() : JSON.stringify(mutateObject());
}

const CODES = new Set<string>([...Object.values(ErrorCodes), 'NO_DEVICE', 'BUSY', 'NOT_IMPLEMENTED']);

const service = createService({ driver: 'sim', profile: 'arc-a770' });
afterAll(() => service.close());

describe('service fuzz', () => {
  it(`${COUNT} random and mutated messages all get well-formed replies; devices.list still answers`, async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < COUNT; i++) {
      const m = message(i);
      let reply: ReplyMessage;
      try {
        reply = await service.handle(m);
      } catch (err) {
        throw new Error(`handle() threw on message #${i}: ${String(err)}`, { cause: err });
      }
      const r = reply as {
        id?: unknown;
        result?: unknown;
        error?: { code?: unknown; message?: unknown; hint?: unknown };
      };
      const where = `message #${i}: ${typeof m === 'string' ? m.slice(0, 120) : typeof m}`;
      expect(Number.isSafeInteger(r.id) && (r.id as number) >= UNKNOWN_ID, where).toBe(true);
      expect('result' in r !== 'error' in r, where).toBe(true);
      if (r.error) {
        expect(CODES.has(String(r.error.code)), `${where} → ${String(r.error.code)}`).toBe(true);
        expect(typeof r.error.message, where).toBe('string');
        seen.set(String(r.error.code), (seen.get(String(r.error.code)) ?? 0) + 1);
      } else {
        seen.set('result', (seen.get('result') ?? 0) + 1);
      }
      // replies never echo the (possibly huge) input
      expect(JSON.stringify(reply).length, where).toBeLessThan(16_384);
    }
    // the generator covers every kind of refusal
    for (const code of ['PARSE_ERROR', 'INVALID_REQUEST', 'UNKNOWN_METHOD', 'INVALID_PARAMS', 'TOO_LARGE']) {
      expect(seen.get(code) ?? 0, `${code} never produced: ${JSON.stringify([...seen])}`).toBeGreaterThan(10);
    }

    const hello = await service.handle({ id: 4241, method: 'service.hello' });
    expect(hello).toMatchObject({ id: 4241, result: { name: 'xpuscope' } });
    const reply = (await service.handle(
      JSON.stringify({ id: 4242, method: 'devices.list', params: {} }),
    )) as {
      id: number;
      result: DeviceList;
    };
    expect(reply.id).toBe(4242);
    expect(reply.result.schema).toBe('xpuscope.devices/1');
    if (SIM_BUILT) {
      expect(reply.result.devices.length).toBeGreaterThan(0);
      expect(reply.result.devices[0]!.name).toMatch(/Arc\(TM\) A770/);
    }
    expect(service.state.state).toBe('ready');
  }, 60_000);
});
