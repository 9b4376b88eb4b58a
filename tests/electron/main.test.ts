// main.ts wiring with the stub: sandbox on, service started with the driver from the command line,
// window created, pushes forwarded to the window, IPC handler registered.
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('./electron-stub.js')).electronStub);

import { IpcChannel } from '../../protocol/bridge.js';
import { electronStub, stub } from './electron-stub.js';

/** vi.waitFor with room for a loaded CI machine. */
const waitFor = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 5_000, interval: 20 });

let driverFromArgv: (argv: readonly string[], env: NodeJS.ProcessEnv) => string;
let nativePaths: typeof import('../../electron/main.js').nativePaths;

beforeAll(async () => {
  process.argv.push('--driver=sim');
  try {
    ({ driverFromArgv, nativePaths } = await import('../../electron/main.js'));
    await new Promise((resolve) => setTimeout(resolve, 0)); // app.whenReady().then(…)
  } finally {
    process.argv.pop();
  }
});

describe('main process', () => {
  it('enables the sandbox for every renderer', () => {
    expect(electronStub.app.enableSandbox).toHaveBeenCalled();
  });

  it('starts the service in a utility process with the requested driver', () => {
    expect(stub.forks).toHaveLength(1);
    const child = stub.forks[0]!;
    expect(child.modulePath).toMatch(/utility\.cjs$/);
    expect((child.options.env as NodeJS.ProcessEnv).XPUSCOPE_DRIVER).toBe('sim');
  });

  it('opens one hardened window on dist/renderer/index.html with the preload', () => {
    expect(stub.windows).toHaveLength(1);
    const win = stub.windows[0]!;
    expect((win.options.webPreferences as { preload: string }).preload).toMatch(/preload\.cjs$/);
    expect(win.loadFile.mock.calls[0]![0]).toMatch(new RegExp(`${join('renderer', 'index.html')}$`));
    expect(stub.handlers.has(IpcChannel.call)).toBe(true);
    expect(stub.session.permissionRequestHandler).not.toBeNull();
  });

  it('forwards service pushes to the window', async () => {
    const child = stub.forks[0]!;
    child.port!.postMessage({ event: 'service.state', data: { state: 'ready' } });
    await waitFor(() =>
      expect(stub.windows[0]!.webContents.send).toHaveBeenCalledWith(IpcChannel.event, {
        event: 'service.state',
        data: { state: 'ready' },
      }),
    );
  });

  it('reads --driver from argv, then XPUSCOPE_DRIVER, else auto', () => {
    expect(driverFromArgv(['electron', 'main.cjs', '--driver', 'system'], {})).toBe('system');
    expect(driverFromArgv(['electron', 'main.cjs', '--driver=sim'], { XPUSCOPE_DRIVER: 'system' })).toBe(
      'sim',
    );
    expect(driverFromArgv(['electron', 'main.cjs'], { XPUSCOPE_DRIVER: 'system' })).toBe('system');
    expect(driverFromArgv(['electron', 'main.cjs'], {})).toBe('auto');
  });

  it('installs the application menu and registers the dialog channels', () => {
    expect(electronStub.Menu.setApplicationMenu).toHaveBeenCalled();
    expect(stub.menuTemplates).toHaveLength(1);
    for (const c of [IpcChannel.exportTrace, IpcChannel.importTrace, IpcChannel.saveFile])
      expect(stub.handlers.has(c)).toBe(true);
  });

  it('hands the page a timeline-batch port after each load (utility end to the service process)', () => {
    const win = stub.windows[0]!;
    win.webContents.emit('did-finish-load');
    const child = stub.forks[0]!;
    expect(child.batchPorts).toHaveLength(1);
    expect(win.webContents.postMessage).toHaveBeenCalledWith(IpcChannel.batchPort, null, [expect.anything()]);
  });

  it('points the utility process at packaged resources when packaged', () => {
    expect(nativePaths(true, '/opt/xpuscope/resources', '/x')).toEqual({
      simDriver: join('/opt/xpuscope/resources', 'native', 'libze_xpusim.so'),
      kernels: join('/opt/xpuscope/resources', 'native', 'xpuscope.spv'),
    });
    expect(nativePaths(false, '', '/repo').simDriver).toBe(
      join('/repo', 'native', 'build', 'libze_xpusim.so'),
    );
  });
});
