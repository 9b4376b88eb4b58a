// Small pieces of the recording path that need no program: a restarted service's renumbering of a
// recording's analysis, and the precedence of a profile given in the program's own environment.
import { describe, expect, it } from 'vitest';
import { shiftAnalysis } from '../../../host/service-process.js';
import { recordEnv } from '../../../host/record/launch.js';
import type { DriverChoice } from '../../../protocol/devices.js';

describe('shiftAnalysis (after a service restart)', () => {
  it('moves every op and lane id of the analysis by the relay offset, like the batches', () => {
    const state = {
      state: 'finished',
      analysis: {
        lanes: [{ lane: 0 }, { lane: 1 }],
        engines: [{ lanes: [0, 1] }],
        findings: [{ ops: [5, 6], lanes: [1] }],
      },
    };
    const out = shiftAnalysis(state, { ops: 100, lanes: 10 }) as typeof state;
    expect(out.analysis.lanes.map((l) => l.lane)).toEqual([10, 11]);
    expect(out.analysis.engines[0]!.lanes).toEqual([10, 11]);
    expect(out.analysis.findings[0]).toEqual({ ops: [105, 106], lanes: [11] });
    expect(state.analysis.findings[0]!.ops).toEqual([5, 6]); // the original is untouched
    expect(shiftAnalysis(state, { ops: 0, lanes: 0 })).toBe(state);
    expect(shiftAnalysis({ state: 'running' }, { ops: 1, lanes: 1 })).toEqual({ state: 'running' });
  });
});

describe('recordEnv', () => {
  const sim: DriverChoice = {
    requested: 'sim',
    mode: 'sim',
    simulated: true,
    reason: 'sim',
    simDriverPath: '/x/libze_xpusim.so',
    profiles: ['arc-a770'],
  };
  it("appends the collector to the user's LD_PRELOAD and turns the tracing layer on", () => {
    const env = recordEnv({ env: { LD_PRELOAD: '/u/mine.so', PATH: '/bin' }, driver: sim }, '/d', '/c.so');
    expect(env.LD_PRELOAD).toBe('/u/mine.so:/c.so');
    expect(env.ZE_ENABLE_TRACING_LAYER).toBe('1');
    expect(env.XPUSCOPE_RECORD_DIR).toBe('/d');
    expect(env.ZE_ENABLE_ALT_DRIVERS).toBe('/x/libze_xpusim.so');
    expect(env.XPUSIM_PROFILE).toBe('arc-a770');
  });
  it('a profile in the extra environment wins over the default choice', () => {
    const env = recordEnv({ env: {}, extraEnv: { XPUSIM_PROFILE: 'max-1550' }, driver: sim }, '/d', '/c.so');
    expect(env.XPUSIM_PROFILE).toBe('max-1550');
  });
  it('system: the loader finds the drivers as it would without xpuscope', () => {
    const env = recordEnv(
      {
        env: { ZE_ENABLE_ALT_DRIVERS: '/mine.so' },
        driver: { requested: 'system', mode: 'system', simulated: false, reason: '' },
      },
      '/d',
      '/c.so',
    );
    expect(env.ZE_ENABLE_ALT_DRIVERS).toBe('/mine.so');
    expect(env.LD_PRELOAD).toBe('/c.so');
  });
});
