// The CLI's main() in-process, with the simulated driver (this file's process uses only `--driver sim`
// with the arc-a770 profile: the loader reads its driver settings once per process).
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { DeviceList } from '../../protocol/devices.js';
import { EXIT, USAGE, formatDeviceList, formatMemory, main } from '../../host/cli.js';
import { SIM_BUILT, captureIo, fakeRenderer } from './helpers.js';

const SIM = ['--driver', 'sim', '--profile', 'arc-a770'];

describe('usage', () => {
  it('--help prints the usage with exit codes, exit 0', async () => {
    const c = captureIo();
    expect(await main(['--help'], c.io)).toBe(EXIT.OK);
    expect(c.out()).toBe(USAGE);
    expect(c.out()).toContain('Exit codes:');
    expect(c.out()).toContain('--driver auto|system|sim');
  });

  it.each([
    ['devices', '--json'],
    ['serve', '--port N'],
  ])('%s --help and help %s', async (command, text) => {
    const a = captureIo();
    expect(await main([command, '--help'], a.io)).toBe(0);
    expect(a.out()).toContain(text);
    const b = captureIo();
    expect(await main(['help', command], b.io)).toBe(0);
    expect(b.out()).toBe(a.out());
  });

  it("help run and help trace print those commands' usage (as run --help and trace --help do)", async () => {
    const run = captureIo();
    expect(await main(['help', 'run'], run.io)).toBe(0);
    expect(run.out()).toMatch(/^Usage: xpuscope run <scenario>/);
    expect(run.out()).toContain('concurrency');
    const trace = captureIo();
    expect(await main(['help', 'trace'], trace.io)).toBe(0);
    expect(trace.out()).toMatch(/^Usage: xpuscope trace import FILE/);
    const own = captureIo();
    expect(await main(['trace', '--help'], own.io)).toBe(0);
    expect(own.out()).toBe(trace.out());
  });

  it('--version prints the package version', async () => {
    const c = captureIo();
    expect(await main(['--version'], c.io)).toBe(0);
    expect(c.out()).toMatch(/^xpuscope \d+\.\d+\.\d+/);
  });

  it.each([
    [['devices', '--bogus'], "Unknown option '--bogus'"],
    [['frobnicate'], "unknown command 'frobnicate'"],
    [[], 'missing command'],
    [['devices', '--driver', 'cuda'], "invalid driver 'cuda'"],
    [['devices', '--driver'], "Option '--driver <value>' argument missing"],
    [['devices', '--port', '80'], "option '--port' is not valid for 'devices'"],
    [['serve', '--json'], "option '--json' is not valid for 'serve'"],
    [['serve', '--port', 'eighty'], "invalid port 'eighty'"],
    [['serve', '--port', '70000'], "invalid port '70000'"],
    [['devices', 'extra'], "unexpected argument 'extra'"],
    [['devices', '--profile', ''], "'--profile' needs at least one profile name"],
  ])('%j → exit 2 with the message and usage on stderr', async (argv, message) => {
    const c = captureIo();
    expect(await main(argv, c.io)).toBe(EXIT.USAGE);
    expect(c.err()).toContain(message);
    expect(c.err()).toContain('Usage: xpuscope');
    expect(c.out()).toBe('');
  });

  it('a bad XPUSCOPE_DRIVER is a usage error too', async () => {
    const c = captureIo({ XPUSCOPE_DRIVER: 'opencl' });
    expect(await main(['devices'], c.io)).toBe(EXIT.USAGE);
    expect(c.err()).toContain('XPUSCOPE_DRIVER');
  });
});

describe.skipIf(!SIM_BUILT)('devices --driver sim', () => {
  it('--json prints the DeviceList with the simulated Arc A770, exit 0', async () => {
    const c = captureIo();
    expect(await main(['devices', '--json', ...SIM], c.io)).toBe(EXIT.OK);
    const list = JSON.parse(c.out()) as DeviceList;
    expect(list.schema).toBe('xpuscope.devices/1');
    expect(list.driver).toMatchObject({ mode: 'sim', simulated: true, profiles: ['arc-a770'] });
    expect(list.devices[0]).toMatchObject({ index: 0, type: 'gpu', simulated: true });
    expect(list.devices[0]!.name).toMatch(/Arc\(TM\) A770/);
  });

  it('global options go before or after the command', async () => {
    const before = captureIo();
    expect(await main(['--driver', 'sim', 'devices', '--json'], before.io)).toBe(0);
    const after = captureIo();
    expect(await main(['devices', '--json', '--driver', 'sim'], after.io)).toBe(0);
    expect(JSON.parse(after.out())).toEqual(JSON.parse(before.out()));
  });

  it('--telemetry reads each device through the torch.xpu telemetry functions', async () => {
    const c = captureIo();
    expect(await main(['devices', '--telemetry', '--driver', 'sim'], c.io)).toBe(0);
    expect(c.out()).toMatch(/TELEMETRY \(Sysman\)\n {2}0: \d+ °C · \d+ MHz · [\d.]+ W · \d+ % busy · /);
    const j = captureIo();
    expect(await main(['devices', '--json', '--telemetry', '--driver', 'sim'], j.io)).toBe(0);
    const t = (JSON.parse(j.out()) as { telemetry: { temperatureC: unknown; powerW: unknown }[] }).telemetry;
    expect(typeof t[0]!.temperatureC).toBe('number');
    expect(typeof t[0]!.powerW).toBe('number');
  });

  it('prints an aligned table under a loud SIMULATED header', async () => {
    const c = captureIo();
    expect(await main(['devices', ...SIM], c.io)).toBe(EXIT.OK);
    const lines = c.out().split('\n');
    expect(lines[0]).toBe('Driver: SIMULATED (xpusim, profile arc-a770) — these are not real GPUs');
    const header = lines.find((l) => l.includes('NAME'))!;
    const row = lines.find((l) => l.includes('A770'))!;
    expect(header).toMatch(/#\s+NAME\s+TYPE\s+MEMORY\s+DRIVER VERSION/);
    expect(row.indexOf('gpu')).toBe(header.indexOf('TYPE'));
    expect(row).toMatch(/GiB/);
    expect(c.err()).toBe('');
  });
});

describe('formatting', () => {
  it('formats memory in binary units', () => {
    expect(formatMemory(undefined)).toBe('-');
    expect(formatMemory(512)).toBe('512 B');
    expect(formatMemory(16225243136)).toBe('15.1 GiB');
  });

  it('says which driver and why when there are no devices', () => {
    const list: DeviceList = {
      schema: 'xpuscope.devices/1',
      driver: {
        requested: 'system',
        mode: 'system',
        simulated: false,
        reason: 'system: using the drivers the Level Zero loader finds.',
      },
      loader: { library: 'libze_loader.so.1', loaded: true, version: '1.9.9' },
      devices: [],
      problem: { code: 'NO_DRIVER', title: 'No Level Zero driver found', detail: 'd', hint: 'h' },
    };
    const text = formatDeviceList(list);
    expect(text.split('\n')[0]).toBe('Driver: system Level Zero (requested, loader libze_loader.so.1 1.9.9)');
    expect(text).not.toContain('NAME');
  });
});

describe('serve', () => {
  it('prints exactly one first line "xpuscope serving <url>" and stops on abort with exit 0', async () => {
    const c = captureIo();
    const abort = new AbortController();
    let url = '';
    const done = main(['serve', '--port', '0', '--static', fakeRenderer(), ...SIM], {
      ...c.io,
      signal: abort.signal,
      onServing: (s) => {
        url = s.url;
      },
    });
    await expect.poll(() => c.out(), { timeout: 10_000 }).toMatch(/\n$/);
    expect(c.out()).toMatch(/^xpuscope serving http:\/\/127\.0\.0\.1:\d+\/\n$/);
    expect(c.out()).toBe(`xpuscope serving ${url}\n`);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    await expect.poll(() => c.err(), { timeout: 10_000 }).toContain('Driver: SIMULATED');
    abort.abort();
    expect(await done).toBe(EXIT.OK);
    expect(c.err()).toContain('stopping (aborted)');
    await expect(fetch(url)).rejects.toThrow();
  });

  it('exits 1 with a clear message when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const c = captureIo();
      expect(await main(['serve', '--port', String(port), ...SIM], c.io)).toBe(EXIT.FAILURE);
      expect(c.err()).toContain('the port is in use');
      expect(c.out()).toBe('');
    } finally {
      blocker.close();
    }
  });
});
