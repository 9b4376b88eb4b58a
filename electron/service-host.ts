// Runs the xpuscope service in an Electron utilityProcess (so a driver crash kills that process, not
// the app), talks to it over a MessagePort, and restarts it when it dies. Main only relays.
import { MessageChannelMain, utilityProcess, type MessagePortMain, type UtilityProcess } from 'electron';
import type { ErrorPayload } from '../protocol/contract.js';
import type { BridgeEvent, BridgeReply } from '../protocol/bridge.js';
import { UTILITY_BATCH_PORT, UTILITY_INIT } from './ipc.js';

export interface ServiceHostOptions {
  /** Absolute path of the bundled utility entry (dist/electron/utility.cjs). */
  modulePath: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Every push from the service, plus our own service.state notices (failed / restarted). */
  onEvent: (event: BridgeEvent) => void;
  /** Called after every (re)start, e.g. to hand the page a fresh timeline-batch port. */
  onStarted?: (generation: number) => void;
  /** Delay before a restart; doubles on each crash within the window, up to 8×. */
  restartDelayMs?: number;
  /** Give up after this many restarts within restartWindowMs. */
  maxRestarts?: number;
  restartWindowMs?: number;
  requestTimeoutMs?: number;
  log?: (line: string) => void;
}

interface Pending {
  resolve(reply: BridgeReply): void;
  timer: ReturnType<typeof setTimeout>;
}

export class ServiceHost {
  private child: UtilityProcess | null = null;
  private port: MessagePortMain | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private restarts: number[] = [];
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private gaveUp = false;
  private generation = 0;

  constructor(private readonly options: ServiceHostOptions) {}

  /** Number of times the process was started (1 after start(), 2 after the first restart, …). */
  get starts(): number {
    return this.generation;
  }

  get running(): boolean {
    return this.child !== null;
  }

  start(): void {
    if (this.child || this.stopped) return;
    this.generation++;
    const child = utilityProcess.fork(this.options.modulePath, this.options.args ?? [], {
      serviceName: 'xpuscope service',
      stdio: 'inherit',
      ...(this.options.env ? { env: this.options.env } : {}),
    });
    const { port1, port2 } = new MessageChannelMain();
    child.postMessage(UTILITY_INIT, [port2]);
    port1.on('message', (event) => this.receive(event.data));
    port1.start();
    this.child = child;
    this.port = port1;
    child.once('exit', (code) => this.onExit(child, code));
    this.options.onStarted?.(this.generation);
    if (this.generation > 1) {
      this.options.onEvent({
        event: 'service.state',
        data: {
          state: 'restarted',
          message: 'The xpuscope service stopped and was restarted; devices were re-read.',
        },
      });
    }
  }

  /**
   * A new channel for timeline batches: one end goes to the utility process (which subscribes it to
   * the service with its own cursor, starting from everything the timeline holds, and posts each
   * encoded batch as one ArrayBuffer message), the other is returned for main to hand to the page.
   * Batches then flow utility → page without passing through main. Null while the service is down.
   */
  openBatchPort(): MessagePortMain | null {
    if (!this.child) return null;
    const { port1, port2 } = new MessageChannelMain();
    this.child.postMessage(UTILITY_BATCH_PORT, [port1]);
    return port2;
  }

  /** Sends one request to the service; always resolves (errors are data). */
  call(method: string, params: unknown): Promise<BridgeReply> {
    const port = this.port;
    if (!port || !this.child) {
      return Promise.resolve({
        error: {
          code: 'SERVICE_UNAVAILABLE',
          message: this.gaveUp
            ? 'The xpuscope service keeps crashing and was not restarted.'
            : 'The xpuscope service is restarting.',
          hint: this.gaveUp
            ? 'Restart xpuscope; if it happens again, run `xpuscope devices` in a terminal to see why.'
            : 'Try again in a moment.',
        },
      });
    }
    const id = this.nextId++;
    return new Promise<BridgeReply>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({
          error: { code: 'TIMEOUT', message: `The xpuscope service did not answer ${method} in time.` },
        });
      }, this.options.requestTimeoutMs ?? 30_000);
      this.pending.set(id, { resolve, timer });
      port.postMessage({ id, method, params });
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.failPending({ code: 'CLOSED', message: 'The xpuscope service was stopped.' });
    this.port?.close();
    this.port = null;
    const child = this.child;
    this.child = null;
    child?.kill();
  }

  private receive(data: unknown): void {
    if (typeof data !== 'object' || data === null) return;
    const m = data as Record<string, unknown>;
    if (typeof m.id === 'number') {
      const entry = this.pending.get(m.id);
      if (!entry) return;
      this.pending.delete(m.id);
      clearTimeout(entry.timer);
      entry.resolve(
        'error' in m ? { error: m.error as ErrorPayload } : { result: (m as { result?: unknown }).result },
      );
    } else if (typeof m.event === 'string') {
      this.options.onEvent({ event: m.event, data: m.data });
    }
  }

  private failPending(error: ErrorPayload): void {
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.resolve({ error });
      this.pending.delete(id);
    }
  }

  private onExit(child: UtilityProcess, code: number): void {
    if (child !== this.child) return;
    this.child = null;
    this.port?.close();
    this.port = null;
    const log = this.options.log ?? (() => {});
    this.failPending({
      code: 'SERVICE_EXITED',
      message: `The xpuscope service stopped (exit code ${code}) before answering.`,
      hint: 'It is being restarted; try again.',
    });
    if (this.stopped) return;

    const now = Date.now();
    const windowMs = this.options.restartWindowMs ?? 60_000;
    this.restarts = this.restarts.filter((t) => now - t < windowMs);
    if (this.restarts.length >= (this.options.maxRestarts ?? 5)) {
      this.gaveUp = true;
      log(`service exited with code ${code}; too many restarts, giving up`);
      this.options.onEvent({
        event: 'service.state',
        data: {
          state: 'failed',
          message: `The xpuscope service crashed ${this.restarts.length + 1} times in a row and was not restarted.`,
        },
      });
      return;
    }
    this.restarts.push(now);
    const delay = (this.options.restartDelayMs ?? 500) * Math.min(8, 2 ** (this.restarts.length - 1));
    log(`service exited with code ${code}; restarting in ${delay} ms`);
    this.options.onEvent({
      event: 'service.state',
      data: { state: 'failed', message: `The xpuscope service stopped (exit code ${code}); restarting it…` },
    });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.start();
    }, delay);
  }
}
