// Fixtures shared by every spec: `openApp({ driver })` opens xpuscope on the project's target and
// returns the page plus the console errors it logged.
//   web:      starts `node bin/xpuscope.js serve --port 0 --driver <driver>` (plus `--allow-launch` with
//             `allowLaunch: true`), reads the URL from its first stdout line, opens it in Chromium
//             (launchOptions from playwright.config.ts);
//   electron: launches `dist/electron/main.cjs --driver=<driver>` with Playwright's _electron, or
//             skips the test (printing why) when the Electron binary or a display is missing.
// Everything started is stopped after the test.
import {
  test as base,
  expect,
  _electron,
  type Browser,
  type ElectronApplication,
  type Page,
} from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const artifactsDir = join(root, 'e2e', 'artifacts');
export const screenshotsDir = join(artifactsDir, 'screenshots');

export type Target = 'web' | 'electron';
export type Driver = 'sim' | 'system' | 'auto';

export interface E2eOptions {
  target: Target;
}

export interface OpenedApp {
  page: Page;
  /** console.error messages and uncaught page errors, in order. */
  consoleErrors: string[];
  /** The URL that was opened (web) or the app's window URL (electron). */
  url: string;
  /** Web target only: stops `xpuscope serve` (to see the connection-error state). */
  stopServer?: () => Promise<void>;
  /** Web target only: the pid of serve's current service process (from its log), to kill it. */
  servicePid?: () => number | undefined;
}

export interface OpenOptions {
  driver: Driver;
  /**
   * Web: start `xpuscope serve --allow-launch`, so the page may launch programs to record (the Record
   * view). The desktop app always allows it.
   */
  allowLaunch?: boolean;
}

interface Fixtures {
  openApp: (options: OpenOptions) => Promise<OpenedApp>;
  /** Saves a full-page screenshot under e2e/artifacts/screenshots/<project>-<name>.png. */
  saveScreenshot: (page: Page, name: string) => Promise<string>;
}

/**
 * The Electron executable, found the way node_modules/electron/index.js finds it but without its
 * fallback of downloading the binary (there is no network for that here): path.txt names the file
 * under dist/ (or under ELECTRON_OVERRIDE_DIST_PATH).
 */
export function electronExecutable(): { path: string } | { reason: string } {
  let pkgDir: string;
  try {
    pkgDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { reason: 'the electron package is not installed' };
  }
  const pathFile = join(pkgDir, 'path.txt');
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (!name && !override) {
    return {
      reason:
        'the Electron binary is not installed (node_modules/electron/path.txt is missing; installed with ELECTRON_SKIP_BINARY_DOWNLOAD?)',
    };
  }
  const path = override ? join(override, name || 'electron') : join(pkgDir, 'dist', name);
  return existsSync(path) ? { path } : { reason: `the Electron binary is missing (${path})` };
}

/** Why the Electron target cannot run here, or null when it can. */
export function electronUnavailable(): string | null {
  const found = electronExecutable();
  if ('reason' in found) return found.reason;
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return 'there is no display (set DISPLAY, e.g. run under xvfb-run)';
  }
  if (!existsSync(join(root, 'dist', 'electron', 'main.cjs')))
    return 'dist/electron/main.cjs is not built (npm run build:electron)';
  return null;
}

let printedElectronSkip = false;

/** Starts `xpuscope serve`; resolves with its URL once it printed `xpuscope serving <url>`. */
export async function startServe(
  driver: Driver,
  allowLaunch = false,
  extraArgs: string[] = [],
): Promise<{ url: string; child: ChildProcess; log: string[] }> {
  const cli = join(root, 'bin', 'xpuscope.js');
  const args = [cli, 'serve', '--port', '0', '--driver', driver, ...extraArgs];
  if (allowLaunch) args.push('--allow-launch');
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const log: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => log.push(chunk));
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('no "xpuscope serving" line within 20 s')), 20_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`xpuscope serve --driver ${driver} did not start: ${error.message}\n${log.join('')}`));
    };
    lines.once('line', (line) => {
      clearTimeout(timer);
      const match = /^xpuscope serving (http:\/\/\S+:\d+\/\S*)$/.exec(line);
      if (match) resolve(match[1]!);
      else fail(new Error(`unexpected first line: ${JSON.stringify(line)}`));
    });
    child.once('exit', (code, signal) => fail(new Error(`exited early (code ${code}, signal ${signal})`)));
    child.once('error', fail);
  });
  child.removeAllListeners('exit');
  lines.on('line', (line) => log.push(`${line}\n`));
  return { url, child, log };
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function watchConsole(page: Page, errors: string[]): void {
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
}

export const test = base.extend<Fixtures & E2eOptions>({
  target: ['web', { option: true }],

  openApp: async ({ target, playwright, launchOptions, viewport, colorScheme }, use, testInfo) => {
    const cleanups: (() => Promise<unknown>)[] = [];
    await use(async ({ driver, allowLaunch = false }) => {
      const consoleErrors: string[] = [];
      if (target === 'electron') {
        const reason = electronUnavailable();
        if (reason) {
          if (!printedElectronSkip) console.log(`[e2e] skipping the electron project: ${reason}`);
          printedElectronSkip = true;
          testInfo.skip(true, `electron: ${reason}`);
          throw new Error('unreachable');
        }
        const args = [join(root, 'dist', 'electron', 'main.cjs'), `--driver=${driver}`];
        if (process.getuid?.() === 0) args.unshift('--no-sandbox'); // Chromium refuses root otherwise
        const executable = electronExecutable();
        const app: ElectronApplication = await _electron.launch({
          ...('path' in executable ? { executablePath: executable.path } : {}),
          args,
          cwd: root,
          env: { ...process.env, XPUSCOPE_DRIVER: driver },
        });
        cleanups.push(() => app.close());
        const page = await app.firstWindow();
        watchConsole(page, consoleErrors);
        if (viewport) await page.setViewportSize(viewport);
        return { page, consoleErrors, url: page.url() };
      }

      const server = await startServe(driver, allowLaunch);
      cleanups.push(() => stopProcess(server.child));
      cleanups.push(async () => {
        if (testInfo.status !== testInfo.expectedStatus) {
          await testInfo.attach('xpuscope-serve.log', {
            body: server.log.join(''),
            contentType: 'text/plain',
          });
        }
      });
      const browser: Browser = await playwright.chromium.launch(launchOptions);
      cleanups.push(() => browser.close());
      const context = await browser.newContext({ viewport, colorScheme });
      const page = await context.newPage();
      watchConsole(page, consoleErrors);
      await page.goto(server.url);
      const servicePid = (): number | undefined => {
        const starts = [...server.log.join('').matchAll(/service process started \(pid (\d+)/g)];
        const last = starts.at(-1)?.[1];
        return last === undefined ? undefined : Number(last);
      };
      return {
        page,
        consoleErrors,
        url: server.url,
        stopServer: () => stopProcess(server.child),
        servicePid,
      };
    });
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  },

  // eslint-disable-next-line no-empty-pattern -- Playwright requires a destructuring pattern here
  saveScreenshot: async ({}, use, testInfo) => {
    mkdirSync(screenshotsDir, { recursive: true });
    await use(async (page, name) => {
      const path = join(screenshotsDir, `${testInfo.project.name}-${name}.png`);
      await page.screenshot({ path, fullPage: true });
      await testInfo.attach(name, { path, contentType: 'image/png' });
      return path;
    });
  },
});

export { expect };
