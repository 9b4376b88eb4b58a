// Electron main process: hardens the app, starts the service in a utility process, opens the window
// and relays between the two. Bundled to dist/electron/main.cjs (package.json "main").
import { app, session } from 'electron';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserWindow } from 'electron';
import { DRIVER_ENV, SIM_DRIVER_ENV } from './ipc.js';
import { hardenSession, hardenWebContents } from './security.js';
import { ServiceHost } from './service-host.js';
import { createMainWindow, forwardEvent, pageUrlOf, registerIpc } from './window.js';

// dist/electron/ (the bundle defines import.meta.url as its own file URL).
const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, '..', '..');
const indexPath = join(here, '..', 'renderer', 'index.html');
const log = (line: string) => console.log(`[xpuscope] ${line}`);

/** `--driver sim` / `--driver=sim` on the command line, else XPUSCOPE_DRIVER, else auto. */
export function driverFromArgv(argv: readonly string[], env: NodeJS.ProcessEnv): string {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value =
      arg === '--driver'
        ? argv[i + 1]
        : arg.startsWith('--driver=')
          ? arg.slice('--driver='.length)
          : undefined;
    if (value !== undefined) return value;
  }
  return env[DRIVER_ENV] || 'auto';
}

function utilityEnv(): NodeJS.ProcessEnv {
  const driver = driverFromArgv(process.argv, process.env);
  const env: NodeJS.ProcessEnv = { ...process.env, [DRIVER_ENV]: driver };
  const simDriver = join(packageRoot, 'native', 'build', 'libze_xpusim.so');
  if (!env[SIM_DRIVER_ENV] && existsSync(simDriver)) env[SIM_DRIVER_ENV] = simDriver;
  return env;
}

app.enableSandbox();
app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, log));

let win: BrowserWindow | null = null;
const host = new ServiceHost({
  modulePath: join(here, 'utility.cjs'),
  env: utilityEnv(),
  onEvent: (event) => forwardEvent(win, event),
  log,
});

void app.whenReady().then(() => {
  hardenSession(session.defaultSession);
  host.start();
  registerIpc(() => win, pageUrlOf(indexPath), host, log);
  win = createMainWindow({ preloadPath: join(here, 'preload.cjs'), indexPath, log });
  win.on('closed', () => {
    win = null;
  });
});

app.on('window-all-closed', () => {
  host.stop();
  app.quit();
});
