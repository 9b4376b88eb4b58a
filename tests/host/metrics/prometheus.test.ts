// A real Prometheus (Debian's `prometheus` package, installed by `npm test`'s set-up like the other OS
// prerequisites) scraping two `xpuscope serve` instances every second, asserted through Prometheus's own
// query API (/api/v1/query):
//   a: `serve --metrics-only --host 0.0.0.0 --diag-every 10s` on a simulated Arc A770 with an injected
//      out-of-memory fault (XPUSIM_FAULTS) — the token as Prometheus's bearer credentials; the failing
//      l2.alloc check shows up as a fail gauge;
//   b: `serve` with the UI on two simulated Max 1550 tiles — a scenario run over its WebSocket makes
//      device 0's compute utilization rise.
// The simulated driver lives in each xpuscope process, so the work whose utilization is watched runs
// in the scraped instance itself (on a real GPU, Sysman shows any process's work). Skipped, with the
// reason, when Prometheus or the built CLI is missing — never counted as passed.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROOT, SIM_BUILT, connect } from '../helpers.js';

const PROMETHEUS = '/usr/bin/prometheus';
const BIN = join(ROOT, 'bin', 'xpuscope.js');
const missing = !existsSync(PROMETHEUS)
  ? `${PROMETHEUS} is not installed (Debian package "prometheus"; npm test installs it when run as root)`
  : !existsSync(join(ROOT, 'dist', 'host', 'cli.js'))
    ? 'the CLI is not built (npm run build:ts)'
    : !SIM_BUILT
      ? 'the simulated driver is not built (make -C native)'
      : undefined;
if (missing) console.warn(`[tests/host/metrics] skipping the Prometheus suite: ${missing}`);

const children: ChildProcess[] = [];
let dir = '';

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });
}

/** Starts `xpuscope serve ARGS`; resolves with the URL of its first stdout line. */
function serve(args: string[], env: Record<string, string> = {}): Promise<URL> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--driver', 'sim', ...args], {
    cwd: ROOT,
    env: { ...process.env, XPUSCOPE_DRIVER: '', XPUSIM_FAULTS: '', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const log: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (c: string) => log.push(c));
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`serve did not start:\n${log.join('')}`)), 30_000);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      const m = /^xpuscope serving (\S+)$/.exec(line);
      if (m) done(new URL(m[1]!));
      else fail(new Error(`unexpected first line ${line}\n${log.join('')}`));
    });
  });
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}
let promUrl = '';
async function query(q: string): Promise<Sample[]> {
  const r = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await r.json()) as { status: string; data: { result: Sample[] }; error?: string };
  if (body.status !== 'success') throw new Error(`${q}: ${body.error ?? r.status}`);
  return body.data.result;
}
const scalar = async (q: string): Promise<number | undefined> => {
  const r = await query(q);
  return r[0] === undefined ? undefined : Number(r[0].value[1]);
};
const eventually = <T>(f: () => Promise<T>, timeout = 40_000) => vi.waitFor(f, { timeout, interval: 500 });

let b: URL;

describe.skipIf(missing !== undefined)('a real Prometheus scraping xpuscope serve', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xpuscope-prometheus-'));
    const a = await serve(
      ['--metrics-only', '--host', '0.0.0.0', '--profile', 'arc-a770', '--diag-every', '10s'],
      {
        XPUSIM_FAULTS: 'oom_after_bytes=1048576',
      },
    );
    b = await serve(['--profile', 'max-1550']);
    const token = a.searchParams.get('token');
    expect(token).toBeTruthy();
    const promPort = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'scrape_configs:',
        '  - job_name: a',
        '    authorization: { type: Bearer, credentials: "' + token + '" }',
        `    static_configs: [{ targets: ["127.0.0.1:${a.port}"] }]`,
        '  - job_name: b',
        `    static_configs: [{ targets: ["127.0.0.1:${b.port}"] }]`,
        '',
      ].join('\n'),
    );
    const prom = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(prom);
    promUrl = `http://127.0.0.1:${promPort}`;
    await eventually(async () => expect((await fetch(`${promUrl}/-/ready`)).status).toBe(200));
  }, 90_000);

  afterAll(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode !== null) continue;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      c.kill('SIGKILL');
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes both instances (the token-guarded one with its bearer credentials); devices are labelled simulated', async () => {
    await eventually(async () => {
      expect(await scalar('sum(up{job=~"a|b"})')).toBe(2);
      expect(await scalar('count(xpuscope_device_info{job="a",simulated="true"})')).toBe(1);
      expect(await scalar('count(xpuscope_device_info{job="b",simulated="true"})')).toBe(2);
    });
    const info = await query('xpuscope_device_info{job="b"}');
    expect(info.map((s) => s.metric.name)).toEqual([
      'Intel(R) Data Center GPU Max 1550',
      'Intel(R) Data Center GPU Max 1550',
    ]);
    expect(info.every((s) => /^[0-9a-f]{4}:/.test(s.metric.pci_address!) && s.metric.uuid!.length > 8)).toBe(
      true,
    );
    expect(await scalar('xpuscope_up{job="a"}')).toBe(1);
  }, 60_000);

  it('a failing diagnostic (injected out-of-memory) shows as a fail gauge with its check id', async () => {
    await eventually(async () => {
      expect(
        await scalar('xpuscope_diagnostic_result{job="a",check="l2.alloc",device="0",status="fail"}'),
      ).toBe(1);
    }, 60_000);
    expect(await scalar('xpuscope_diagnostic_result{job="a",check="l1.loader",status="pass"}')).toBe(1);
    expect(await scalar('xpuscope_diagnostic_failed_checks{job="a"}')).toBeGreaterThanOrEqual(1);
    expect(await scalar('time() - xpuscope_diagnostic_last_run_timestamp_seconds{job="a"}')).toBeLessThan(
      120,
    );
  }, 90_000);

  it('per-device utilization rises while a scenario runs on that device', async () => {
    const compute =
      'xpuscope_engine_utilization_ratio{job="b",device="0",engine_group="compute",scope="group"}';
    await eventually(async () => expect(await scalar(compute)).toBeDefined());
    expect(await scalar(compute)).toBeLessThan(0.2); // idle before
    const c = await connect(`ws://127.0.0.1:${b.port}/ws`);
    try {
      const reply = await c.call('scenario.run', {
        name: 'concurrency',
        device: 0,
        params: { streams: 4, kernels: 30, durationMs: 100 },
      });
      expect(reply.error).toBeUndefined();
    } finally {
      c.close();
    }
    await eventually(async () => {
      expect(await scalar(`max_over_time(${compute}[1m])`)).toBeGreaterThan(0.5);
      // the counter agrees: compute time accumulated while it ran
      expect(
        await scalar(
          'increase(xpuscope_engine_active_seconds_total{job="b",device="0",engine_group="compute",scope="group"}[1m])',
        ),
      ).toBeGreaterThan(1);
    });
    // the other device stayed idle
    expect(await scalar(`max_over_time(${compute.replace('device="0"', 'device="1"')}[1m])`)).toBeLessThan(
      0.2,
    );
  }, 120_000);
});
