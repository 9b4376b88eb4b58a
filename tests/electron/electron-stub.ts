// A stub of the `electron` module for unit tests (the Electron binary is not installed here). Use:
//   vi.mock('electron', async () => (await import('./electron-stub.js')).electronStub);
// Every fake records what the code under test did with it; `resetStub()` clears it between tests.
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

let nextId = 1;

export class FakeFrame {
  readonly processId: number;
  readonly routingId: number;
  constructor(
    public url: string,
    public parent: FakeFrame | null = null,
  ) {
    this.processId = 100;
    this.routingId = nextId++;
  }
}

export class FakeWebContents extends EventEmitter {
  readonly id = nextId++;
  mainFrame: FakeFrame;
  windowOpenHandler: ((details: { url: string }) => { action: 'allow' | 'deny' }) | null = null;
  readonly send = vi.fn();
  /** webContents.postMessage(channel, message, ports): the timeline batch port goes this way. */
  readonly postMessage = vi.fn();
  destroyed = false;
  constructor(url = 'about:blank') {
    super();
    this.mainFrame = new FakeFrame(url);
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'allow' | 'deny' }): void {
    this.windowOpenHandler = handler;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  readonly webContents: FakeWebContents;
  readonly loadFile = vi.fn(async (path: string) => {
    this.webContents.mainFrame.url = new URL(`file://${path}`).href;
  });
  readonly show = vi.fn();
  destroyed = false;
  constructor(public readonly options: Record<string, unknown>) {
    super();
    this.webContents = new FakeWebContents();
    stub.windows.push(this);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  static getFocusedWindow(): FakeBrowserWindow | null {
    return stub.windows[0] ?? null;
  }
}

export class FakePort extends EventEmitter {
  other: FakePort | null = null;
  closed = false;
  readonly start = vi.fn();
  readonly postMessage = vi.fn((data: unknown) => {
    const other = this.other;
    if (!other || this.closed) return;
    queueMicrotask(() => other.emit('message', { data, ports: [] }));
  });
  readonly close = vi.fn(() => {
    this.closed = true;
  });
}

export class FakeMessageChannelMain {
  readonly port1 = new FakePort();
  readonly port2 = new FakePort();
  constructor() {
    this.port1.other = this.port2;
    this.port2.other = this.port1;
    stub.channels.push(this);
  }
}

export class FakeUtilityProcess extends EventEmitter {
  readonly pid = nextId++;
  /** The port main handed over with the init message (the service side). */
  port: FakePort | null = null;
  initMessage: unknown;
  /** Ports handed over later (timeline batch ports), in order. */
  readonly batchPorts: FakePort[] = [];
  readonly postMessage = vi.fn((message: unknown, ports?: FakePort[]) => {
    if ((message as { type?: string } | null)?.type === 'xpuscope:batch-port') {
      if (ports?.[0]) this.batchPorts.push(ports[0]);
      return;
    }
    this.initMessage = message;
    this.port = ports?.[0] ?? null;
  });
  readonly kill = vi.fn(() => {
    queueMicrotask(() => this.emit('exit', 0));
    return true;
  });
  constructor(
    public readonly modulePath: string,
    public readonly args: string[],
    public readonly options: Record<string, unknown>,
  ) {
    super();
  }
  /** Simulates the process dying. */
  crash(code = 134): void {
    this.emit('exit', code);
  }
}

export type IpcHandler = (event: unknown, ...args: unknown[]) => unknown;

export const stub = {
  windows: [] as FakeBrowserWindow[],
  forks: [] as FakeUtilityProcess[],
  channels: [] as FakeMessageChannelMain[],
  handlers: new Map<string, IpcHandler>(),
  exposed: new Map<string, unknown>(),
  rendererListeners: new Map<string, Set<(...args: unknown[]) => void>>(),
  invoke: vi.fn(async (_channel: string, ..._args: unknown[]): Promise<unknown> => undefined),
  session: {
    permissionRequestHandler: null as null | ((...args: unknown[]) => void),
    permissionCheckHandler: null as null | ((...args: unknown[]) => boolean),
    headersReceived: null as null | ((details: unknown, callback: (response: unknown) => void) => void),
  },
  appEvents: new EventEmitter(),
  menuTemplates: [] as unknown[][],
  /** What the next save/open dialog answers (null: cancelled). */
  nextSavePath: null as string | null,
  nextOpenPath: null as string | null,
};

export function resetStub(): void {
  stub.windows.length = 0;
  stub.forks.length = 0;
  stub.channels.length = 0;
  stub.handlers.clear();
  stub.exposed.clear();
  stub.rendererListeners.clear();
  stub.invoke.mockReset();
  stub.session.permissionRequestHandler = null;
  stub.session.permissionCheckHandler = null;
  stub.session.headersReceived = null;
  stub.appEvents.removeAllListeners();
  stub.menuTemplates.length = 0;
  stub.nextSavePath = null;
  stub.nextOpenPath = null;
}

const defaultSession = {
  setPermissionRequestHandler: (handler: (...args: unknown[]) => void) => {
    stub.session.permissionRequestHandler = handler;
  },
  setPermissionCheckHandler: (handler: (...args: unknown[]) => boolean) => {
    stub.session.permissionCheckHandler = handler;
  },
  webRequest: {
    onHeadersReceived: (handler: (details: unknown, callback: (response: unknown) => void) => void) => {
      stub.session.headersReceived = handler;
    },
  },
};

export const electronStub = {
  BrowserWindow: FakeBrowserWindow,
  MessageChannelMain: FakeMessageChannelMain,
  utilityProcess: {
    fork: vi.fn((modulePath: string, args: string[] = [], options: Record<string, unknown> = {}) => {
      const child = new FakeUtilityProcess(modulePath, args, options);
      stub.forks.push(child);
      return child;
    }),
  },
  ipcMain: {
    handle: (channel: string, handler: IpcHandler) => {
      if (stub.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      stub.handlers.set(channel, handler);
    },
    removeHandler: (channel: string) => {
      stub.handlers.delete(channel);
    },
  },
  ipcRenderer: {
    invoke: (channel: string, ...args: unknown[]) => stub.invoke(channel, ...args),
    on: (channel: string, listener: (...args: unknown[]) => void) => {
      let set = stub.rendererListeners.get(channel);
      if (!set) stub.rendererListeners.set(channel, (set = new Set()));
      set.add(listener);
    },
    removeListener: (channel: string, listener: (...args: unknown[]) => void) => {
      stub.rendererListeners.get(channel)?.delete(listener);
    },
  },
  contextBridge: {
    exposeInMainWorld: (key: string, api: unknown) => {
      stub.exposed.set(key, api);
    },
  },
  session: { defaultSession },
  Menu: {
    buildFromTemplate: vi.fn((template: unknown[]) => {
      stub.menuTemplates.push(template);
      return { template };
    }),
    setApplicationMenu: vi.fn(),
  },
  dialog: {
    showSaveDialog: vi.fn(async () =>
      stub.nextSavePath === null ? { canceled: true } : { canceled: false, filePath: stub.nextSavePath },
    ),
    showOpenDialog: vi.fn(async () =>
      stub.nextOpenPath === null
        ? { canceled: true, filePaths: [] }
        : { canceled: false, filePaths: [stub.nextOpenPath] },
    ),
    showMessageBox: vi.fn(async () => ({ response: 0 })),
  },
  app: {
    isPackaged: false,
    getVersion: () => '0.1.0',
    enableSandbox: vi.fn(),
    whenReady: () => Promise.resolve(),
    quit: vi.fn(),
    on: (event: string, listener: (...args: unknown[]) => void) => stub.appEvents.on(event, listener),
  },
};
export default electronStub;
