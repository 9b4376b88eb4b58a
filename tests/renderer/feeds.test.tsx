// Live data into the renderer: binary WebSocket frames become timeline.batch events and fill the lane
// store; the store's slices (scenarios, capture, counters, diagnostics, traces) follow requests and
// pushes; the new views render from plain data.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { encodeBatch } from '../../protocol/timeline-batch.js';
import type {
  CounterSample,
  DevicePropertiesView,
  DiagReport,
  ScenarioResult,
} from '../../protocol/views.js';
import { WebPlatform, type Platform } from '../../renderer/platform.js';
import { COUNTER_POINTS, createAppStore } from '../../renderer/state/store.js';
import { WebSocketTransport, type WebSocketConstructor } from '../../renderer/transports/websocket.js';
import { counterRows } from '../../renderer/views/CountersView.js';
import { DiagLevelsIntro, DiagReportPanel } from '../../renderer/views/DiagnosticsView.js';
import { filterEntries, PropertiesPanel } from '../../renderer/views/PropertiesView.js';
import { paramError, ScenarioResultCard } from '../../renderer/views/ScenariosView.js';
import { SpanDetails } from '../../renderer/views/TimelineView.js';
import { FakeTransport } from './fake-transport.js';
import { lane, makeBatch } from './timeline-helpers.js';

const waitFor = <T,>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 5_000, interval: 20 });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const batch = () =>
  makeBatch(
    [
      { lane: 0, id: 1, start: 1000, end: 2000, name: 0 },
      { lane: 1, id: 2, start: 1500, end: 4000, name: 1, kind: 1, bytes: 1 << 20 },
    ],
    { lanes: [lane(0), lane(1, 5, 'copy')], strings: ['gemm', 'copy H2D'], edges: [[1, 2]] },
  );

/** An empty batch flagged reset: what a client gets when it switches to an empty capture. */
const resetBatch = () => ({ ...makeBatch([], { lanes: [], strings: [] }), reset: true });

describe('binary timeline frames over the WebSocket', () => {
  it('arrive as timeline.batch ArrayBuffers and fill the store', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    wss.on('connection', (socket) => {
      socket.send(Buffer.from(encodeBatch(batch())), { binary: true });
      socket.send(
        JSON.stringify({
          event: 'capture.state',
          data: { recording: true, paused: false, ops: 2, dropped: 0, lanes: 2 },
        }),
      );
    });
    const t = new WebSocketTransport({
      url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    });
    cleanups.push(() => t.close());
    const { store } = createAppStore(t);
    await waitFor(() => expect(store.getState().timeline.store.spanCount).toBe(2));
    await waitFor(() => expect(store.getState().capture?.ops).toBe(2));
    const info = store.getState().timeline.store.spanInfo(1, 0)!;
    expect(info).toMatchObject({ name: 'copy H2D', bytes: 1 << 20, deps: [{ id: 1, name: 'gemm' }] });
  });
});

const result: ScenarioResult = {
  schema: 'xpuscope.scenario/1',
  name: 'concurrency',
  device: 0,
  deviceName: 'Intel(R) Arc(TM) A770 Graphics',
  params: { streams: 4 },
  opCount: 16,
  wallNs: 36e6,
  serialNs: 35e6,
  speedup: 0.97,
  concurrency: 1,
  streams: [{ key: '1', label: 'stream 1', busyPct: 25 }],
  engines: [],
  explanation: 'They serialized on one compute engine.',
};

describe('store slices', () => {
  it('scenario run: running with progress, then the result; resets and counters follow pushes', async () => {
    const api = new FakeTransport('open');
    let finish: (r: unknown) => void = () => {};
    api.answer = (method) =>
      method === 'scenario.run'
        ? new Promise((r) => (finish = r))
        : Promise.resolve({ schema: 'xpuscope.devices/1', driver: {}, loader: {}, devices: [] });
    const { store } = createAppStore(api);
    const run = store.getState().runScenario('concurrency', 0, { streams: 4 });
    expect(store.getState().scenarioRun.status).toBe('running');
    api.push('scenario.progress', { name: 'concurrency', submitted: 3, total: 16 });
    expect(store.getState().scenarioRun).toMatchObject({ submitted: 3, total: 16 });
    api.push('timeline.batch', encodeBatch(batch()));
    expect(store.getState().timeline.store.spanCount).toBe(2);
    finish(result);
    await run;
    expect(store.getState().scenarioRun).toEqual({ status: 'done', result });
    store.getState().timeline.ingest({ ...batch(), reset: true });
    expect(store.getState().timeline.store.spanCount).toBe(2); // the reset, then this batch's own
    store.getState().timeline.ingest({ ...batch(), reset: true, count: 0 });
    expect(store.getState().timeline.store.spanCount).toBe(0);
    for (let i = 0; i < COUNTER_POINTS + 10; i++)
      api.push('counters', {
        t: i * 250,
        device: 0,
        engines: { 'compute 0': 50 },
        memoryUsedBytes: 1,
        opsPerSec: i,
      } as CounterSample);
    expect(store.getState().counters).toHaveLength(COUNTER_POINTS);
    expect(store.getState().counters.at(-1)!.opsPerSec).toBe(COUNTER_POINTS + 9);
  });

  it("capture clear waits for the service's reset; diag errors are data; traces go through the platform", async () => {
    const api = new FakeTransport('open');
    api.answer = async (method) => {
      if (method === 'capture.control')
        return { recording: true, paused: false, ops: 0, dropped: 0, lanes: 0 };
      if (method === 'diag.run') throw Object.assign(new Error('busy'), {});
      return { schema: 'xpuscope.devices/1', driver: {}, loader: {}, devices: [] };
    };
    const platform: Platform = {
      kind: 'web',
      exportTrace: vi.fn(async () => ({ spans: 5, bytes: 100 })),
      importTrace: vi.fn(async () => null),
      saveText: vi.fn(async () => 'x'),
    };
    const { store } = createAppStore(api, { platform });
    store.getState().timeline.ingest(batch());
    await store.getState().controlCapture('clear');
    // only the viewers of the cleared capture are told to drop it (this page may view another)
    expect(store.getState().timeline.store.spanCount).toBe(2);
    store.getState().timeline.ingest(resetBatch());
    expect(store.getState().timeline.store.spanCount).toBe(0);
    await store.getState().runDiag(1);
    expect(store.getState().diag).toMatchObject({ status: 'error', error: { message: 'busy' } });
    await store.getState().exportTrace();
    expect(store.getState().trace).toEqual({ status: 'exported', spans: 5, bytes: 100 });
    await store.getState().importTrace(new Blob(['{}']));
    expect(store.getState().trace).toEqual({ status: 'cancelled' });
  });
});

describe('web platform', () => {
  it('uploads with the page token, then imports by upload id; refusals become errors', async () => {
    const fetchImpl = vi.fn(
      async () => new Response(JSON.stringify({ upload: 'a'.repeat(32), bytes: 2 }), { status: 201 }),
    );
    const win = { location: { href: 'http://127.0.0.1:9/?token=tok' } } as unknown as Window;
    const p = new WebPlatform(win, fetchImpl as unknown as typeof fetch);
    const api = new FakeTransport('open');
    api.answer = async () => ({
      format: 'chrome',
      events: 1,
      spans: 1,
      flows: 0,
      skipped: {},
      truncated: false,
      devices: [],
    });
    await p.importTrace(api, new Blob(['{}']));
    expect((fetchImpl.mock.calls[0] as unknown as [string])[0]).toBe('http://127.0.0.1:9/upload?token=tok');
    expect(api.calls).toEqual([{ method: 'trace.import', params: { upload: 'a'.repeat(32) } }]);
    // a File's name names the capture it opens as
    fetchImpl.mockResolvedValueOnce(
      new Response(JSON.stringify({ upload: 'b'.repeat(32), bytes: 2 }), { status: 201 }),
    );
    await p.importTrace(api, new File(['{}'], 'run.json'));
    expect(api.calls.at(-1)).toEqual({
      method: 'trace.import',
      params: { upload: 'b'.repeat(32), name: 'run.json' },
    });
    fetchImpl.mockResolvedValueOnce(
      new Response(JSON.stringify({ error: { code: 'TOO_LARGE', message: 'too big' } }), { status: 413 }),
    );
    await expect(p.importTrace(api, new Blob(['{}']))).rejects.toMatchObject({ code: 'TOO_LARGE' });
  });
});

describe('views from plain data', () => {
  it('properties: grouped, filtered, each value with its Level Zero source', () => {
    const view: DevicePropertiesView = {
      schema: 'xpuscope.properties/1',
      device: 0,
      name: 'A770',
      simulated: true,
      raw: {},
      groups: [
        {
          name: 'memory',
          entries: [
            {
              key: 'totalMemory',
              label: 'Total memory',
              value: 2 ** 34,
              unit: 'B',
              source: 'zeDeviceGetMemoryProperties.totalSize',
              available: true,
            },
          ],
        },
        {
          name: 'features',
          entries: [
            {
              key: 'hasFp64',
              label: 'Has fp64',
              value: null,
              source: 'zeDeviceGetModuleProperties.flags',
              available: false,
            },
          ],
        },
      ],
    };
    const html = renderToStaticMarkup(<PropertiesPanel view={view} filter="" />);
    // the Level Zero source is shown beside the value, not only on hover
    expect(html).toContain('data-testid="prop-source">zeDeviceGetMemoryProperties.totalSize</td>');
    expect(html).toContain('16.0 GiB');
    expect(html).toContain('not reported');
    expect(filterEntries(view.groups[0]!.entries, 'GETMEMORY')).toHaveLength(1);
    expect(renderToStaticMarkup(<PropertiesPanel view={view} filter="memory" />)).not.toContain(
      'prop-group-features',
    );
    const none = renderToStaticMarkup(<PropertiesPanel view={view} filter="no-such-thing" />);
    expect(none).toContain('No property matches “no-such-thing”');
    expect(html).not.toContain('properties-no-match');
  });

  it('scenario result card, parameter checks, span details, diagnostics, counters', () => {
    const card = renderToStaticMarkup(<ScenarioResultCard result={result} />);
    expect(card).toContain('They serialized on one compute engine.');
    expect(card).toContain('36.0 ms');
    expect(paramError({ name: 's', label: 'S', type: 'int', default: 4, min: 1, max: 32 }, 2.5)).toMatch(
      /whole/,
    );
    expect(paramError({ name: 's', label: 'S', type: 'int', default: 4, min: 1, max: 32 }, 64)).toMatch(
      /at most 32/,
    );
    expect(
      paramError({ name: 'm', label: 'M', type: 'enum', default: 'a', options: ['a', 'b'] }, 'b'),
    ).toBeNull();
    const details = renderToStaticMarkup(
      <SpanDetails
        info={{
          lane: 0,
          laneLabel: 'l',
          id: 7,
          kind: 1,
          name: 'copy',
          bytes: 1e6,
          submitNs: 0,
          startNs: 5000,
          endNs: 105_000,
          deps: [{ id: 3, name: 'k' }],
          dependents: [],
        }}
      />,
    );
    expect(details).toContain('5.00 µs'); // queue latency
    expect(details).toContain('100 µs');
    expect(details).toContain('10.0 GB/s');
    expect(details).toContain('#3 k');
    const report: DiagReport = {
      schema: 'xpuscope.diag/1',
      xpuscopeVersion: '0.1.0',
      host: { platform: 'linux', arch: 'x64', release: '6.1', node: '20.20.0' },
      devices: [],
      exitCode: 0,
      level: 1,
      startedAt: 'now',
      durationMs: 10,
      summary: { total: 1, pass: 1, warn: 0, fail: 0, skip: 0 },
      checks: [
        {
          id: 'L1.x',
          level: 1,
          title: 'X',
          status: 'pass',
          measured: '1',
          expected: '1',
          expectedSource: 'spec',
          durationMs: 1,
        },
      ],
    };
    expect(renderToStaticMarkup(<DiagReportPanel report={report} />)).toContain('data-status="pass"');
    // "only warnings and failures": the passed check is hidden, and that is said
    const problems = renderToStaticMarkup(<DiagReportPanel report={report} problemsOnly />);
    expect(problems).not.toContain('data-status="pass"');
    expect(problems).toContain('No warnings and no failures.');
    expect(renderToStaticMarkup(<DiagLevelsIntro />)).toContain('Level 2 · functional');
    const { rows, engines } = counterRows(
      [
        { t: 0, device: 0, engines: { c0: 10 }, memoryUsedBytes: 2 ** 30, opsPerSec: 5 },
        { t: 250, device: 1, engines: { c0: 10 }, memoryUsedBytes: 0, opsPerSec: 5 },
        {
          t: 500,
          device: 0,
          engines: { c0: 20, b0: 1 },
          memoryUsedBytes: 2 ** 31,
          opsPerSec: 6,
          submitToStartP50Ns: 3000,
        },
      ],
      0,
    );
    expect(rows).toHaveLength(2);
    expect(engines).toEqual(['b0', 'c0']);
    expect(rows[1]).toMatchObject({ t: 0.5, memoryMiB: 2048, latencyUs: 3, 'engine:c0': 20 });
  });
});

describe('reconnects', () => {
  it('drop the timeline (the service replays it to the new subscriber); a service restart keeps it', () => {
    const api = new FakeTransport('connecting');
    api.answer = async () => ({ schema: 'xpuscope.devices/1', driver: {}, loader: {}, devices: [] });
    const { store } = createAppStore(api);
    api.setStatus({ state: 'open', attempt: 0 });
    api.push('timeline.batch', encodeBatch(batch()));
    expect(store.getState().timeline.store.spanCount).toBe(2);
    api.setStatus({ state: 'reconnecting', attempt: 1 });
    api.setStatus({ state: 'open', attempt: 0 });
    api.push('timeline.batch', encodeBatch(batch()));
    expect(store.getState().timeline.store.spanCount).toBe(2);
    // The restarted service renumbers its batches after what the page holds: nothing is dropped.
    api.push('service.state', { state: 'restarted' });
    expect(store.getState().timeline.store.spanCount).toBe(2);
    // The JSON event alone changes nothing (it may come late on Electron); the flagged batch resets.
    api.push('timeline.reset', { reason: 'capture' });
    expect(store.getState().timeline.store.spanCount).toBe(2);
    api.push('timeline.batch', encodeBatch(resetBatch()));
    expect(store.getState().timeline.store.spanCount).toBe(0);
  });
});

describe('diagnostics progress', () => {
  it('fills rows from diag.progress results while the run goes on', async () => {
    const api = new FakeTransport('open');
    let finish: (r: unknown) => void = () => {};
    api.answer = (method) =>
      method === 'diag.run'
        ? new Promise((r) => (finish = r))
        : Promise.resolve({ schema: 'xpuscope.devices/1', driver: {}, loader: {}, devices: [] });
    const { store } = createAppStore(api);
    const run = store.getState().runDiag(2);
    const check = {
      id: 'l1.loader',
      level: 1 as const,
      title: 'Loader',
      status: 'pass' as const,
      measured: '1.8',
      expected: '≥ 1.2',
      expectedSource: 'spec',
      durationMs: 1,
    };
    api.push('diag.progress', { done: 0, total: 2, current: 'l1.loader' });
    api.push('diag.progress', { done: 1, total: 2, result: check });
    expect(store.getState().diag).toMatchObject({
      status: 'running',
      results: [check],
      progress: { done: 1 },
    });
    finish({ checks: [check] });
    await run;
    expect(store.getState().diag.status).toBe('done');
  });
});
