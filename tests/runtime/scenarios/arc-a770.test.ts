// Scenarios on a simulated Arc A770 (one compute engine + one copy engine): streams cannot overlap
// kernels. Its own process with XPUSIM profile arc-a770 (the loader reads its settings once per process).
import { describe, expect, it } from 'vitest';
import { configureDriver } from '../../../runtime/index.js';
import { runScenario } from '../../../runtime/scenarios/index.js';
import { haveSim } from '../helpers/sim.js';

if (haveSim) configureDriver({ driver: 'sim', profile: 'arc-a770' });

describe.skipIf(!haveSim)('arc-a770', () => {
  it('concurrency: 4 streams serialize on the single compute engine', async () => {
    const { result } = await runScenario('concurrency', {
      device: 0,
      params: { streams: 4, kernels: 2, durationMs: 2 },
    });
    expect(result.opCount).toBe(8);
    expect(result.concurrency).toBeLessThan(1.2);
    expect(result.concurrency).toBeGreaterThanOrEqual(0.99);
    expect(result.engines.filter((e) => e.key.includes('/compute/'))).toHaveLength(1);
    expect(result.explanation).toMatch(/has one compute engine, so they serialized/);
    expect(result.explanation).toMatch(/Arc/);
  });

  it('concurrency with one stream says there was nothing to overlap, not that streams serialized', async () => {
    const { result } = await runScenario('concurrency', {
      device: 0,
      params: { streams: 1, kernels: 2, durationMs: 1 },
    });
    expect(result.explanation).toMatch(/on one stream: .* nothing to overlap/);
    expect(result.explanation).not.toMatch(/serialized|landed on one/);
  });

  it('event-chain: the pipeline cannot overlap on one engine', async () => {
    const { result } = await runScenario('event-chain', {
      device: 0,
      params: { stages: 2, items: 3, durationMs: 1 },
    });
    expect(result.details.edges).toBe(3);
    expect(result.concurrency).toBeLessThan(1.2);
    expect(result.explanation).toMatch(/cannot overlap/);
  });
});
