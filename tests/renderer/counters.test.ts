// The Counters view's pure parts: engine legends in words, units that follow the values, and the
// chosen device kept in the store across view switches.
import { describe, expect, it } from 'vitest';
import { createAppStore } from '../../renderer/state/store.js';
import { engineKeyLabel, pickScale, secondTicks } from '../../renderer/views/CountersView.js';
import { FakeTransport } from './fake-transport.js';

describe('counters', () => {
  it('names engines as everywhere else ("compute 0.1")', () => {
    expect(engineKeyLabel('0/compute/0/1')).toBe('compute 0.1');
    expect(engineKeyLabel('1/copy/2/7')).toBe('copy 2.7');
    expect(engineKeyLabel('odd')).toBe('odd');
  });

  it('time ticks fall on whole seconds, a few per axis', () => {
    expect(secondTicks(10_250, 13_900)).toEqual([11_000, 12_000, 13_000]);
    expect(secondTicks(0, 60_000)).toEqual([0, 15_000, 30_000, 45_000, 60_000]);
    expect(secondTicks(5, 5)).toEqual([5]);
  });

  it('switches units when values grow (MiB → GiB, µs → ms)', () => {
    const mem = [
      { unit: 'MiB', factor: 1 },
      { unit: 'GiB', factor: 1024 },
    ];
    expect(pickScale([10, 900], mem).unit).toBe('MiB');
    expect(pickScale([10, 4096], mem).unit).toBe('GiB');
    expect(pickScale([null, null], mem).unit).toBe('MiB');
  });

  it('the chosen device survives leaving the view, and samples carry their arrival time', () => {
    const api = new FakeTransport('open');
    api.answer = async () => ({ schema: 'xpuscope.devices/1', driver: {}, loader: {}, devices: [] });
    const { store } = createAppStore(api);
    store.getState().setCountersDevice(1);
    store.getState().setView('devices');
    store.getState().setView('counters');
    expect(store.getState().countersDevice).toBe(1);
    const before = Date.now();
    api.push('counters', { t: 5, device: 1, engines: {}, memoryUsedBytes: 0, opsPerSec: 3 });
    expect(store.getState().counters[0]!.wallMs).toBeGreaterThanOrEqual(before);
  });
});
