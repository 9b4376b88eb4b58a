// requestIdOf: the one reader of a raw message's request id (service, serve's rate limiter, the
// service process's made-up replies all use it, so their error replies carry the same id).
import { describe, expect, it } from 'vitest';
import {
  MAX_MESSAGE_BYTES,
  UNKNOWN_ID,
  isOversizedText,
  requestIdOf,
  utf8Length,
} from '../../protocol/contract.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('requestIdOf', () => {
  it('reads the id of a JSON string, UTF-8 bytes and parsed objects alike', () => {
    const text = '{"method":"devices.list","id":42,"params":{}}';
    expect(requestIdOf(text)).toBe(42);
    expect(requestIdOf(utf8(text))).toBe(42);
    expect(requestIdOf(utf8(text).buffer)).toBe(42);
    expect(requestIdOf(Buffer.from(text))).toBe(42);
    const bytes = utf8(text);
    expect(requestIdOf([bytes.subarray(0, 10), bytes.subarray(10)])).toBe(42);
    expect(requestIdOf({ id: 7, method: 'x' })).toBe(7);
    expect(requestIdOf({ id: 0 })).toBe(0);
  });

  it('answers UNKNOWN_ID for anything without a readable non-negative safe-integer id', () => {
    for (const raw of [
      '{"id": 5, "method": ',
      'not json',
      '[{"id":1}]',
      '{"id":-1}',
      '{"id":1.5}',
      '{"id":"3"}',
      `{"id":${Number.MAX_SAFE_INTEGER + 1}}`,
      '{}',
      '',
      null,
      undefined,
      42,
      [],
      [1, 2],
      { id: '1' },
      { id: Number.NaN },
      new Uint8Array([0xff, 0xfe, 0x7b]),
    ]) {
      expect(requestIdOf(raw), JSON.stringify(raw)).toBe(UNKNOWN_ID);
    }
  });

  it('does not parse an oversized message: its id is read only when it leads the text', () => {
    const pad = 'x'.repeat(MAX_MESSAGE_BYTES);
    const leading = `{"id": 12, "method":"a","params":{"p":"${pad}"}}`;
    const trailing = `{"method":"a","params":{"p":"${pad}"},"id":12}`;
    expect(requestIdOf(leading)).toBe(12);
    expect(requestIdOf(utf8(leading))).toBe(12);
    expect(requestIdOf(trailing)).toBe(UNKNOWN_ID);
    expect(requestIdOf(utf8(trailing))).toBe(UNKNOWN_ID);
    // Over the limit in UTF-8 bytes though not in characters (3 bytes each).
    const wide = `{"id":9,"p":"${'€'.repeat(MAX_MESSAGE_BYTES / 2)}"}`;
    expect(wide.length).toBeLessThan(MAX_MESSAGE_BYTES);
    expect(isOversizedText(wide)).toBe(true);
    expect(requestIdOf(wide)).toBe(9);
    expect(requestIdOf(`{"p":"${'€'.repeat(MAX_MESSAGE_BYTES / 2)}","id":9}`)).toBe(UNKNOWN_ID);
    // Just under the limit: parsed, wherever the id is.
    const under = `{"p":"${'x'.repeat(MAX_MESSAGE_BYTES - 20)}","id":3}`;
    expect(isOversizedText(under)).toBe(false);
    expect(requestIdOf(under)).toBe(3);
  });

  it('counts UTF-8 like Buffer.byteLength', () => {
    for (const text of ['', 'abc', 'é', '€', '😀', '\ud800', 'a\udc00b', 'x😀€é']) {
      expect(utf8Length(text), text).toBe(Buffer.byteLength(text, 'utf8'));
    }
  });
});
