// Electron main process: hardens the app, starts the service in a utility process, opens the window,
// installs the application menu and relays between the two. Bundled to dist/electron/main.cjs
// (package.json "main"). Thin on purpose: the page does the work over sender-checked channels.
import { app, BrowserWindow as ElectronWindow, dialog, Menu, session } from 'electron';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserWindow } from 'electron';
import { IpcChannel } from '../protocol/bridge.js';
import { DRIVER_ENV, SIM_DRIVER_ENV } from './ipc.js';
import { aboutDetail, menuTemplate } from './menu.js';
import { hardenSession, hardenWebContents } from './security.js';
import { ServiceHost } from './service-host.js';
import {
  createMainWindow,
  forwardEvent,
  pageUrlOf,
  registerIpc,
  sendMenuCommand,
  type FileDialogs,
} from './window.js';

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

/**
 * Where the simulated driver and the kernels live: beside the sources in a checkout, under
 * `resources/` in a packaged app (electron-builder.yml copies them there as extraResources).
 */
export function nativePaths(
  packaged: boolean,
  resourcesPath: string,
  root: string,
): { simDriver: string; kernels: string } {
  return packaged
    ? {
        simDriver: join(resourcesPath, 'native', 'libze_xpusim.so'),
        kernels: join(resourcesPath, 'native', 'xpuscope.spv'),
      }
    : {
        simDriver: join(root, 'native', 'build', 'libze_xpusim.so'),
        kernels: join(root, 'native', 'kernels', 'xpuscope.spv'),
      };
}

function utilityEnv(): NodeJS.ProcessEnv {
  const driver = driverFromArgv(process.argv, process.env);
  const env: NodeJS.ProcessEnv = { ...process.env, [DRIVER_ENV]: driver };
  const packaged = app.isPackaged === true;
  const paths = nativePaths(packaged, process.resourcesPath ?? '', packageRoot);
  if (!env[SIM_DRIVER_ENV] && existsSync(paths.simDriver)) env[SIM_DRIVER_ENV] = paths.simDriver;
  if (packaged && !env.XPUSCOPE_KERNELS && existsSync(paths.kernels)) env.XPUSCOPE_KERNELS = paths.kernels;
  return env;
}

app.enableSandbox();
app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, log));

let win: BrowserWindow | null = null;

/** Hands the page a fresh MessagePort for timeline batches (after each load and service restart). */
function sendBatchPort(): void {
  if (!win || win.isDestroyed() || win.webContents.isDestroyed()) return;
  const port = host.openBatchPort();
  if (port) win.webContents.postMessage(IpcChannel.batchPort, null, [port]);
}

const host = new ServiceHost({
  modulePath: join(here, 'utility.cjs'),
  env: utilityEnv(),
  onEvent: (event) => forwardEvent(win, event),
  onStarted: (generation) => {
    if (generation > 1) sendBatchPort();
  },
  log,
});

const dialogs: FileDialogs = {
  save: async ({ title, defaultName, filters }) => {
    const options = { title, defaultPath: defaultName, filters };
    const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
    return r.canceled || !r.filePath ? null : r.filePath;
  },
  open: async ({ title, filters }) => {
    const options = { title, filters, properties: ['openFile' as const] };
    const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0]!;
  },
  writeFile: (path, content) => writeFile(path, content, 'utf8'),
};

function showAbout(): void {
  const options = {
    type: 'info' as const,
    title: 'About xpuscope',
    message: 'xpuscope',
    detail: aboutDetail(
      app.getVersion(),
      process.versions as { electron?: string; chrome?: string; node?: string },
    ),
    buttons: ['OK'],
  };
  void (win ? dialog.showMessageBox(win, options) : dialog.showMessageBox(options));
}

void app.whenReady().then(() => {
  hardenSession(session.defaultSession);
  host.start();
  registerIpc(() => win, pageUrlOf(indexPath), host, log, dialogs);
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      menuTemplate({
        send: (command) => sendMenuCommand(win ?? ElectronWindow.getFocusedWindow(), command),
        about: showAbout,
        isMac: process.platform === 'darwin',
      }),
    ),
  );
  win = createMainWindow({ preloadPath: join(here, 'preload.cjs'), indexPath, log });
  win.webContents.on('did-finish-load', sendBatchPort);
  win.on('closed', () => {
    win = null;
  });
});

app.on('window-all-closed', () => {
  host.stop();
  app.quit();
});
