// `xpuscope record` as users run it (node bin/xpuscope.js record … in a child process) on the plain
// Level Zero samples of native/samples, through the real loader, its tracing layer, the collector and
// the simulated driver. Needs the build (dist/host, native/build); skipped with the reason otherwise.
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RecordSummary } from '../../../host/commands/record.js';
import { ROOT, SIM_BUILT } from '../helpers.js';

const BIN = join(ROOT, 'bin', 'xpuscope.js');
const SAMPLES = join(ROOT, 'native', 'build', 'samples');
const COLLECTOR = join(ROOT, 'native', 'build', 'libxpuscope_collector.so');

function buildProblem(): string | undefined {
  if (!SIM_BUILT) return 'the simulated driver is not built';
  if (!existsSync(COLLECTOR)) return `${COLLECTOR} is missing (make -C native)`;
  if (!existsSync(join(SAMPLES, 'multi_engine'))) return 'the samples are not built (make -C native)';
  const js = join(ROOT, 'dist', 'host', 'commands', 'record.js');
  if (!existsSync(js)) return `${js} is missing (npm run build:ts)`;
  for (const f of [
    'commands/record.ts',
    'record/recording.ts',
    'record/launch.ts',
    'record/ring-reader.ts',
  ]) {
    const src = join(ROOT, 'host', f);
    const out = join(ROOT, 'dist', 'host', f.replace(/\.ts$/, '.js'));
    if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs)
      return `dist/host/${f} is stale (npm run build:ts)`;
  }
  return undefined;
}
const NOT_BUILT = buildProblem();
// In CI everything is built first: a skip there would hide the recording checks, so it is an error.
if (NOT_BUILT && process.env.CI) throw new Error(`xpuscope record checks cannot run in CI: ${NOT_BUILT}`);
if (NOT_BUILT) console.warn(`[tests/host/record] skipping xpuscope record checks: ${NOT_BUILT}`);

// XPUSIM_LEAK_CHECK: the simulated driver names, at exit, every Level Zero object still alive — the
// collector must leave none of its own (its event pools go with the program's contexts).
const baseEnv = {
  ...process.env,
  XPUSCOPE_DRIVER: '',
  XPUSIM_PROFILE: '',
  NO_COLOR: '1',
  XPUSIM_LEAK_CHECK: '1',
};

interface Run {
  r: SpawnSyncReturns<string>;
  summary?: RecordSummary;
  trace?: TraceFile;
}
interface TraceEvent {
  ph: string;
  name: string;
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  args?: Record<string, unknown>;
  id?: number;
}
interface TraceFile {
  traceEvents: TraceEvent[];
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh folder under the system's temporary one, removed after the tests. */
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `xpuscope-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** Writes `lines` to dir/name.c and builds dir/`out` from it with cc and `args` (libraries, -shared…). */
function buildC(dir: string, name: string, lines: string[], args = ['-lze_loader'], out = name): string {
  const src = join(dir, `${name}.c`);
  const bin = join(dir, out);
  writeFileSync(src, lines.join('\n'));
  execFileSync('cc', ['-o', bin, src, ...args]);
  return bin;
}

/** Runs `xpuscope record [opts] -- cmd…`, with --json and --trace into a fresh folder. */
function record(
  cmd: string[],
  opts: { args?: string[]; env?: Record<string, string>; profile?: string } = {},
): Run {
  const dir = tempDir('rec-test');
  const json = join(dir, 'summary.json');
  const trace = join(dir, 'trace.json');
  const r = spawnSync(
    process.execPath,
    [
      BIN,
      'record',
      '--driver',
      'sim',
      ...(opts.profile ? ['--profile', opts.profile] : []),
      '--json',
      json,
      '--trace',
      trace,
      ...(opts.args ?? []),
      '--',
      ...cmd,
    ],
    { encoding: 'utf8', env: { ...baseEnv, ...opts.env }, timeout: 60_000 },
  );
  const out: Run = { r };
  if (existsSync(json)) out.summary = JSON.parse(readFileSync(json, 'utf8')) as RecordSummary;
  if (existsSync(trace)) out.trace = JSON.parse(readFileSync(trace, 'utf8')) as TraceFile;
  return out;
}

const sample = (name: string): string => join(SAMPLES, name);

/** X events per (pid, tid) must strictly nest (Perfetto draws partial overlaps on an overflow track). */
function expectStrictlyNested(t: TraceFile): void {
  const byTrack = new Map<string, { s: number; e: number }[]>();
  for (const e of t.traceEvents) {
    if (e.ph !== 'X') continue;
    const k = `${e.pid}/${e.tid}`;
    let l = byTrack.get(k);
    if (!l) byTrack.set(k, (l = []));
    l.push({ s: e.ts!, e: e.ts! + e.dur! });
  }
  for (const spans of byTrack.values()) {
    spans.sort((a, b) => a.s - b.s || b.e - a.e);
    const stack: { s: number; e: number }[] = [];
    for (const sp of spans) {
      while (stack.length && stack[stack.length - 1]!.e <= sp.s) stack.pop();
      const top = stack[stack.length - 1];
      if (top)
        expect(sp.e, `span ${sp.s}–${sp.e} overlaps ${top.s}–${top.e} partially`).toBeLessThanOrEqual(top.e);
      stack.push(sp);
    }
  }
}

function threadNames(t: TraceFile): string[] {
  return t.traceEvents
    .filter((e) => e.ph === 'M' && e.name === 'thread_name')
    .map((e) => String(e.args?.name));
}

function kernels(t: TraceFile, name: string): TraceEvent[] {
  return t.traceEvents.filter((e) => e.ph === 'X' && e.name === name);
}

describe.skipIf(NOT_BUILT !== undefined)('xpuscope record', () => {
  it("records overlapping kernels of 4 immediate lists on 4 engines, with the program's output and exit code", () => {
    const { r, summary, trace } = record([sample('multi_engine'), '--lists', '4', '--kernels', '6'], {
      profile: 'max-1550',
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/multi_engine: 4 lists x 6 kernels ok/);
    expect(summary!.exit).toEqual({ code: 0 });
    expect(summary!.ops.byKind.kernel).toBe(24);
    expect(summary!.ops.dropped).toBe(0);
    expect(summary!.ops.inFlightAtEnd).toBe(0);
    // Four compute engines, each busy, and the kernels of different lists ran at the same time.
    const engines = summary!.metrics!.engines.filter((e) => e.label.includes('compute'));
    expect(engines.length).toBe(4);
    expect(summary!.metrics!.concurrency).toBeGreaterThan(2.5);
    expect(summary!.metrics!.peakConcurrency).toBe(4);
    const names = threadNames(trace!);
    for (let i = 1; i <= 4; i++)
      expect(names.some((n) => n.startsWith(`immediate list ${i} · compute`))).toBe(true);
    expect(kernels(trace!, 'busy').length).toBe(24);
    expectStrictlyNested(trace!);
    const proc = trace!.traceEvents.find((e) => e.ph === 'M' && e.name === 'process_name');
    expect(String(proc!.args!.name)).toMatch(
      /^multi_engine --lists 4 --kernels 6 \(pid \d+\) · Intel\(R\) Data Center GPU Max 1550/,
    );
    expect(r.stderr).toMatch(/xpuscope record: .*multi_engine .* exited with code 0/);
    expect(r.stderr).not.toContain('still alive');
  });

  it('draws dependency edges across engines (copy → kernel → copy) and the program still reads its own kernel timestamps', () => {
    const { r, trace, summary } = record([sample('cross_engine')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/own timestamp: [1-9]\d* ticks/);
    expect(r.stdout).toMatch(/cross_engine: 4 items .* ok/);
    expect(summary!.ops.byKind.copy).toBeGreaterThanOrEqual(8);
    // Every saxpy waited on a copy on the copy engine, and a copy back waited on it: flow arrows.
    const flowsOut = trace!.traceEvents.filter((e) => e.ph === 's');
    const flowsIn = trace!.traceEvents.filter((e) => e.ph === 'f');
    expect(flowsOut.length).toBeGreaterThanOrEqual(8);
    expect(flowsIn.length).toBe(flowsOut.length);
    const copyLane = threadNames(trace!).filter((n) => n.includes('· copy'));
    expect(copyLane.length).toBeGreaterThan(0);
    expectStrictlyNested(trace!);
    expect(r.stderr).not.toContain('still alive');
  });

  it("--host-calls: each thread's Level Zero calls as host spans, with an arrow from each append to its operation", () => {
    const { r, summary, trace } = record([sample('cross_engine')], { args: ['--host-calls'] });
    expect(r.status).toBe(0);
    // GPU figures are those of the GPU operations alone.
    expect(summary!.ops.byKind['host-call']).toBeUndefined();
    const gpu = summary!.ops.total;
    const host = summary!.hostCalls!;
    expect(host.threads).toBe(1);
    expect(host.byName.zeCommandListAppendLaunchKernel!.count).toBe(summary!.ops.byKind.kernel);
    expect(host.byName.zeCommandListAppendMemoryCopy!.count).toBe(summary!.ops.byKind.copy);
    expect(host.byName.zeEventHostSynchronize!.count).toBeGreaterThanOrEqual(1);
    expect(host.byName.zeEventHostSynchronize!.totalNs).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/host calls: \d+ on 1 thread\(s\); most time in zeEventHostSynchronize/);
    expect(threadNames(trace!).some((n) => /^main thread \d+$/.test(n))).toBe(true);
    // Every GPU operation has a launch arrow from the call that appended it.
    const calls = trace!.traceEvents.filter((e) => e.ph === 'X' && e.name.startsWith('zeCommandListAppend'));
    expect(calls.length).toBe(gpu);
    const flowsIn = trace!.traceEvents.filter((e) => e.ph === 'f');
    expect(flowsIn.length).toBeGreaterThanOrEqual(gpu);
    expectStrictlyNested(trace!);
    // The analysis is about the GPU: no finding names a host thread.
    expect(JSON.stringify(summary!.analysis!.findings)).not.toMatch(/thread/);
  });

  it('--host-calls on a regular list: every execution is a host span its operations point back to', () => {
    const { r, summary } = record([sample('regular_queue'), '--runs', '3'], { args: ['--host-calls'] });
    expect(r.status).toBe(0);
    expect(summary!.ops.total).toBe(9);
    expect(summary!.hostCalls!.byName.zeCommandQueueExecuteCommandLists!.count).toBe(3);
    expect(summary!.hostCalls!.byName.zeFenceHostSynchronize!.count).toBe(3);
  });

  it('Level Zero initialized in a library constructor (preloaded or linked): recorded, and the program exits', () => {
    const dir = tempDir('ctor');
    const lib = buildC(
      dir,
      'ctor',
      [
        '#include <level_zero/ze_api.h>',
        '__attribute__((constructor)) static void init(void) { zeInit(0); }',
        '',
      ],
      ['-shared', '-fPIC', '-lze_loader'],
      'libctor.so',
    );
    const plain = buildC(
      dir,
      'main',
      [
        '#include <stdio.h>',
        '#include <level_zero/ze_api.h>',
        'int main(void) {',
        '  zeInit(0); uint32_t n = 1; ze_driver_handle_t d; zeDriverGet(&n, &d); ze_device_handle_t dev; n = 1; zeDeviceGet(d, &n, &dev);',
        '  ze_context_desc_t cd = {ZE_STRUCTURE_TYPE_CONTEXT_DESC, 0, 0}; ze_context_handle_t ctx; zeContextCreate(d, &cd, &ctx);',
        '  ze_command_queue_desc_t qd = {ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC, 0, 0, 0, 0, ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS, 0};',
        '  ze_command_list_handle_t l; zeCommandListCreateImmediate(ctx, dev, &qd, &l);',
        '  char a[4096], b[4096] = {3}; zeCommandListAppendMemoryCopy(l, a, b, sizeof a, 0, 0, 0);',
        '  zeCommandListDestroy(l); zeContextDestroy(ctx); printf("main done %d\\n", a[0]); return 0;',
        '}',
      ],
      ['-lze_loader'],
      'plain',
    );
    const linked = join(dir, 'linked');
    execFileSync('cc', [
      '-o',
      linked,
      join(dir, 'main.c'),
      '-Wl,--no-as-needed',
      lib,
      '-lze_loader',
      `-Wl,-rpath,${dir}`,
    ]);
    // Preloaded before the collector: its constructor's zeInit comes before the collector's own.
    const pre = record([plain], { env: { LD_PRELOAD: lib } });
    expect(pre.r.status).toBe(0);
    expect(pre.r.stdout).toContain('main done 3');
    expect(pre.summary!.ops.byKind.copy).toBe(1);
    // Linked: the library's constructor runs before the collector's.
    const withLib = record([linked]);
    expect(withLib.r.status).toBe(0);
    expect(withLib.summary!.processes[0]!.traced).toBe(true);
    expect(withLib.summary!.ops.byKind.copy).toBe(1);
  });

  it("a regular list re-executed without resetting the program's timestamp event: each execution its own, right times", () => {
    const dir = tempDir('reexec');
    const p = buildC(dir, 'p', [
      '#include <stdio.h>',
      '#include <level_zero/ze_api.h>',
      'int main(void) {',
      '  zeInit(0); uint32_t n = 1; ze_driver_handle_t drv; zeDriverGet(&n, &drv); ze_device_handle_t dev; n = 1; zeDeviceGet(drv, &n, &dev);',
      '  ze_context_desc_t cd = {ZE_STRUCTURE_TYPE_CONTEXT_DESC, 0, 0}; ze_context_handle_t ctx; zeContextCreate(drv, &cd, &ctx);',
      '  ze_command_queue_desc_t qd = {ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC}; ze_command_queue_handle_t q; zeCommandQueueCreate(ctx, dev, &qd, &q);',
      '  ze_command_list_desc_t ld = {ZE_STRUCTURE_TYPE_COMMAND_LIST_DESC}; ze_command_list_handle_t l; zeCommandListCreate(ctx, dev, &ld, &l);',
      '  ze_event_pool_desc_t pd = {ZE_STRUCTURE_TYPE_EVENT_POOL_DESC, 0, ZE_EVENT_POOL_FLAG_KERNEL_TIMESTAMP | ZE_EVENT_POOL_FLAG_HOST_VISIBLE, 1};',
      '  ze_event_pool_handle_t pool; zeEventPoolCreate(ctx, &pd, 1, &dev, &pool);',
      '  ze_event_desc_t ed = {ZE_STRUCTURE_TYPE_EVENT_DESC, 0, 0, ZE_EVENT_SCOPE_FLAG_HOST, ZE_EVENT_SCOPE_FLAG_HOST}; ze_event_handle_t ev; zeEventCreate(pool, &ed, &ev);',
      '  ze_device_mem_alloc_desc_t dd = {ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC}; void *d; zeMemAllocDevice(ctx, &dd, 1 << 24, 64, dev, &d);',
      '  zeCommandListAppendMemoryFill(l, d, "*", 1, 1 << 24, ev, 0, NULL); zeCommandListClose(l);',
      '  for (int i = 0; i < 4; i++) {',
      '    zeCommandQueueExecuteCommandLists(q, 1, &l, NULL); zeCommandQueueSynchronize(q, UINT64_MAX);',
      '    ze_kernel_timestamp_result_t ts; zeEventQueryKernelTimestamp(ev, &ts);',
      '    printf("ticks %llu\\n", (unsigned long long)(ts.global.kernelEnd - ts.global.kernelStart));',
      '  }',
      '  zeMemFree(ctx, d); zeEventDestroy(ev); zeEventPoolDestroy(pool); zeCommandListDestroy(l); zeCommandQueueDestroy(q); zeContextDestroy(ctx);',
      '  return 0;',
      '}',
    ]);
    const { r, trace } = record([p]);
    expect(r.status).toBe(0);
    const fills = kernels(trace!, 'fill');
    expect(fills.length).toBe(4);
    expect(new Set(fills.map((e) => e.ts)).size).toBe(4);
    // The same durations the program read from its own event, execution by execution (52 ns ticks).
    const own = [...r.stdout.matchAll(/ticks (\d+)/g)].map((m) => (Number(m[1]) * 1e9) / 19.2e6);
    fills.sort((a, b) => a.ts! - b.ts!);
    for (let i = 0; i < 4; i++) expect(Math.abs(fills[i]!.dur! * 1000 - own[i]!)).toBeLessThan(60);
    expect(threadNames(trace!).length).toBe(1); // no spurious overlap lane
  });

  it('an event signalled on one engine and waited on by another: the wait never ends before the signal', () => {
    const dir = tempDir('sigwait');
    const p = buildC(dir, 'p', [
      '#include <level_zero/ze_api.h>',
      'int main(void) {',
      '  zeInit(0); uint32_t n = 1; ze_driver_handle_t drv; zeDriverGet(&n, &drv); ze_device_handle_t dev; n = 1; zeDeviceGet(drv, &n, &dev);',
      '  ze_context_desc_t cd = {ZE_STRUCTURE_TYPE_CONTEXT_DESC}; ze_context_handle_t ctx; zeContextCreate(drv, &cd, &ctx);',
      '  ze_command_queue_desc_t qa = {ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC}; qa.ordinal = 0;',
      '  ze_command_queue_desc_t qb = {ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC}; qb.ordinal = 2;',
      '  ze_command_list_handle_t a, b; zeCommandListCreateImmediate(ctx, dev, &qa, &a); zeCommandListCreateImmediate(ctx, dev, &qb, &b);',
      '  ze_event_pool_desc_t pd = {ZE_STRUCTURE_TYPE_EVENT_POOL_DESC, 0, ZE_EVENT_POOL_FLAG_HOST_VISIBLE, 2}; ze_event_pool_handle_t pool; zeEventPoolCreate(ctx, &pd, 1, &dev, &pool);',
      '  ze_event_desc_t ed = {ZE_STRUCTURE_TYPE_EVENT_DESC, 0, 0, ZE_EVENT_SCOPE_FLAG_HOST, ZE_EVENT_SCOPE_FLAG_HOST}; ze_event_handle_t e, f;',
      '  zeEventCreate(pool, &ed, &e); ed.index = 1; zeEventCreate(pool, &ed, &f);',
      '  for (int i = 0; i < 20; i++) {',
      '    zeCommandListAppendSignalEvent(a, e); zeCommandListAppendWaitOnEvents(b, 1, &e); zeCommandListAppendSignalEvent(b, f);',
      '    zeEventHostSynchronize(f, UINT64_MAX); zeEventHostReset(e); zeEventHostReset(f);',
      '  }',
      '  zeEventDestroy(e); zeEventDestroy(f); zeEventPoolDestroy(pool); zeCommandListDestroy(a); zeCommandListDestroy(b); zeContextDestroy(ctx);',
      '  return 0;',
      '}',
    ]);
    const { r, trace } = record([p]);
    expect(r.status).toBe(0);
    const byId = new Map(
      trace!.traceEvents.filter((e) => e.ph === 'X').map((e) => [e.args!.id as number, e]),
    );
    let edges = 0;
    for (const e of byId.values()) {
      for (const dep of e.args!.deps as number[]) {
        const from = byId.get(dep);
        if (!from) continue;
        edges++;
        expect(e.ts! + e.dur!, `op ${e.args!.id} ends before ${dep} starts`).toBeGreaterThanOrEqual(from.ts!);
      }
    }
    expect(edges).toBe(20);
  });

  it('a context destroyed with work still pending: the program runs on, that work is counted lost', (ctx) => {
    if (spawnSync('valgrind', ['--version']).status !== 0) ctx.skip(); // the check is valgrind's
    const dir = tempDir('ctxdrop');
    const p = buildC(dir, 'p', [
      '#include <stdio.h>',
      '#include <level_zero/ze_api.h>',
      'int main(void) {',
      '  zeInit(0); uint32_t n = 1; ze_driver_handle_t drv; zeDriverGet(&n, &drv); ze_device_handle_t dev; n = 1; zeDeviceGet(drv, &n, &dev);',
      '  ze_context_desc_t cd = {ZE_STRUCTURE_TYPE_CONTEXT_DESC}; ze_context_handle_t ctx; zeContextCreate(drv, &cd, &ctx);',
      '  ze_command_queue_desc_t qd = {ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC}; ze_command_queue_handle_t q; zeCommandQueueCreate(ctx, dev, &qd, &q);',
      '  ze_command_list_desc_t ld = {ZE_STRUCTURE_TYPE_COMMAND_LIST_DESC}; ze_command_list_handle_t l; zeCommandListCreate(ctx, dev, &ld, &l);',
      '  ze_device_mem_alloc_desc_t dd = {ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC}; void *d; zeMemAllocDevice(ctx, &dd, 1 << 26, 64, dev, &d);',
      '  zeCommandListAppendMemoryFill(l, d, "*", 1, 1 << 26, NULL, 0, NULL); zeCommandListClose(l);',
      '  zeCommandQueueExecuteCommandLists(q, 1, &l, NULL);',
      '  zeContextDestroy(ctx); /* without waiting; the list and queue are left alive */',
      '  zeCommandQueueExecuteCommandLists(q, 1, &l, NULL);',
      '  puts("done");',
      '  return 0;',
      '}',
    ]);
    // Under valgrind: the collector's events must not be destroyed while the device still signals them.
    const { r, summary } = record(['valgrind', '-q', '--error-exitcode=9', p], {
      env: { XPUSIM_LEAK_CHECK: '' },
    });
    expect(r.stderr).not.toMatch(/Invalid (read|write)/);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('done');
    expect(summary!.ops.byKind.fill).toBe(2);
    expect(summary!.ops.lost).toBeGreaterThanOrEqual(1);
  });

  it("the leak check used above does name a program's leaked objects", () => {
    const dir = tempDir('leak');
    const p = buildC(dir, 'p', [
      '#include <level_zero/ze_api.h>',
      'int main(void) {',
      '  zeInit(0); uint32_t c = 1; ze_driver_handle_t d; zeDriverGet(&c, &d);',
      '  ze_context_desc_t cd = {ZE_STRUCTURE_TYPE_CONTEXT_DESC, 0, 0}; ze_context_handle_t ctx;',
      '  return zeContextCreate(d, &cd, &ctx);',
      '}',
    ]);
    const { r } = record([p]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/xpusim: Level Zero objects still alive at exit: 1 context/);
  });

  it('a regular command list executed 5 times on a queue gives 5 sets of spans on the queue', () => {
    const { r, summary, trace } = record([sample('regular_queue'), '--runs', '5']);
    expect(r.status).toBe(0);
    expect(summary!.ops.total).toBe(15);
    expect(kernels(trace!, 'fill_u32').length).toBe(5);
    expect(kernels(trace!, 'copy_u32').length).toBe(5);
    expect(threadNames(trace!).some((n) => n.startsWith('queue 1 · compute'))).toBe(true);
    // Each execution ran after the previous one was submitted: the 5 fills do not coincide.
    const starts = kernels(trace!, 'fill_u32').map((e) => e.ts!);
    expect(new Set(starts).size).toBe(5);
    // Each op says which execution it belongs to, and a kernel its launch dimensions.
    expect(kernels(trace!, 'fill_u32').map((e) => e.args!.detail)).toEqual(
      [1, 2, 3, 4, 5].map((n) => `groups 4096×1×1 · group size 256×1×1 · execution ${n}`),
    );
    expect(r.stderr).not.toContain('still alive');
  });

  for (const [mode, signal, code] of [
    ['segv', 'SIGSEGV', 139],
    ['abort', 'SIGABRT', 134],
    ['kill', 'SIGKILL', 137],
  ] as const) {
    it(`a program that crashes (${mode}) keeps every operation it saw complete, in a valid trace; exit ${code}`, () => {
      const { r, summary, trace } = record([sample('crash'), '--mode', mode]);
      expect(r.status).toBe(code);
      expect(r.stdout).toMatch(/synced 4/);
      expect(summary!.exit).toEqual({ code, signal });
      // The 4 kernels the program synchronized on before dying are all there, with device times.
      const busy = kernels(trace!, 'busy');
      expect(busy.length).toBeGreaterThanOrEqual(4);
      for (const b of busy.slice(0, 4)) expect(b.dur!).toBeGreaterThan(0);
      expect(summary!.processes[0]!.end).toEqual({ how: 'signal', signal, code });
      expect(r.stderr).toContain(`was killed by ${signal}`);
    });
  }

  for (const variant of [[], ['--exec']]) {
    it(`records a child process as its own process (fork${variant.length ? '+exec' : ''})`, () => {
      const { r, summary, trace } = record([sample('fork_child'), ...variant]);
      expect(r.status).toBe(0);
      const traced = summary!.processes.filter((p) => p.traced && p.ops > 0);
      expect(traced.length).toBe(2);
      expect(new Set(traced.map((p) => p.pid)).size).toBe(2);
      const kernelsByProcess = traced.map((p) => p.ops).sort();
      expect(kernelsByProcess[0]).toBeGreaterThanOrEqual(3);
      const procNames = trace!.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name');
      expect(new Set(procNames.map((e) => String(e.args!.name).match(/\(pid (\d+)\)/)![1])).size).toBe(2);
    });
  }

  it('the ring directory is private (0700) and its rings 0600; the CLI removes it at the end', async () => {
    const { launch } = await import('../../../host/record/launch.js');
    const { resolveDriverChoice } = await import('../../../runtime/driver.js');
    const l = launch({
      command: sample('regular_queue'),
      args: ['--runs', '1'],
      env: baseEnv,
      driver: resolveDriverChoice({ driver: 'sim' }),
      stdio: 'pipe',
    });
    await new Promise((resolve) => l.child.once('exit', resolve));
    expect(statSync(l.dir).mode & 0o777).toBe(0o700);
    const rings = readdirSync(l.dir).filter((f) => f.endsWith('.ring'));
    expect(rings.length).toBe(1);
    expect(statSync(join(l.dir, rings[0]!)).mode & 0o777).toBe(0o600);
    rmSync(l.dir, { recursive: true, force: true });
    // The CLI's own ring directory is gone once it has printed the summary.
    const before = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('xpuscope-record-')));
    record([sample('regular_queue'), '--runs', '1']);
    const after = readdirSync(tmpdir()).filter((f) => f.startsWith('xpuscope-record-') && !before.has(f));
    expect(after).toEqual([]);
  });

  it("exits with the program's own exit code", () => {
    const { r } = record(['sh', '-c', 'exit 3']);
    expect(r.status).toBe(3);
  });

  it('a program that never uses Level Zero: it runs, and the summary says nothing was recorded', () => {
    const { r, summary } = record(['true']);
    expect(r.status).toBe(0);
    expect(summary!.ops.total).toBe(0);
    expect(r.stderr).toMatch(/nothing recorded: the program made no Level Zero calls/);
  });

  it('a command that does not exist: 127 and a clear message', () => {
    const { r } = record(['no-such-command-xpuscope']);
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/no-such-command-xpuscope: command not found/);
  });

  it('a file that is not executable: 126', () => {
    const dir = tempDir('noexec');
    const f = join(dir, 'prog');
    writeFileSync(f, '#!/bin/sh\necho hi\n');
    chmodSync(f, 0o644);
    const { r } = record([f]);
    expect(r.status).toBe(126);
    expect(r.stderr).toMatch(/not executable/);
  });

  it('no command: a usage error, 125', () => {
    const r = spawnSync(process.execPath, [BIN, 'record', '--driver', 'sim'], {
      encoding: 'utf8',
      env: baseEnv,
    });
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/no command to record/);
  });

  it('a statically linked executable cannot be injected: 125, said plainly, nothing is run', (ctx) => {
    const dir = tempDir('static');
    writeFileSync(join(dir, 's.c'), '#include <stdio.h>\nint main(void){puts("static ran");return 0;}\n');
    const cc = spawnSync('cc', ['-static', '-o', join(dir, 's'), join(dir, 's.c')], { encoding: 'utf8' });
    if (cc.status !== 0) ctx.skip(); // no static libc on this machine (Debian's libc6-dev has it)
    const { r } = record([join(dir, 's')]);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/statically linked executable: the collector cannot be injected/);
    expect(r.stdout).not.toContain('static ran');
  });

  it('a loader without a working tracing layer: one clear line, the program runs untraced and unchanged', () => {
    const dir = tempDir('nolayer');
    // The loader dlopens libze_tracing_layer.so.1 by name: a broken one first on the path fails to load.
    writeFileSync(join(dir, 'libze_tracing_layer.so.1'), '');
    const { r, summary } = record([sample('multi_engine'), '--lists', '2', '--kernels', '2'], {
      env: { LD_LIBRARY_PATH: dir },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/multi_engine: 2 lists x 2 kernels ok/);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('xpuscope: '));
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/did not load its tracing layer.*the program runs untraced/);
    expect(summary!.processes[0]!.traced).toBe(false);
    expect(r.stderr).toMatch(/nothing recorded: .*tracing layer/);
  });

  it('Level Zero reached around the collector (a plugin loaded with RTLD_DEEPBIND) is reported, as a static loader would be', () => {
    const dir = tempDir('behind');
    // A plugin bound to its own dependencies first: its zeInit is the loader's, never the collector's,
    // exactly what a program with a statically linked loader looks like from outside.
    const plugin = buildC(
      dir,
      'plugin',
      [
        '#include <stdio.h>',
        '#include <level_zero/ze_api.h>',
        'int run(void) {',
        '  uint32_t n = 0;',
        '  ze_result_t r = zeInit(0);',
        '  if (r == ZE_RESULT_SUCCESS) r = zeDriverGet(&n, NULL);',
        '  printf("init %d drivers %u\\n", (int)r, n);',
        '  return r == ZE_RESULT_SUCCESS ? 0 : 1;',
        '}',
      ],
      ['-shared', '-fPIC', '-lze_loader'],
      'plugin.so',
    );
    const p = buildC(
      dir,
      'p',
      [
        '#define _GNU_SOURCE',
        '#include <dlfcn.h>',
        '#include <stdio.h>',
        'int main(int argc, char **argv) {',
        '  (void)argc;',
        '  void *h = dlopen(argv[1], RTLD_NOW | RTLD_DEEPBIND);',
        '  if (!h) { fprintf(stderr, "%s\\n", dlerror()); return 2; }',
        '  int (*run)(void) = (int (*)(void))dlsym(h, "run");',
        '  return run();',
        '}',
      ],
      ['-ldl'],
    );
    const { r, summary } = record([p, plugin]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/init 0 drivers 1/);
    expect(summary!.processes[0]!.traced).toBe(false);
    expect(r.stderr).toMatch(/initialized Level Zero without going through the collector/);
  });

  it('a program that loads the loader with dlopen and finds its functions with dlsym is recorded', () => {
    const dir = tempDir('dlopen');
    const p = buildC(
      dir,
      'p',
      [
        '#include <dlfcn.h>',
        '#include <stdio.h>',
        '#include <level_zero/ze_api.h>',
        '#define GET(name) __typeof__(&name) p_##name = (__typeof__(&name))dlsym(h, #name)',
        'int main(void) {',
        '  void *h = dlopen("libze_loader.so.1", RTLD_NOW | RTLD_LOCAL);',
        '  GET(zeInit); GET(zeDriverGet); GET(zeDeviceGet); GET(zeContextCreate);',
        '  GET(zeCommandListCreateImmediate); GET(zeCommandListAppendMemoryCopy); GET(zeCommandListDestroy); GET(zeContextDestroy);',
        '  if (p_zeInit(0)) return 1;',
        '  uint32_t c = 1; ze_driver_handle_t d; p_zeDriverGet(&c, &d); ze_device_handle_t dev; c = 1; p_zeDeviceGet(d, &c, &dev);',
        '  ze_context_desc_t cd = {ZE_STRUCTURE_TYPE_CONTEXT_DESC, 0, 0}; ze_context_handle_t ctx; p_zeContextCreate(d, &cd, &ctx);',
        '  ze_command_queue_desc_t qd = {ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC, 0, 0, 0, 0, ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS, 0};',
        '  ze_command_list_handle_t l; p_zeCommandListCreateImmediate(ctx, dev, &qd, &l);',
        '  char a[4096], b[4096] = {7};',
        '  for (int i = 0; i < 3; i++) if (p_zeCommandListAppendMemoryCopy(l, a, b, sizeof a, 0, 0, 0)) return 1;',
        '  p_zeCommandListDestroy(l); p_zeContextDestroy(ctx);',
        '  printf("copied %d\\n", a[0]);',
        '  return 0;',
        '}',
      ],
      ['-ldl'],
    );
    const { r, summary } = record([p]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/copied 7/);
    expect(summary!.ops.byKind.copy).toBe(3);
  });

  it('a program that produces records faster than they are read: drops are counted, the program is unaffected', () => {
    const { r, summary } = record([sample('launch_bound'), '--lists', '2', '--ops', '4000'], {
      env: { XPUSCOPE_RING_BYTES: '4096', XPUSCOPE_HARVEST_US: '100' },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ops=8000/);
    expect(summary!.ops.dropped).toBeGreaterThan(0);
    expect(summary!.ops.total + summary!.ops.dropped).toBeGreaterThanOrEqual(8000);
    expect(r.stderr).toMatch(
      /\d+ records dropped \(the program produced them faster than xpuscope read them\)/,
    );
  });

  it('works under the validation layer, which reports nothing', () => {
    const { r, summary } = record([sample('cross_engine')], {
      env: { ZE_ENABLE_VALIDATION_LAYER: '1', ZE_ENABLE_PARAMETER_VALIDATION: '1' },
    });
    expect(r.status).toBe(0);
    expect(summary!.ops.total).toBeGreaterThanOrEqual(12);
    const foreign = r.stderr.split('\n').filter((l) => l.trim() && !/^xpuscope record:|^ {2}/.test(l));
    expect(foreign).toEqual([]);
  });

  it("records xpuscope's own runtime used by a node program, matching what its own recorder saw", () => {
    const dir = tempDir('rt');
    const script = join(dir, 'rt.mjs');
    writeFileSync(
      script,
      [
        `import { xpu, configureDriver } from ${JSON.stringify(join(ROOT, 'dist', 'runtime', 'index.js'))};`,
        "configureDriver({ driver: 'system' });",
        'const seen = [];',
        'xpu.setRecorder((op) => seen.push(op));',
        'const k = xpu.kernels(0);',
        'const streams = [0, 1].map(() => new xpu.Stream({ device: 0 }));',
        "const x = xpu.alloc(4 * 4096, { kind: 'device' });",
        'for (let i = 0; i < 5; i++) for (const s of streams) s.launch(k.busy, { groups: 4, groupSize: 64, args: [x, 20000] });',
        'for (const s of streams) await s.synchronize();',
        'process.stdout.write(JSON.stringify(seen.map((o) => ({ name: o.name, start: o.startNs, end: o.endNs }))) + "\\n");',
      ].join('\n'),
    );
    const { r, summary, trace } = record([process.execPath, script]);
    expect(r.status).toBe(0);
    const own = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      name: string;
      start: number;
      end: number;
    }[];
    expect(own.length).toBe(10);
    expect(summary!.ops.byKind.kernel).toBe(10);
    // Same kernels, same device times (the runtime's own timestamp events, read by both).
    const recorded = kernels(trace!, 'busy')
      .map((e) => e.dur! * 1000)
      .sort((a, b) => a - b);
    const mine = own.map((o) => o.end - o.start).sort((a, b) => a - b);
    expect(recorded.length).toBe(mine.length);
    for (let i = 0; i < mine.length; i++) expect(Math.abs(recorded[i]! - mine[i]!)).toBeLessThan(100);
  });
});
