// XPUSIM_FAULTS is parsed strictly: a malformed entry makes zeInit fail (through the real Level Zero
// loader and the runtime) with a message on stderr that names the entry, so that a test can never
// believe it injected a fault that never happened. Each case runs in its own process.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT, RUNTIME, cleanEnv, simBuilt } from './helpers/child.js';

const REGISTER = join(dirname(fileURLToPath(import.meta.url)), 'helpers', 'register-ts.mjs');

function initWith(faults: string): {
  result: { ok: boolean; code?: string; devices?: number };
  stderr: string;
} {
  const script = `
    const { xpu } = await import(${JSON.stringify(RUNTIME)});
    let out;
    try { xpu.init(); out = { ok: true, devices: xpu.deviceCount() }; }
    catch (e) { out = { ok: false, code: e.problem?.code ?? e.name }; }
    process.stdout.write('@@' + JSON.stringify(out) + '\\n');`;
  const r = spawnSync(process.execPath, ['--import', REGISTER, '--input-type=module', '-e', script], {
    cwd: ROOT,
    env: cleanEnv({ XPUSCOPE_DRIVER: 'sim', XPUSIM_PROFILE: 'arc-a770', XPUSIM_FAULTS: faults }),
    encoding: 'utf8',
    timeout: 60_000,
  });
  const m = /@@(.*)\n/.exec(r.stdout);
  if (!m) throw new Error(`no result (status ${String(r.status)})\n${r.stdout}\n${r.stderr}`);
  return { result: JSON.parse(m[1]!) as { ok: boolean; code?: string; devices?: number }, stderr: r.stderr };
}

describe.skipIf(!simBuilt())('XPUSIM_FAULTS parsing', () => {
  it.each([
    ['device_lost_after_ops=abc', "'device_lost_after_ops=abc': N must be a decimal integer"],
    ['device_lost_after_ops=', "'device_lost_after_ops=': N must be a decimal integer"],
    ['=', "'=': unknown key ''"],
    ['oom_after_bytes=-1', "'oom_after_bytes=-1': N must be a decimal integer"],
    ['device_lost_after_ops=5x', "'device_lost_after_ops=5x': N must be a decimal integer"],
    ['oom_after_bytes=0x100000', "'oom_after_bytes=0x100000': N must be a decimal integer"],
    ['oom_after_bytes=18446744073709551616', 'from 0 to 18446744073709551615'],
    ['device_lost_after_ops@1=2x', "'device_lost_after_ops@1=2x': N must be"],
    ['device_lost_after_ops@99=1', "'device_lost_after_ops@99=1': D must be a device index"],
    ['hang_kernel=busy,hang_ms=soon', "'hang_ms=soon': N must be a decimal integer"],
    ['slow=fast', "'slow=fast': F must be a number > 0"],
    ['slow=0', "'slow=0': F must be a number > 0"],
    ['slow=nan', "'slow=nan': F must be a number > 0"],
    ['hang_call=', "'hang_call=': NAME must be"],
    ['slow=2,device_lost_after=3', "'device_lost_after=3': unknown key 'device_lost_after'"],
  ])('%s: zeInit fails and stderr names the entry', (faults, message) => {
    const r = initWith(faults);
    expect(r.result).toMatchObject({ ok: false, code: 'NO_DRIVER' });
    expect(r.stderr).toContain('xpusim: bad XPUSIM_FAULTS entry ');
    expect(r.stderr).toContain(message);
  });

  it.each([
    'device_lost_after_ops=3',
    'oom_after_bytes=1048576,slow=1.5',
    'hang_call=zeMemAllocHost,hang_call_after=7',
    '',
  ])('well-formed %j still initialises, silently', (faults) => {
    const r = initWith(faults);
    expect(r.result).toEqual({ ok: true, devices: 1 });
    expect(r.stderr).not.toMatch(/XPUSIM_FAULTS/);
  });
});
