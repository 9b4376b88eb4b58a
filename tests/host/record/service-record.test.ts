// The service's record.* methods (the Record view's back end) through the real collector, loader and
// simulated driver: launching is refused unless the host allows it; a recording replaces the timeline,
// streams the program's operations (with their process/device/queue names) and output live, ends with
// the exit status and an analysis; `xpuscope record --to URL` streams into a running server.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RecordState } from '../../../protocol/views.js';
import { ErrorCodes, createService, type EventMessage, type Service } from '../../../host/service.js';
import { startServer } from '../../../host/serve.js';
import { ROOT, SIM_BUILT, rejection, subscriber } from '../helpers.js';

const SAMPLES = join(ROOT, 'native', 'build', 'samples');
const READY =
  SIM_BUILT &&
  existsSync(join(SAMPLES, 'multi_engine')) &&
  existsSync(join(ROOT, 'native', 'build', 'libxpuscope_collector.so'));
if (!READY)
  console.warn(
    '[tests/host/record] skipping service recording checks: native build (driver, collector, samples) missing',
  );

function until<T>(what: string, f: () => T | undefined, ms = 20_000): Promise<T> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const v = f();
      if (v !== undefined) resolve(v);
      else if (Date.now() - t0 > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

const finished = (events: EventMessage[]): RecordState | undefined => {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.event === 'record.state' && (e.data as RecordState).state === 'finished')
      return e.data as RecordState;
  }
  return undefined;
};

describe('record.start is refused unless launching is allowed', () => {
  const service = createService({ driver: 'sim', eager: false });
  afterAll(() => service.close());
  it('FORBIDDEN, with a hint naming --allow-launch, and nothing runs', async () => {
    const err = await rejection(service.call('record.start', { command: 'true', args: [] }));
    expect(err.code).toBe(ErrorCodes.FORBIDDEN);
    expect(err.hint).toMatch(/--allow-launch/);
    expect((await service.call('record.state', {})).state).toBe('idle');
  });
  it('bad requests are rejected before anything is looked at', async () => {
    for (const params of [
      { command: '', args: [] },
      { command: 'x' },
      { command: 'x', args: [], env: { 'BAD NAME': 'v' } },
      { command: 'x', args: [], driver: 'gpu' },
    ]) {
      const reply = await service.handle({ id: 1, method: 'record.start', params });
      expect('error' in reply && reply.error.code).toBe(ErrorCodes.INVALID_PARAMS);
    }
  });
});

describe.skipIf(!READY)('recording a program from the service', () => {
  const service = createService({ driver: 'sim', profile: 'max-1550', allowLaunch: true });
  afterAll(() => service.close());

  it("streams the program's operations live into a fresh timeline, with its output, exit and analysis", async () => {
    const sub = subscriber(service);
    const started = await service.call('record.start', {
      command: join(SAMPLES, 'multi_engine'),
      args: ['--lists', '4', '--kernels', '5'],
    });
    expect(started.state).toBe('running');
    expect(started.simulated).toBe(true);
    const done = await until('the recording to finish', () => finished(sub.events));
    expect(done.exit).toEqual({ code: 0 });
    expect(done.ops).toBe(24); // 4 × (5 kernels + 1 barrier)
    expect(done.processes.length).toBe(1);
    expect(done.processes[0]!.end).toBe('exited with code 0');
    expect(done.analysis!.peakConcurrency).toBe(4);
    expect(done.analysis!.summary).toMatch(/4 queues/);
    // The timeline was replaced for the recording, and every op arrived with its lane's names.
    expect(
      sub.events.some(
        (e) => e.event === 'timeline.reset' && (e.data as { reason: string }).reason === 'record',
      ),
    ).toBe(true);
    await until('all batches', () => (sub.ops.length >= 24 ? true : undefined));
    expect(sub.ops.length).toBe(24);
    expect(new Set(sub.ops.map((o) => o.source!.queue))).toEqual(
      new Set(['immediate list 1', 'immediate list 2', 'immediate list 3', 'immediate list 4']),
    );
    expect(sub.ops[0]!.source!.device).toMatch(/Max 1550/);
    expect(sub.ops[0]!.source!.process).toMatch(/^multi_engine --lists 4/);
    const output = sub.events
      .filter((e) => e.event === 'record.output')
      .map((e) => (e.data as { text: string }).text)
      .join('');
    expect(output).toMatch(/multi_engine: 4 lists x 5 kernels ok/);
    const cap = await service.call('capture.state', {});
    expect(cap.source).toBe('recording');
    expect(cap.sourceName).toMatch(/^multi_engine/);
    // The recording is its own entry in the captures list, ended once the program did.
    expect(cap.capture).toBe(done.capture);
    const entry = (await service.call('captures.list', {})).captures.find((c) => c.id === done.capture);
    expect(entry).toMatchObject({ kind: 'recording', ops: 24, live: false });
    expect(entry!.name).toMatch(/^multi_engine --lists 4/);
    // Back to live: a fresh timeline, never mixed with the recording.
    const live = await service.call('capture.control', { action: 'resume' });
    expect(live.source).toBe('live');
    expect(live.ops).toBe(0);
    sub.off();
  });

  it('one recording at a time (BUSY); record.stop ends the program; a missing command is NOT_FOUND', async () => {
    const sub = subscriber(service);
    await service.call('record.start', { command: 'sleep', args: ['30'] });
    const busy = await rejection(service.call('record.start', { command: 'true', args: [] }));
    expect(busy.code).toBe(ErrorCodes.BUSY);
    await service.call('record.stop', {});
    const done = await until('the stopped program', () => finished(sub.events));
    expect(done.exit).toEqual({ code: 130, signal: 'SIGINT' });
    const missing = await rejection(
      service.call('record.start', { command: 'no-such-program-xpuscope', args: [] }),
    );
    expect(missing.code).toBe(ErrorCodes.NOT_FOUND);
    expect(missing.message).toMatch(/command not found/);
    sub.off();
  });
});

describe.skipIf(!READY || !existsSync(join(ROOT, 'dist', 'host', 'commands', 'record.js')))(
  'xpuscope record --to URL',
  () => {
    it("streams into a running server, which shows the same operations and the program's end", async () => {
      const server = await startServer({ port: 0, driver: 'sim', inProcess: true, staticDir: ROOT });
      try {
        const sub = subscriber(server.service as Service);
        const json = join(mkdtempSync(join(tmpdir(), 'xpuscope-to-')), 'summary.json');
        // Asynchronously: the server answers in this process while the CLI runs.
        const r = await run(process.execPath, [
          join(ROOT, 'bin', 'xpuscope.js'),
          'record',
          '--driver',
          'sim',
          '--to',
          server.url,
          '--json',
          json,
          '--',
          join(SAMPLES, 'cross_engine'),
        ]);
        expect(r.stderr).not.toMatch(/^xpuscope record: (?!.*exited)/m);
        expect(r.status).toBe(0);
        const local = JSON.parse(readFileSync(json, 'utf8')) as { ops: { total: number } };
        const done = await until('the streamed recording', () => finished(sub.events));
        expect(done.ops).toBe(local.ops.total);
        expect(done.exit).toEqual({ code: 0 });
        await until('all batches', () => (sub.ops.length >= local.ops.total ? true : undefined));
        expect(sub.ops.some((o) => o.deps.length > 0)).toBe(true);
        expect(r.stderr).not.toMatch(/streaming to .* failed/);
      } finally {
        await server.close();
      }
    });
  },
);

function run(
  cmd: string,
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, XPUSCOPE_DRIVER: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
