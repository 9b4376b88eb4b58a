// `xpuscope serve`'s process model (GitHub issue 8): the service runs in a child process; kill -9 of it
// mid-capture → the server restarts it and says so, in-flight requests get SERVICE_RESTARTED, clients
// keep the batches they had (no timeline.reset), devices.list works again, and the streamed trace file
// written before the kill is valid JSON with the spans recorded so far. Real runtime + simulated driver.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { BatchReader, decodeBatch } from '../../protocol/timeline-batch.js';
import type { OpRecord } from '../../protocol/timeline.js';
import { startServer, type RunningServer } from '../../host/serve.js';
import { ErrorCodes } from '../../protocol/contract.js';
import { sealTraceFile } from '../../runtime/trace/index.js';
import { tracePartPath } from '../../host/service-process.js';
import { SIM_BUILT, fakeRenderer } from './helpers.js';

interface Client {
  text: Array<Record<string, unknown>>;
  ops: OpRecord[];
  reader: BatchReader;
  call(method: string, params?: unknown): Promise<Record<string, unknown>>;
  send(id: number, method: string, params?: unknown): Promise<Record<string, unknown>>;
  waitEvent(
    pred: (m: Record<string, unknown>) => boolean,
    timeout?: number,
  ): Promise<Record<string, unknown>>;
  close(): void;
}

let nextId = 1;

function connectClient(url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const reader = new BatchReader();
    const reply = (id: number): Promise<Record<string, unknown>> =>
      vi.waitFor(
        () => {
          const m = client.text.find((t) => t.id === id);
          if (!m) throw new Error(`no reply to ${id} yet`);
          return m;
        },
        { timeout: 30_000, interval: 10 },
      );
    const client: Client = {
      text: [],
      ops: [],
      reader,
      call(method, params) {
        return client.send(nextId++, method, params);
      },
      send(id, method, params) {
        ws.send(JSON.stringify({ id, method, params: params ?? {} }));
        return reply(id);
      },
      waitEvent(pred, timeout = 30_000) {
        return vi.waitFor(
          () => {
            const m = client.text.find((t) => 'event' in t && pred(t));
            if (!m) throw new Error('no such event yet');
            return m;
          },
          { timeout, interval: 10 },
        );
      },
      close: () => ws.close(),
    };
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return void client.ops.push(...client.reader.apply(decodeBatch(data)));
      const m = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
      client.text.push(m);
      // As the renderer does: a reset means the ids that follow start a fresh string table.
      if (m.event === 'timeline.reset') client.reader = new BatchReader();
    });
    ws.on('open', () => resolve(client));
    ws.on('error', reject);
  });
}

const isState =
  (state: string) =>
  (m: Record<string, unknown>): boolean =>
    m.event === 'service.state' && (m.data as { state: string }).state === state;

function spansIn(path: string): number {
  const trace = JSON.parse(readFileSync(path, 'utf8')) as { traceEvents: Array<{ ph: string }> };
  return trace.traceEvents.filter((e) => e.ph === 'X').length;
}

describe('trace parts', () => {
  it('names the parts after a restart', () => {
    expect(tracePartPath('/t/run.json', 1)).toBe('/t/run.json');
    expect(tracePartPath('/t/run.json', 2)).toBe('/t/run.part2.json');
    expect(tracePartPath('/t/run', 3)).toBe('/t/run.part3.json');
  });

  it('seals a trace file cut in the middle of a flush, and an empty one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xpuscope-seal-'));
    const header = '{"displayTimeUnit":"ns","traceEvents":[\n';
    const ev = (i: number): string => `{"ph":"X","name":"k${i}","pid":1,"tid":1,"ts":${i},"dur":1}`;
    const whole = join(dir, 'whole.json');
    writeFileSync(whole, `${header}${ev(1)},\n${ev(2)}\n]}\n`);
    expect(sealTraceFile(whole)).toBe('ok');
    const cut = join(dir, 'cut.json');
    writeFileSync(cut, `${header}${ev(1)},\n${ev(2)},\n{"ph":"X","na`);
    expect(sealTraceFile(cut)).toBe('repaired');
    expect(spansIn(cut)).toBe(2);
    const headerOnly = join(dir, 'header.json');
    writeFileSync(headerOnly, `${header}{"ph":"X","na`);
    expect(sealTraceFile(headerOnly)).toBe('repaired');
    expect(spansIn(headerOnly)).toBe(0);
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '');
    expect(sealTraceFile(empty)).toBe('empty');
    expect(spansIn(empty)).toBe(0);
    expect(sealTraceFile(join(dir, 'missing.json'))).toBe('missing');
  });
});

describe.skipIf(!SIM_BUILT)('serve: the service process is restarted after kill -9', () => {
  let server: RunningServer;
  let traceFile: string;

  beforeAll(async () => {
    traceFile = join(mkdtempSync(join(tmpdir(), 'xpuscope-crash-')), 'live.json');
    server = await startServer({
      port: 0,
      staticDir: fakeRenderer(),
      driver: 'sim',
      capture: { traceFile },
      serviceProcess: { restartDelayMs: 50 },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('runs the service in a child process', async () => {
    const pid = server.serviceProcess?.pid;
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(process.pid);
    await server.serviceProcess!.whenReady();
    expect(server.service.state.state).toBe('ready');
  });

  it('restarts it, keeps what clients hold and the trace file, fails in-flight requests', async () => {
    const c = await connectClient(server.wsUrl);
    try {
      const run = await c.call('scenario.run', {
        name: 'concurrency',
        device: 0,
        params: { streams: 2, kernels: 2, durationMs: 1 },
      });
      expect(run.result).toMatchObject({ name: 'concurrency', opCount: 4 });
      const state = (await c.call('capture.state')).result as { ops: number; traceFile: string };
      expect(state.traceFile).toBe(traceFile);
      await vi.waitFor(() => expect(c.ops.length).toBe(state.ops), { timeout: 10_000 });
      // The writer flushes about once a second: wait until the spans are on disk.
      await vi.waitFor(() => expect(spansIn(traceFile)).toBe(state.ops), { timeout: 10_000, interval: 100 });

      // A long scenario in flight when the process dies.
      const inflightId = 900_001;
      const inflight = c.send(inflightId, 'scenario.run', {
        name: 'concurrency',
        device: 0,
        params: { streams: 2, kernels: 200, durationMs: 20 },
      });
      await c.waitEvent((m) => m.event === 'scenario.progress');
      const pid = server.serviceProcess!.pid!;
      process.kill(pid, 'SIGKILL');

      const failed = await inflight;
      expect(failed).toMatchObject({ id: inflightId, error: { code: ErrorCodes.SERVICE_RESTARTED } });
      expect((failed.error as { message: string }).message).toContain('SIGKILL');
      const restarted = await c.waitEvent(isState('restarted'));
      expect((restarted.data as { message: string }).message).toBe(
        'the GPU service process stopped unexpectedly (signal SIGKILL) and was restarted; the timeline so far is kept',
      );
      const held = c.ops.length;
      expect(held).toBeGreaterThanOrEqual(state.ops);
      const textAtRestart = c.text.length;
      const stringsBefore = [...c.reader.strings];
      const lanesBefore = new Map(c.reader.lanes);
      expect(server.serviceProcess!.pid).not.toBe(pid);
      expect(server.serviceProcess!.starts).toBe(2);

      // The service answers again.
      const list = await c.call('devices.list');
      expect(list.error).toBeUndefined();
      expect(list.result).toMatchObject({ driver: { simulated: true } });

      // The trace file of the dead process is valid JSON with every span recorded by then.
      expect(spansIn(traceFile)).toBeGreaterThanOrEqual(state.ops);
      // The new process writes the next part; its timeline starts empty; clients were not told to reset.
      const after = (await c.call('capture.state')).result as { ops: number; traceFile: string };
      expect(after.traceFile).toBe(tracePartPath(traceFile, 2));
      expect(c.text.slice(textAtRestart).some((m) => m.event === 'timeline.reset')).toBe(false);
      expect(c.ops.length).toBe(held);

      // New work arrives as batches after what the client kept.
      const again = await c.call('scenario.run', {
        name: 'concurrency',
        device: 0,
        params: { streams: 2, kernels: 2, durationMs: 1 },
      });
      expect(again.result).toMatchObject({ opCount: 4 });
      await vi.waitFor(() => expect(c.ops.length).toBeGreaterThanOrEqual(held + 4), { timeout: 10_000 });
      // The run is its own capture: the client was told to switch to it (after the restart, not by it).
      expect(c.text.slice(textAtRestart).filter((m) => m.event === 'timeline.reset')).toEqual([
        { event: 'timeline.reset', data: { reason: 'capture' } },
      ]);
      // The new process numbers from 0 again; the server renumbers lanes and ops after what the client
      // held, so ids a client keeps (a selection) never collide with the new capture's.
      expect(stringsBefore.length).toBeGreaterThan(0);
      for (const id of lanesBefore.keys()) expect(c.reader.lanes.has(id)).toBe(false);
      const ids = c.ops.map((o) => o.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(Math.min(...c.ops.slice(held).map((o) => o.id))).toBeGreaterThan(
        Math.max(...c.ops.slice(0, held).map((o) => o.id)),
      );
      for (const op of c.ops.slice(held)) expect(op.name).toBeTruthy();
    } finally {
      c.close();
    }
  });

  it('a paused capture stays paused after a restart; the next process writes the next part', async () => {
    const c = await connectClient(server.wsUrl);
    try {
      expect((await c.call('capture.control', { action: 'pause' })).result).toMatchObject({ paused: true });
      const pid = server.serviceProcess!.pid!;
      process.kill(pid, 'SIGKILL');
      await c.waitEvent(isState('restarted'));
      const st = (await c.call('capture.state')).result as { paused: boolean; traceFile: string };
      expect(st.paused).toBe(true);
      expect(st.traceFile).toBe(tracePartPath(traceFile, 3));
      expect(spansIn(tracePartPath(traceFile, 2))).toBeGreaterThanOrEqual(0); // valid JSON
      await c.call('capture.control', { action: 'resume' });
    } finally {
      c.close();
    }
  });

  it('a client connecting after the restart is served by the new process', async () => {
    const c = await connectClient(server.wsUrl);
    try {
      expect((await c.call('service.hello')).result).toMatchObject({ name: 'xpuscope' });
      expect((await c.call('devices.list')).error).toBeUndefined();
    } finally {
      c.close();
    }
  });
});

describe('serve: in-process mode', () => {
  it('inProcess: true runs the service in the server process', async () => {
    const server = await startServer({ port: 0, staticDir: fakeRenderer(), driver: 'sim', inProcess: true });
    try {
      expect(server.serviceProcess).toBeUndefined();
      const c = await connectClient(server.wsUrl);
      expect((await c.call('service.hello')).result).toMatchObject({ name: 'xpuscope' });
      c.close();
    } finally {
      await server.close();
    }
  });
});

describe.skipIf(!SIM_BUILT)('serve: crash loop', () => {
  it('gives up after maxRestarts within the window and says what to do', async () => {
    const server = await startServer({
      port: 0,
      staticDir: fakeRenderer(),
      driver: 'sim',
      serviceProcess: { maxRestarts: 2, restartDelayMs: 20 },
    });
    try {
      const c = await connectClient(server.wsUrl);
      const sp = server.serviceProcess!;
      for (let kill = 0; kill < 3; kill++) {
        const pid = await vi.waitFor(
          () => {
            const p = sp.pid;
            if (p === undefined) throw new Error('no child yet');
            return p;
          },
          { timeout: 10_000, interval: 10 },
        );
        process.kill(pid, 'SIGKILL');
        await vi.waitFor(() => expect(sp.pid).not.toBe(pid), { timeout: 10_000, interval: 10 });
      }
      const failed = await c.waitEvent(isState('failed'));
      expect((failed.data as { message: string }).message).toMatch(/3 times .* not restarted again/);
      expect((failed.data as { message: string }).message).toContain('xpuscope diag');
      expect(sp.pid).toBeUndefined();
      const reply = await c.call('devices.list');
      expect(reply.error).toMatchObject({ code: 'UNAVAILABLE' });
      c.close();
    } finally {
      await server.close();
    }
  });
});
