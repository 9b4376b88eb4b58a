// The transport-independent service: every kind of bad input gets an error reply (never a throw), and
// the service keeps answering afterwards. Runs through the real runtime + loader + simulated driver.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from '../../protocol/contract.js';
import type { DeviceList } from '../../protocol/devices.js';
import {
  ErrorCodes,
  UNKNOWN_ID,
  createService,
  type EventMessage,
  type ReplyMessage,
} from '../../host/service.js';
import { ROOT, SIM_BUILT } from './helpers.js';

const service = createService({ driver: 'sim' });
afterAll(() => service.close());

function errorOf(reply: ReplyMessage): { id: number; code: string; message: string } {
  expect('error' in reply, `expected an error reply, got ${JSON.stringify(reply)}`).toBe(true);
  const r = reply as { id: number; error: { code: string; message: string } };
  expect(typeof r.error.message).toBe('string');
  return { id: r.id, code: r.error.code, message: r.error.message };
}

async function stillAnswers(): Promise<void> {
  const reply = await service.handle(JSON.stringify({ id: 999, method: 'service.hello', params: {} }));
  expect(reply).toMatchObject({ id: 999, result: { name: 'xpuscope', protocol: PROTOCOL_VERSION } });
}

describe('service.hello', () => {
  it('answers with name, package version and protocol version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const reply = await service.handle({ id: 1, method: 'service.hello' });
    expect(reply).toEqual({
      id: 1,
      result: { name: 'xpuscope', version: pkg.version, protocol: PROTOCOL_VERSION },
    });
  });

  it('accepts a JSON string, UTF-8 bytes and a parsed object alike', async () => {
    const text = JSON.stringify({ id: 2, method: 'service.hello', params: {} });
    for (const raw of [
      text,
      Buffer.from(text),
      new TextEncoder().encode(text),
      new TextEncoder().encode(text).buffer,
    ]) {
      expect(await service.handle(raw)).toMatchObject({ id: 2, result: { name: 'xpuscope' } });
    }
  });

  it('is available as a typed call', async () => {
    await expect(service.call('service.hello', {})).resolves.toMatchObject({ name: 'xpuscope' });
  });
});

describe('validation', () => {
  it('non-JSON text → PARSE_ERROR with the unknown id', async () => {
    const e = errorOf(await service.handle('{ this is not json'));
    expect(e).toMatchObject({ id: UNKNOWN_ID, code: ErrorCodes.PARSE_ERROR });
    await stillAnswers();
  });

  it('invalid UTF-8 bytes → PARSE_ERROR', async () => {
    const e = errorOf(await service.handle(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])));
    expect(e.code).toBe(ErrorCodes.PARSE_ERROR);
    await stillAnswers();
  });

  it.each([
    ['null', null],
    ['a number', 42],
    ['undefined', undefined],
    ['an array', [1, 2]],
    ['a JSON array', '[1,2,3]'],
    ['a JSON string', '"devices.list"'],
  ])('%s → INVALID_REQUEST', async (_name, raw) => {
    const e = errorOf(await service.handle(raw));
    expect(e.code).toBe(ErrorCodes.INVALID_REQUEST);
    await stillAnswers();
  });

  it('missing or wrongly typed fields → INVALID_REQUEST, keeping a readable id', async () => {
    expect(errorOf(await service.handle({ method: 'service.hello' }))).toMatchObject({
      id: UNKNOWN_ID,
      code: 'INVALID_REQUEST',
    });
    expect(errorOf(await service.handle({ id: 'seven', method: 'service.hello' }))).toMatchObject({
      id: UNKNOWN_ID,
      code: 'INVALID_REQUEST',
    });
    expect(errorOf(await service.handle({ id: -3, method: 'service.hello' }))).toMatchObject({
      id: UNKNOWN_ID,
      code: 'INVALID_REQUEST',
    });
    expect(errorOf(await service.handle({ id: 1.5, method: 'service.hello' }))).toMatchObject({
      id: UNKNOWN_ID,
      code: 'INVALID_REQUEST',
    });
    expect(errorOf(await service.handle({ id: 7, method: 12 }))).toMatchObject({
      id: 7,
      code: 'INVALID_REQUEST',
    });
    expect(errorOf(await service.handle({ id: 8 }))).toMatchObject({ id: 8, code: 'INVALID_REQUEST' });
    expect(errorOf(await service.handle({ id: 9, method: 'service.hello', extra: true }))).toMatchObject({
      id: 9,
      code: 'INVALID_REQUEST',
    });
    expect(errorOf(await service.handle({ id: 10, method: 'x'.repeat(65) }))).toMatchObject({
      id: 10,
      code: 'INVALID_REQUEST',
    });
    await stillAnswers();
  });

  it('unknown method → UNKNOWN_METHOD naming the known ones', async () => {
    const reply = await service.handle({ id: 11, method: 'devices.format' });
    const e = errorOf(reply);
    expect(e).toMatchObject({ id: 11, code: ErrorCodes.UNKNOWN_METHOD });
    expect((reply as { error: { hint?: string } }).error.hint).toContain('devices.list');
    // Prototype keys are not methods.
    expect(errorOf(await service.handle({ id: 12, method: 'constructor' })).code).toBe(
      ErrorCodes.UNKNOWN_METHOD,
    );
    expect(errorOf(await service.handle({ id: 13, method: '__proto__' })).code).toBe(
      ErrorCodes.UNKNOWN_METHOD,
    );
    await stillAnswers();
  });

  it('bad params → INVALID_PARAMS', async () => {
    expect(
      errorOf(await service.handle({ id: 14, method: 'devices.list', params: { all: true } })),
    ).toMatchObject({
      id: 14,
      code: ErrorCodes.INVALID_PARAMS,
    });
    expect(errorOf(await service.handle({ id: 15, method: 'service.hello', params: 5 }))).toMatchObject({
      id: 15,
      code: ErrorCodes.INVALID_PARAMS,
    });
    expect(errorOf(await service.handle({ id: 16, method: 'service.hello', params: null }))).toMatchObject({
      id: 16,
      code: ErrorCodes.INVALID_PARAMS,
    });
    await expect(service.call('devices.list', { all: true } as never)).rejects.toMatchObject({
      code: 'INVALID_PARAMS',
    });
    await stillAnswers();
  });

  it('oversized payloads → TOO_LARGE (string, bytes, parsed object)', async () => {
    const big = JSON.stringify({
      id: 17,
      method: 'service.hello',
      params: { pad: 'x'.repeat(MAX_MESSAGE_BYTES) },
    });
    expect(errorOf(await service.handle(big))).toMatchObject({ code: ErrorCodes.TOO_LARGE });
    expect(errorOf(await service.handle(big))).toMatchObject({ id: 17, code: ErrorCodes.TOO_LARGE });
    expect(errorOf(await service.handle(Buffer.from(big)))).toMatchObject({
      id: 17,
      code: ErrorCodes.TOO_LARGE,
    });
    expect(
      errorOf(
        await service.handle({
          id: 18,
          method: 'service.hello',
          params: { pad: 'x'.repeat(MAX_MESSAGE_BYTES) },
        }),
      ),
    ).toMatchObject({
      id: 18,
      code: ErrorCodes.TOO_LARGE,
    });
    // Multi-byte characters count as bytes, not as UTF-16 code units.
    const wide = JSON.stringify({
      id: 19,
      method: 'service.hello',
      params: { pad: '€'.repeat(MAX_MESSAGE_BYTES / 2) },
    });
    expect(wide.length).toBeLessThan(MAX_MESSAGE_BYTES);
    expect(errorOf(await service.handle(wide)).code).toBe(ErrorCodes.TOO_LARGE);
    await stillAnswers();
  });

  it('an object that cannot be encoded as JSON → INVALID_REQUEST', async () => {
    const cyclic: Record<string, unknown> = { id: 20, method: 'service.hello' };
    cyclic.self = cyclic;
    expect(errorOf(await service.handle(cyclic))).toMatchObject({ id: 20, code: ErrorCodes.INVALID_REQUEST });
    expect(errorOf(await service.handle({ id: 21, method: 'service.hello', params: { n: 1n } })).code).toBe(
      ErrorCodes.INVALID_REQUEST,
    );
    await stillAnswers();
  });

  it('a burst of mixed garbage and valid requests gets one reply each', async () => {
    const inputs: unknown[] = [];
    for (let i = 0; i < 50; i++) {
      inputs.push(
        i % 3 === 0
          ? `garbage ${i}`
          : i % 3 === 1
            ? { id: i, method: 'nope' }
            : { id: i, method: 'service.hello' },
      );
    }
    const replies = await Promise.all(inputs.map((raw) => service.handle(raw)));
    expect(replies).toHaveLength(50);
    replies.forEach((reply, i) => {
      if (i % 3 === 2) expect(reply).toMatchObject({ id: i, result: { name: 'xpuscope' } });
      else expect('error' in reply).toBe(true);
    });
  });
});

describe('events', () => {
  it('a new listener receives the current service.state, then pushes', async () => {
    const seen: EventMessage[] = [];
    const off = service.on((m) => seen.push(m));
    await new Promise((r) => setTimeout(r, 10));
    expect(seen[0]).toMatchObject({ event: 'service.state' });
    expect(['starting', 'ready']).toContain((seen[0]!.data as { state: string }).state);
    service.publish('service.state', { state: 'restarted', message: 'test' });
    expect(seen.at(-1)).toEqual({ event: 'service.state', data: { state: 'restarted', message: 'test' } });
    off();
    service.publish('service.state', { state: 'ready' });
    expect(seen.at(-1)).toEqual({ event: 'service.state', data: { state: 'restarted', message: 'test' } });
  });

  it('a throwing listener does not break others', async () => {
    const seen: string[] = [];
    const offA = service.on(() => {
      throw new Error('listener bug');
    });
    const offB = service.on((m) => seen.push(m.event));
    service.publish('service.state', { state: 'ready' });
    expect(seen).toContain('service.state');
    offA();
    offB();
  });

  it('reaches ready once the runtime has loaded', async () => {
    await service.call('devices.list', {});
    expect(service.state.state).toBe('ready');
  });
});

describe('devices.list', () => {
  it('returns a DeviceList and never an error reply', async () => {
    const reply = await service.handle(JSON.stringify({ id: 30, method: 'devices.list', params: {} }));
    expect(reply).toMatchObject({ id: 30, result: { schema: 'xpuscope.devices/1' } });
    const list = (reply as { result: DeviceList }).result;
    expect(list.driver).toMatchObject({ requested: 'sim', mode: 'sim', simulated: true });
  });

  it.skipIf(!SIM_BUILT)('with --driver sim lists the simulated Arc A770', async () => {
    const list = await service.call('devices.list', {});
    expect(list.problem).toBeUndefined();
    expect(list.devices.length).toBeGreaterThanOrEqual(1);
    expect(list.devices[0]).toMatchObject({ index: 0, type: 'gpu', simulated: true });
    expect(list.devices[0]!.name).toMatch(/Arc\(TM\) A770/);
  });
});

describe('driver conflicts', () => {
  it('a second service asking for another driver in this process gets DRIVER_CONFIG and state failed', async () => {
    await service.call('devices.list', {}); // the loader is initialised with the simulator by now
    const other = createService({ driver: 'system' });
    try {
      const e = errorOf(await other.handle({ id: 40, method: 'devices.list' }));
      expect(e).toMatchObject({ id: 40, code: ErrorCodes.DRIVER_CONFIG });
      expect(e.message).toContain('Cannot switch the Level Zero driver');
      await expect.poll(() => other.state.state).toBe('failed');
      // hello does not need the runtime and still answers
      expect(await other.handle({ id: 41, method: 'service.hello' })).toMatchObject({
        id: 41,
        result: { name: 'xpuscope' },
      });
    } finally {
      other.close();
    }
  });
});

describe('close', () => {
  it('later requests get CLOSED', async () => {
    const s = createService({ driver: 'sim', eager: false });
    expect(await s.handle({ id: 1, method: 'service.hello' })).toMatchObject({
      id: 1,
      result: { name: 'xpuscope' },
    });
    s.close();
    expect(errorOf(await s.handle({ id: 2, method: 'service.hello' }))).toMatchObject({
      id: 2,
      code: ErrorCodes.CLOSED,
    });
    await expect(s.call('service.hello', {})).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
