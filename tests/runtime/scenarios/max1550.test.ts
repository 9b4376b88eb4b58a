// Scenarios on a simulated Data Center GPU Max 1550 tile (4 compute engines + copy engines), through the
// real Level Zero loader and the simulated driver. This file's process uses XPUSIM profile max-1550 only
// (the loader reads its driver settings once per process).
import { describe, expect, it } from 'vitest';
import { configureDriver } from '../../../runtime/index.js';
import {
  ScenarioParamError,
  calibrate,
  checkScenario,
  listScenarios,
  runScenario,
} from '../../../runtime/scenarios/index.js';
import { haveSim } from '../helpers/sim.js';

if (haveSim) configureDriver({ driver: 'sim', profile: 'max-1550' });

describe('scenario catalogue', () => {
  it('lists five scenarios with typed parameters and defaults inside their ranges', () => {
    const list = listScenarios();
    expect(list.map((s) => s.name)).toEqual([
      'concurrency',
      'copy-compute-overlap',
      'event-chain',
      'priorities',
      'sync-latency',
    ]);
    for (const s of list) {
      expect(s.title.length).toBeGreaterThan(3);
      expect(s.summary.length).toBeGreaterThan(40);
      for (const p of s.params) {
        expect(['int', 'number', 'enum']).toContain(p.type);
        if (typeof p.default === 'number') {
          expect(p.default).toBeGreaterThanOrEqual(p.min ?? -Infinity);
          expect(p.default).toBeLessThanOrEqual(p.max ?? Infinity);
        }
      }
    }
    expect(list[0]!.params.map((p) => p.name)).toEqual(['streams', 'kernels', 'durationMs']);
  });

  it('checks parameters: strings from the CLI, unknown names, ranges, integers, run-time bound', () => {
    expect(checkScenario('concurrency', { streams: '2', durationMs: '0.5' })).toEqual({
      streams: 2,
      kernels: 4,
      durationMs: 0.5,
    });
    expect(() => checkScenario('concurrency', { stages: 3 })).toThrow(/no parameter "stages"/);
    expect(() => checkScenario('concurrency', { streams: 0 })).toThrow(ScenarioParamError);
    expect(() => checkScenario('concurrency', { streams: 2.5 })).toThrow(/integer/);
    expect(() => checkScenario('concurrency', { durationMs: 'abc' })).toThrow(/number/);
    expect(() => checkScenario('concurrency', { streams: 32, kernels: 256, durationMs: 1000 })).toThrow(
      /busy for about/,
    );
    expect(() => checkScenario('nope')).toThrow(/no scenario "nope"/);
  });
});

describe.skipIf(!haveSim)('max-1550 tile', () => {
  it('calibrates the busy kernel so that a requested duration is met within a generous factor', async () => {
    const cal = await calibrate(0);
    expect(cal.nsPerIteration).toBeGreaterThan(0);
    expect(await calibrate(0)).toBe(cal); // cached
    const { result } = await runScenario('concurrency', {
      device: 0,
      params: { streams: 1, kernels: 3, durationMs: 4 },
    });
    const mean = result.serialNs / 3;
    expect(mean).toBeGreaterThan(4e6 / 3);
    expect(mean).toBeLessThan(4e6 * 3);
  });

  it('concurrency: 4 streams on 4 compute engines overlap (device timestamps)', async () => {
    const progress: number[] = [];
    const { result, timeline } = await runScenario('concurrency', {
      device: 0,
      params: { streams: 4, kernels: 3, durationMs: 6 },
      onProgress: (p) => progress.push(p.submitted),
    });
    expect(result.schema).toBe('xpuscope.scenario/1');
    expect(result.opCount).toBe(12);
    expect(timeline.size).toBe(12);
    expect(result.concurrency).toBeGreaterThan(3);
    expect(result.speedup).toBeGreaterThan(2.5);
    expect(result.engines.filter((e) => e.key.includes('/compute/'))).toHaveLength(4);
    expect(result.streams).toHaveLength(4);
    expect(result.submitToStartP50Ns).toBeGreaterThanOrEqual(0);
    expect(result.explanation).toMatch(/4 of the 4 compute engines/);
    expect(result.explanation).toMatch(/overlapped: speed-up \d\.\d×/);
    expect(progress.at(-1)).toBe(12);
  });

  it('event-chain: waits produce dependency edges that hold', async () => {
    const { result, timeline } = await runScenario('event-chain', {
      device: 0,
      params: { stages: 3, items: 4, durationMs: 2 },
    });
    expect(result.details.edges).toBe(8); // (stages − 1) × items
    expect(timeline.edgeCount).toBe(8);
    expect(result.details.dependencyViolations).toBe(0);
    expect(result.explanation).toMatch(/8 event waits/);
    const ops = timeline.records();
    expect(ops.filter((o) => o.kind === 'event-wait').every((o) => o.deps.length === 1)).toBe(true);
  });

  it('copy-compute-overlap: copies on a copy engine overlap kernels on a compute engine', async () => {
    const { result } = await runScenario('copy-compute-overlap', {
      device: 0,
      params: { copies: 6, sizeMB: 8, kernels: 6, durationMs: 3 },
    });
    expect(result.details.copyEngine).toBe(1);
    expect(result.engines.some((e) => e.key.includes('/copy/'))).toBe(true);
    expect(result.engines.some((e) => e.key.includes('/compute/'))).toBe(true);
    expect(Number(result.details.overlapNs)).toBeGreaterThan(0);
    expect(result.concurrency).toBeGreaterThan(1.05);
    expect(result.explanation).toMatch(/copy engine/);
  });

  it('priorities and sync-latency produce their numbers', async () => {
    const pr = await runScenario('priorities', {
      device: 0,
      params: { streams: 1, kernels: 3, durationMs: 1, probes: 2, probeMs: 0.1 },
    });
    expect(Number(pr.result.details.highWaitP50Ns)).toBeGreaterThanOrEqual(0);
    expect(pr.result.explanation).toMatch(/high-priority probes started p50/);
    const sl = await runScenario('sync-latency', { device: 0, params: { samples: 3, durationMs: 0.5 } });
    expect(Number(sl.result.details.streamP50Ns)).toBeGreaterThanOrEqual(0);
    expect(Number(sl.result.details.streamP50Ns)).toBeLessThan(1e9);
    expect(sl.result.explanation).toMatch(/stream\.synchronize\(\)/);
  });

  it('runs one scenario at a time and refuses a missing device', async () => {
    const first = runScenario('concurrency', {
      device: 0,
      params: { streams: 2, kernels: 1, durationMs: 1 },
    });
    await expect(runScenario('concurrency', { device: 0 })).rejects.toThrow(/already running/);
    await first;
    await expect(runScenario('concurrency', { device: 7 })).rejects.toMatchObject({ code: 'NO_DEVICE' });
  });
});
