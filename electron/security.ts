// Window hardening, in one place so tests can check it: sandboxed, context-isolated renderer with no
// Node, a strict CSP, no navigation, no new windows, no permissions, and IPC only from our own page.
import type {
  BrowserWindow,
  BrowserWindowConstructorOptions,
  IpcMainInvokeEvent,
  Session,
  WebContents,
  WebFrameMain,
} from 'electron';

/** The renderer's CSP; matches the meta tag in renderer/index.html (file:// responses carry no headers). */
export const RENDERER_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self' ws: wss: http: https:; base-uri 'none'; form-action 'none'; object-src 'none'";

export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 800,
    minWidth: 800,
    minHeight: 500,
    show: false,
    title: 'xpuscope',
    backgroundColor: '#14161a',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}

/** Denies every navigation, redirect, new window and <webview> of a web contents. */
export function hardenWebContents(contents: WebContents, log: (line: string) => void = () => {}): void {
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    log(`blocked navigation to ${url}`);
  });
  contents.on('will-redirect', (event, url) => {
    event.preventDefault();
    log(`blocked redirect to ${url}`);
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log('blocked a <webview>');
  });
  contents.setWindowOpenHandler(({ url }) => {
    log(`blocked window.open(${url})`);
    return { action: 'deny' };
  });
}

/** Denies all permission requests and checks, and adds the CSP header to every response. */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP] },
    });
  });
}

/** URL without query and fragment, for comparing a frame's URL with our page's. */
function pageOf(url: string): string | null {
  try {
    const u = new URL(url);
    u.search = '';
    u.hash = '';
    return u.href;
  } catch {
    return null;
  }
}

/**
 * Builds the sender check every ipcMain handler runs first (GitHub Desktop style): the message must
 * come from the top frame of our own window, showing our own page.
 */
export function createSenderCheck(
  getWindow: () => BrowserWindow | null,
  pageUrl: string,
): (event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>) => boolean {
  const expected = pageOf(pageUrl);
  return (event) => {
    const win = getWindow();
    if (!win || win.isDestroyed()) return false;
    const contents = win.webContents;
    if (event.sender !== contents && event.sender?.id !== contents.id) return false;
    const frame: WebFrameMain | null | undefined = event.senderFrame;
    if (!frame) return false;
    const top = contents.mainFrame;
    if (frame !== top && (frame.processId !== top.processId || frame.routingId !== top.routingId))
      return false;
    if (frame.parent) return false;
    return expected !== null && pageOf(frame.url) === expected;
  };
}
