// The installed command as users run it: `node bin/xpuscope.js …` in a child process. Needs the compiled
// CLI (npm run build:ts); skipped, with the reason printed, when dist/host is missing or older than host/.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeviceList } from '../../protocol/devices.js';
import { ROOT, SIM_BUILT, fakeRenderer } from './helpers.js';

const BIN = join(ROOT, 'bin', 'xpuscope.js');
const CLI_JS = join(ROOT, 'dist', 'host', 'cli.js');

function buildProblem(): string | undefined {
  if (!existsSync(CLI_JS)) return `${CLI_JS} is missing (run: npm run build:ts)`;
  const files = (readdirSync(join(ROOT, 'host'), { recursive: true }) as string[]).filter(
    (name) => name.endsWith('.ts') && !name.endsWith('.d.ts'),
  );
  for (const f of files) {
    const js = join(ROOT, 'dist', 'host', f.replace(/\.ts$/, '.js'));
    if (!existsSync(js) || statSync(js).mtimeMs < statSync(join(ROOT, 'host', f)).mtimeMs) {
      return `dist/host is older than host/${f} (run: npm run build:ts)`;
    }
  }
  return undefined;
}
const NOT_BUILT = buildProblem();
if (NOT_BUILT) console.warn(`[tests/host] skipping spawned-CLI checks: ${NOT_BUILT}`);
if (!SIM_BUILT)
  console.warn('[tests/host] skipping spawned `devices --driver sim`: simulated driver not built');

const env = { ...process.env, XPUSCOPE_DRIVER: '', XPUSIM_PROFILE: '', NO_COLOR: '1' };

describe('bin/xpuscope.js', () => {
  it('says how to build when dist/host/cli.js is missing, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xpuscope-bin-'));
    mkdirSync(join(dir, 'bin'));
    copyFileSync(BIN, join(dir, 'bin', 'xpuscope.js'));
    const r = spawnSync(process.execPath, [join(dir, 'bin', 'xpuscope.js'), 'devices'], {
      encoding: 'utf8',
      env,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('xpuscope is not built yet — run: npm run build');
  });

  it.skipIf(NOT_BUILT !== undefined || !SIM_BUILT)(
    'devices --json --driver sim prints the simulated Arc A770, exit 0',
    () => {
      const r = spawnSync(process.execPath, [BIN, 'devices', '--json', '--driver', 'sim'], {
        encoding: 'utf8',
        env,
        timeout: 30_000,
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const list = JSON.parse(r.stdout) as DeviceList;
      expect(list.schema).toBe('xpuscope.devices/1');
      expect(list.devices[0]!.name).toMatch(/Arc\(TM\) A770/);
    },
  );

  it.skipIf(NOT_BUILT !== undefined || !SIM_BUILT)(
    'diag --driver sim --json exits 0 with the report; --driver system exits 1 (no Intel driver here)',
    () => {
      const ok = spawnSync(process.execPath, [BIN, 'diag', '--json', '--driver', 'sim'], {
        encoding: 'utf8',
        env,
        timeout: 30_000,
      });
      expect(ok.status, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ schema: 'xpuscope.diag/1', exitCode: 0, level: 1 });
      const sys = spawnSync(process.execPath, [BIN, 'diag', '--driver', 'system'], {
        encoding: 'utf8',
        env,
        timeout: 30_000,
      });
      if (!sys.stdout.includes('FAIL')) return; // a machine with a real Intel GPU driver
      expect(sys.status).toBe(1);
      expect(sys.stdout).toMatch(/^FAIL +l1\.driver-libs/m);
    },
  );

  it.skipIf(NOT_BUILT !== undefined)('a bad option exits 2 with the usage on stderr', () => {
    const r = spawnSync(process.execPath, [BIN, 'devices', '--frobnicate'], { encoding: 'utf8', env });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("Unknown option '--frobnicate'");
    expect(r.stderr).toContain('Usage: xpuscope');
  });

  it.skipIf(NOT_BUILT !== undefined)(
    'serve prints its URL first, serves, and stops cleanly on SIGINT',
    async () => {
      const child = spawn(process.execPath, [BIN, 'serve', '--driver', 'sim', '--static', fakeRenderer()], {
        env,
      });
      let out = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /^xpuscope serving (http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
      });
      expect((await fetch(url)).status).toBe(200);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(out).toBe(`xpuscope serving ${url}\n`);
      expect(err).toContain('stopping (SIGINT)');
    },
  );
});
