// Scenario parameter checking (runtime/scenarios/params.ts): strings from a command line must be plain
// decimal numbers, and every bad number — not a number, hex, exponent for an integer, suffix, not an
// integer, out of range, or a value of the wrong JSON type from the app — gets the same message shape.
import { describe, expect, it } from 'vitest';
import type { ScenarioInfo } from '../../../protocol/views.js';
import { ScenarioParamError, resolveParams } from '../../../runtime/scenarios/params.js';

const info: ScenarioInfo = {
  name: 'demo',
  title: 'Demo',
  summary: '',
  params: [
    { name: 'streams', label: 'Streams', type: 'int', default: 4, min: 1, max: 32 },
    { name: 'durationMs', label: 'Duration', type: 'number', default: 2, min: 0.05, max: 1000, unit: 'ms' },
    { name: 'mode', label: 'Mode', type: 'enum', default: 'a', options: ['a', 'b'] },
  ],
};

function message(given: Record<string, unknown>): string {
  try {
    resolveParams(info, given as Record<string, number | string>);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioParamError);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('resolveParams', () => {
  it.each([
    ['0x10', 'demo: streams must be an integer from 1 to 32, got "0x10".'],
    ['1e1', 'demo: streams must be an integer from 1 to 32, got "1e1".'],
    ['5x', 'demo: streams must be an integer from 1 to 32, got "5x".'],
    ['', 'demo: streams must be an integer from 1 to 32, got "".'],
    ['4.5', 'demo: streams must be an integer from 1 to 32, got "4.5".'],
    ['Infinity', 'demo: streams must be an integer from 1 to 32, got "Infinity".'],
    ['-1', 'demo: streams must be an integer from 1 to 32, got "-1" (out of range).'],
    ['33', 'demo: streams must be an integer from 1 to 32, got "33" (out of range).'],
    [4.5, 'demo: streams must be an integer from 1 to 32, got 4.5.'],
    [99, 'demo: streams must be an integer from 1 to 32, got 99 (out of range).'],
    [true, 'demo: streams must be an integer from 1 to 32, got true.'],
    [null, 'demo: streams must be an integer from 1 to 32, got null.'],
  ])('streams = %j is refused: %s', (v, want) => {
    expect(message({ streams: v })).toBe(want);
  });

  it.each([
    ['0x1', 'demo: durationMs must be a number from 0.05 to 1000 ms, got "0x1".'],
    ['2ms', 'demo: durationMs must be a number from 0.05 to 1000 ms, got "2ms".'],
    ['-2', 'demo: durationMs must be a number from 0.05 to 1000 ms, got "-2" (out of range).'],
  ])('durationMs = %j is refused: %s', (v, want) => {
    expect(message({ durationMs: v })).toBe(want);
  });

  it('accepts plain decimal strings and numbers', () => {
    expect(resolveParams(info, { streams: ' 16 ', durationMs: '2.5e-1' })).toEqual({
      streams: 16,
      durationMs: 0.25,
      mode: 'a',
    });
    expect(resolveParams(info, { streams: 8, durationMs: 0.5, mode: 'b' })).toEqual({
      streams: 8,
      durationMs: 0.5,
      mode: 'b',
    });
  });
});
