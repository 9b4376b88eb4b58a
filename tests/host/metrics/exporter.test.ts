// The exporter on its own terms (no Prometheus needed): names and units, labels, absent-not-zero,
// utilization from two readings, the diagnostics gauges, the 500 ms cache, and `serve`'s /metrics
// route — token in token mode (Authorization: Bearer), --metrics-only refusing the UI and WebSocket.
import { afterEach, describe, expect, it } from 'vitest';
import type { DiagReport } from '../../../protocol/views.js';
import { MetricsExporter, SAMPLE_MS } from '../../../host/metrics.js';
import { startServer, type RunningServer } from '../../../host/serve.js';
import { SIM_BUILT, fakeRenderer, rawRequest } from '../helpers.js';

const servers: RunningServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** A runtime stand-in with what the exporter reads (its own logic is under test, not the driver's). */
function fakeRuntime(opts: { sysman: boolean; active: () => number }) {
  let ts = 1_000_000;
  return {
    xpu: {
      listDevices: () => ({
        loader: { version: '1.8.12' },
        devices: [
          {
            index: 0,
            name: 'Test GPU',
            type: 'gpu',
            uuid: 'u-0',
            simulated: true,
            driverVersion: '1.2.3',
            apiVersion: '1.5',
          },
        ],
      }),
      getDeviceProperties: () => ({ pciAddress: '0000:03:00.0' }),
      getTelemetry: () => {
        ts += 500_000;
        return {
          device: 0,
          sysman: opts.sysman,
          engines: opts.sysman
            ? [{ group: 'compute', single: false, index: 0, activeUs: opts.active(), timestampUs: ts }]
            : [],
          frequencies: [],
          temperatures: [],
          energy: [],
          memory: { freeBytes: 3 << 20, totalBytes: 8 << 20 },
        };
      },
    },
  };
}

function exporter(rt: unknown, diag?: DiagReport): MetricsExporter {
  return new MetricsExporter({
    runtime: async () => rt as never,
    captureRates: () => ({ recording: true, opsPerSec: 1200, submitToStartP50Ns: 15_000 }),
    lastDiagnostics: () => diag,
  });
}

/** The value of the first sample of `metric` whose labels contain `labels`, or undefined. */
const value = (text: string, metric: string, labels = ''): number | undefined => {
  const m = text
    .split('\n')
    .find((l) => (l.startsWith(metric + '{') || l.startsWith(metric + ' ')) && l.includes(labels));
  return m === undefined ? undefined : Number(m.slice(m.lastIndexOf(' ') + 1));
};

describe('MetricsExporter', () => {
  it('names metrics with their units, labels devices, and leaves out what is not reported', async () => {
    let active = 0;
    const e = exporter(fakeRuntime({ sysman: true, active: () => active }));
    const first = await e.text(0);
    expect(first).toContain(
      'xpuscope_device_info{device="0",name="Test GPU",pci_address="0000:03:00.0",uuid="u-0",simulated="true",type="gpu",driver_version="1.2.3",level_zero_api_version="1.5",loader_version="1.8.12"} 1',
    );
    expect(value(first, 'xpuscope_memory_used_bytes')).toBe(5 << 20);
    expect(value(first, 'xpuscope_capture_operations_per_second')).toBe(1200);
    expect(value(first, 'xpuscope_capture_submit_to_start_seconds')).toBe(15e-6);
    // one reading: no utilization yet (absent, not 0); no sensors reported: no samples at all
    expect(value(first, 'xpuscope_engine_utilization_ratio')).toBeUndefined();
    expect(value(first, 'xpuscope_temperature_celsius')).toBeUndefined();
    expect(first).toContain('# TYPE xpuscope_engine_active_seconds_total counter');
    // cached within SAMPLE_MS: the same text
    active = 250_000;
    expect(await e.text(SAMPLE_MS - 1)).toBe(first);
    const second = await e.text(performance.now() + SAMPLE_MS + 1);
    expect(value(second, 'xpuscope_engine_utilization_ratio', 'engine_group="compute"')).toBeCloseTo(0.5);
    expect(value(second, 'xpuscope_engine_active_seconds_total')).toBeCloseTo(0.25);
  });

  it('without Sysman: xpuscope_sysman_available 0 and no engine samples; no runtime: xpuscope_up 0', async () => {
    const text = await exporter(fakeRuntime({ sysman: false, active: () => 0 })).text(0);
    expect(value(text, 'xpuscope_sysman_available')).toBe(0);
    expect(value(text, 'xpuscope_engine_active_seconds_total')).toBeUndefined();
    const broken = new MetricsExporter({
      runtime: () => Promise.reject(new Error('no loader')),
      captureRates: () => ({ recording: false }),
      lastDiagnostics: () => undefined,
    });
    const t2 = await broken.text(0);
    expect(value(t2, 'xpuscope_up')).toBe(0);
    expect(value(t2, 'xpuscope_devices')).toBe(0);
  });

  it('the last diagnostics: one gauge per check and status, the failures counted, when it ran', async () => {
    const report = {
      startedAt: '2026-12-08T00:00:00.000Z',
      level: 2,
      checks: [
        { id: 'l1.loader', level: 1, status: 'pass' },
        { id: 'l2.alloc', level: 2, device: 0, status: 'fail' },
      ],
    } as unknown as DiagReport;
    const text = await exporter(fakeRuntime({ sysman: false, active: () => 0 }), report).text(0);
    expect(
      value(text, 'xpuscope_diagnostic_result', 'check="l2.alloc",device="0",level="2",status="fail"'),
    ).toBe(1);
    expect(
      value(text, 'xpuscope_diagnostic_result', 'check="l2.alloc",device="0",level="2",status="pass"'),
    ).toBe(0);
    expect(
      value(text, 'xpuscope_diagnostic_result', 'check="l1.loader",device="",level="1",status="pass"'),
    ).toBe(1);
    expect(value(text, 'xpuscope_diagnostic_failed_checks')).toBe(1);
    expect(value(text, 'xpuscope_diagnostic_last_run_timestamp_seconds')).toBe(
      Date.parse(report.startedAt) / 1000,
    );
  });
});

describe.skipIf(!SIM_BUILT)('GET /metrics', () => {
  it('is served beside the UI on the simulator, with Prometheus content type', async () => {
    const s = await startServer({
      port: 0,
      inProcess: true,
      driver: 'sim',
      profile: 'arc-a770',
      staticDir: fakeRenderer(),
    });
    servers.push(s);
    const r = await rawRequest(s.port, '/metrics', { Host: `127.0.0.1:${s.port}` });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(r.body).toMatch(
      /xpuscope_device_info\{device="0",name="Intel\(R\) Arc\(TM\) A770 Graphics",.*simulated="true"/,
    );
    expect(r.body).toMatch(/xpuscope_frequency_hertz\{.*domain="gpu"/);
    expect(s.metricsUrl).toBe(`http://127.0.0.1:${s.port}/metrics`);
    expect((await rawRequest(s.port, '/metrics', { Host: `127.0.0.1:${s.port}` }, 'POST')).status).toBe(405);
    // DNS rebinding: the Host check applies to /metrics too
    expect((await rawRequest(s.port, '/metrics', { Host: `evil.example:${s.port}` })).status).toBe(403);
  });

  it('a scrape does not wait for a running scenario, and sees its operations per second', async () => {
    const s = await startServer({
      port: 0,
      inProcess: true,
      driver: 'sim',
      profile: 'arc-a770',
      staticDir: fakeRenderer(),
    });
    servers.push(s);
    let done = false;
    const run = s.service
      .call('scenario.run', {
        name: 'concurrency',
        device: 0,
        params: { streams: 2, kernels: 40, durationMs: 25 },
      })
      .finally(() => (done = true));
    const host = { Host: `127.0.0.1:${s.port}` };
    // wait until the run's operations show, then check the scrape came back while it still ran
    let text = '';
    for (let i = 0; i < 200 && !done; i++) {
      text = (await rawRequest(s.port, '/metrics', host)).body;
      if (value(text, 'xpuscope_capture_operations_per_second')! > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(done).toBe(false);
    expect(value(text, 'xpuscope_capture_recording')).toBe(1);
    expect(value(text, 'xpuscope_capture_operations_per_second')).toBeGreaterThan(0);
    await run;
  });

  it('--metrics-only serves nothing else; with a token, scrapes need "Authorization: Bearer"', async () => {
    const s = await startServer({
      port: 0,
      host: '0.0.0.0',
      inProcess: true,
      driver: 'sim',
      metricsOnly: true,
      staticDir: fakeRenderer(),
    });
    servers.push(s);
    const host = { Host: `127.0.0.1:${s.port}` };
    expect((await rawRequest(s.port, '/', host)).status).toBe(404);
    const none = await rawRequest(s.port, '/metrics', host);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await rawRequest(s.port, '/metrics', { ...host, Authorization: 'Bearer wrong' })).status).toBe(
      401,
    );
    const ok = await rawRequest(s.port, '/metrics', { ...host, Authorization: `Bearer ${s.token!}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('xpuscope_up 1');
  });
});
