// `xpuscope run` and `xpuscope trace import` (host/commands/), in-process through the real loader and
// the simulated driver (max-1550 in this process).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatScenarioResult, optionName, progressBar, runCommand } from '../../host/commands/run.js';
import { traceCommand } from '../../host/commands/trace.js';
import { SIM_BUILT, captureIo } from './helpers.js';

const SIM = ['--driver', 'sim', '--profile', 'max-1550'];
const tmp = mkdtempSync(join(tmpdir(), 'xpuscope-cmd-'));

describe('run: usage', () => {
  it('--help and --list describe every scenario and its options', async () => {
    const h = captureIo();
    expect(await runCommand(['--help'], h.io)).toBe(0);
    expect(h.out()).toMatch(/Usage: xpuscope run <scenario>/);
    for (const opt of ['--streams', '--duration-ms', '--size-mb', '--stages', '--probe-ms', '--samples'])
      expect(h.out()).toContain(opt);
    const l = captureIo();
    expect(await runCommand(['--list', '--json'], l.io)).toBe(0);
    const list = JSON.parse(l.out()) as Array<{ name: string }>;
    expect(list.map((s) => s.name)).toContain('event-chain');
    expect(optionName('durationMs')).toBe('duration-ms');
    expect(optionName('sizeMB')).toBe('size-mb');
  });

  it.each([
    [[], /missing scenario name/],
    [['nope'], /unknown scenario 'nope'/],
    [['concurrency', '--stages', '2'], /'--stages' is not a parameter of 'concurrency'/],
    [['concurrency', '--streams', '0'], /out of range/],
    [['concurrency', '--streams', 'two'], /streams must be an integer from 1 to 32, got "two"\./],
    // every bad number gets the same message: negative (not parseArgs' "ambiguous"), hex, exponent, suffix
    [
      ['concurrency', '--streams', '-1'],
      /streams must be an integer from 1 to 32, got "-1" \(out of range\)\./,
    ],
    [['concurrency', '--streams', '0x10'], /streams must be an integer from 1 to 32, got "0x10"\./],
    [['concurrency', '--streams', '1e1'], /streams must be an integer from 1 to 32, got "1e1"\./],
    [['concurrency', '--streams', '5x'], /streams must be an integer from 1 to 32, got "5x"\./],
    [['concurrency', '--streams', '4.5'], /streams must be an integer from 1 to 32, got "4\.5"\./],
    [['concurrency', '--streams', ''], /streams must be an integer from 1 to 32, got ""\./],
    [['concurrency', '--streams=-3'], /streams must be an integer from 1 to 32, got "-3" \(out of range\)\./],
    [
      ['concurrency', '--duration-ms', '-2'],
      /durationMs must be a number from 0\.05 to 1000 ms, got "-2" \(out of range\)\./,
    ],
    [
      ['concurrency', '--duration-ms', '0x1'],
      /durationMs must be a number from 0\.05 to 1000 ms, got "0x1"\./,
    ],
    [['concurrency', '--bogus'], /Unknown option '--bogus'/],
    [
      ['concurrency', '--device', 'gpu'],
      /device must be an integer from 0 to 9999 \(or xpu:N\), got "gpu"\./,
    ],
    [['concurrency', '--device', '-1'], /device must be an integer from 0 to 9999 \(or xpu:N\), got "-1"\./],
    [['concurrency', 'extra'], /unexpected argument 'extra'/],
  ])('%j → exit 2 with a message', async (argv, message) => {
    const c = captureIo();
    expect(await runCommand([...argv, ...SIM], c.io)).toBe(2);
    expect(c.err()).toMatch(message);
  });
});

describe.skipIf(!SIM_BUILT)('run and trace import', () => {
  const trace = join(tmp, 'run.json');

  it('run --json prints a valid xpuscope.scenario/1 result and --trace writes a trace', async () => {
    const c = captureIo();
    const code = await runCommand(
      [
        'concurrency',
        '--streams',
        '2',
        '--kernels',
        '2',
        '--duration-ms',
        '1',
        '--json',
        '--trace',
        trace,
        ...SIM,
      ],
      c.io,
    );
    expect(c.err()).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(c.out()) as Record<string, unknown>;
    expect(r).toMatchObject({
      schema: 'xpuscope.scenario/1',
      name: 'concurrency',
      device: 0,
      params: { streams: 2, kernels: 2, durationMs: 1 },
      opCount: 4,
    });
    for (const k of ['wallNs', 'serialNs', 'speedup', 'concurrency']) expect(typeof r[k]).toBe('number');
    expect(typeof r.explanation).toBe('string');
  });

  it('run prints an aligned human summary', async () => {
    const c = captureIo();
    expect(
      await runCommand(
        ['event-chain', '--stages', '2', '--items', '2', '--duration-ms', '0.5', ...SIM],
        c.io,
      ),
    ).toBe(0);
    const out = c.out();
    expect(out).toMatch(/^Driver: SIMULATED/);
    expect(out).toMatch(/Scenario event-chain on device 0: Intel\(R\) Data Center GPU Max 1550/);
    expect(out).toMatch(/speed-up \(serial \/ wall\)\s+\d+\.\d\d×/);
    expect(out).toMatch(/^STREAM\s+BUSY$/m);
    expect(out).toMatch(/^ENGINE\s+BUSY$/m);
    expect(out).toMatch(/2-stage pipeline/);
  });

  it('a missing device is a usage error', async () => {
    const c = captureIo();
    expect(await runCommand(['concurrency', '--device', '9', ...SIM], c.io)).toBe(2);
    expect(c.err()).toMatch(/device 9 does not exist/);
  });

  it('trace import --json summarizes the trace written by run --trace', async () => {
    const c = captureIo();
    expect(await traceCommand(['import', trace, '--json'], c.io)).toBe(0);
    const s = JSON.parse(c.out()) as {
      schema: string;
      summary: { format: string; spans: number; truncated: boolean };
      devices: Array<{ device: number; ops: number; top: Array<{ name: string; count: number }> }>;
    };
    expect(s.schema).toBe('xpuscope.trace-summary/1');
    expect(s.summary).toMatchObject({ format: 'xpuscope', spans: 4, truncated: false });
    expect(s.devices[0]).toMatchObject({ device: 0, ops: 4 });
    expect(s.devices[0]!.top[0]).toMatchObject({ name: 'busy', count: 4 });
    const h = captureIo();
    expect(await traceCommand(['import', trace], h.io)).toBe(0);
    expect(h.out()).toMatch(/xpuscope trace/);
    expect(h.out()).toMatch(/GPU operations\s+4/);
  });
});

describe('trace: errors', () => {
  it('usage errors exit 2, unreadable files exit 1', async () => {
    for (const argv of [
      [],
      ['export', 'x'],
      ['import'],
      ['import', 'a', 'b'],
      ['import', 'a', '--top', 'x'],
    ]) {
      const c = captureIo();
      expect(await traceCommand(argv, c.io), JSON.stringify(argv)).toBe(2);
      expect(c.err()).toMatch(/Usage: xpuscope trace import FILE/);
    }
    const missing = captureIo();
    expect(await traceCommand(['import', join(tmp, 'missing.json')], missing.io)).toBe(1);
    expect(missing.err()).toMatch(/no such file/);
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, 'not json at all');
    const b = captureIo();
    expect(await traceCommand(['import', bad], b.io)).toBe(1);
    expect(b.err()).toMatch(/cannot import/);
    // an empty trace (no GPU operations) warns and exits 1, human or --json
    const empty = join(tmp, 'empty.json');
    writeFileSync(empty, '{"traceEvents": []}');
    for (const json of [false, true]) {
      const e = captureIo();
      expect(await traceCommand(['import', empty, ...(json ? ['--json'] : [])], e.io)).toBe(1);
      expect(e.err()).toMatch(/has no GPU operations \(0 trace event\(s\) read\): it is empty/);
    }
  });

  it('a named pipe or a device is refused at once with a message, exit 1 (no hang)', async () => {
    const fifo = join(tmp, 'trace.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const [path, kind] of [
      [fifo, 'a named pipe \\(FIFO\\)'],
      ['/dev/null', 'a character device'],
    ] as const) {
      const c = captureIo();
      const t0 = performance.now();
      expect(await traceCommand(['import', path], c.io), path).toBe(1);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(c.err()).toMatch(new RegExp(`cannot import ${path}: it is ${kind}, not a regular file`));
      expect(c.out()).toBe('');
    }
  }, 10_000);

  it.each([
    [
      'ts 1e400 (Infinity)',
      '{"ts":0,"dur":5}',
      '{"ts":1e400,"dur":5}',
      /GPU operation \d \("k\d"\) has its \w+ time out of range: -?Infinity ns/,
    ],
    [
      'ts 1e308',
      '{"ts":0,"dur":5}',
      '{"ts":1e308,"dur":5}',
      /GPU operation \d \("k\d"\) has its \w+ time out of range: -?Infinity ns/,
    ],
    [
      'ts 1e306 (finite µs, Infinity ns)',
      '{"ts":1e306,"dur":5}',
      '{"ts":0,"dur":5}',
      /GPU operation \d \("k\d"\) has its \w+ time out of range/,
    ],
    [
      'ts 1e16 µs (317 years)',
      '{"ts":0,"dur":5}',
      '{"ts":1e16,"dur":5}',
      /GPU operation 2 \("k2"\) has its \w+ time out of range: 1\d{19} ns/,
    ],
    [
      'dur 1e308',
      '{"ts":0,"dur":5}',
      '{"ts":10,"dur":1e308}',
      /GPU operation 2 \("k2"\) has its end time out of range: Infinity ns/,
    ],
  ])(
    'times out of range (%s) are refused with the operation, human and --json, exit 1',
    async (_, a, b, message) => {
      const file = join(tmp, `times-${Math.random().toString(36).slice(2)}.json`);
      const ev = (name: string, t: string): string =>
        `{"ph":"X","name":"${name}","cat":"kernel","pid":1,"tid":2,${t.slice(1, -1)}}`;
      writeFileSync(file, `{"traceEvents":[\n${ev('k1', a)},\n${ev('k2', b)}\n]}`);
      for (const json of [false, true]) {
        const c = captureIo();
        expect(await traceCommand(['import', file, ...(json ? ['--json'] : [])], c.io)).toBe(1);
        expect(c.err()).toMatch(message);
        expect(c.err()).toMatch(/within ±1e18 ns/);
        expect(c.out()).not.toMatch(/Infinity|NaN|null/);
      }
    },
  );

  it('formatScenarioResult renders a result without a device', () => {
    const text = formatScenarioResult({
      schema: 'xpuscope.scenario/1',
      name: 'concurrency',
      device: 0,
      deviceName: 'GPU',
      params: { streams: 1 },
      opCount: 1,
      wallNs: 1e6,
      serialNs: 1e6,
      speedup: 1,
      concurrency: 1,
      streams: [{ key: '1', label: 'stream 1', busyPct: 100 }],
      engines: [{ key: '0/compute/0/0', label: 'compute 0.0', busyPct: 100 }],
      explanation: 'One stream.',
    });
    expect(text).toMatch(/wall time \(first start → last end\)\s+1\.00 ms/);
    expect(text).toMatch(/submit→start p50\s+n\/a/);
  });

  it('progressBar draws on the TTY stream after the delay and clears its line', () => {
    let text = '';
    const bar = progressBar({ write: (t: string) => (text += t), isTTY: true }, 0);
    bar.update(5, 10);
    expect(text).toMatch(/\r\[#{15}\.{15}\] 5\/10 submitted/);
    bar.stop();
    expect(text.endsWith('\r\x1b[2K')).toBe(true);
    let quiet = '';
    const late = progressBar({ write: (t: string) => (quiet += t), isTTY: true }, 60_000);
    late.update(1, 2);
    late.stop();
    expect(quiet).toBe('');
  });
});
