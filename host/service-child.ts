// The GPU service child process of `xpuscope serve` (the counterpart of electron/utility.ts): hosts the
// xpuscope service (host/service.ts: runtime, koffi, the Level Zero driver) so that a driver crash or
// a hung driver call takes down only this process; host/service-process.ts (the parent) restarts it.
//
// Started by `child_process.fork` with `serialization: 'advanced'` (structured clone over the IPC
// channel, so `timeline.batch` ArrayBuffers travel as binary). The messages are `ParentMessage` /
// `ChildMessage` below: the child sends `boot` once it listens; the parent answers with `init` (the
// ServiceOptions that matter here), then
// requests (`request`, answered by `reply` with the same tag), per-client subscriptions (`subscribe`,
// each with its own capture cursor and backpressure flag `ready`), and uploaded files (`upload`).
// The child sends `hello` once the service exists, `state` for every service.state change, `event` per
// subscription, and `download` when `trace.export` prepared a file (before its `reply`). It answers
// each `ping` with a `pong` from its event loop: the parent's watchdog kills a child that stops
// answering (its event loop is stuck, e.g. in a driver call that never returns).
//
// It exits when the parent goes away (IPC `disconnect`), after closing the service (which flushes and
// closes the streamed trace file).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { DriverRequest } from '../protocol/devices.js';
import {
  createService,
  type ClientKey,
  type EventMessage,
  type ReplyMessage,
  type Service,
  type ServiceOptions,
  type ServiceState,
  type Transfers,
} from './service.js';

/** What the parent hands the child in `init` (JSON-able). */
export interface ChildServiceOptions {
  driver?: DriverRequest;
  profile?: string;
  version?: string;
  capture?: ServiceOptions['capture'];
  maxScenarioMs?: number;
  allowLaunch?: boolean;
  /** The parent's TransferRegistry folder: `trace.export` writes download files there. */
  transfersDir?: string;
}

export type ParentMessage =
  | { type: 'init'; options: ChildServiceOptions }
  | { type: 'request'; tag: number; raw: unknown; client?: ClientKey }
  | { type: 'subscribe'; sub: number; batches: boolean; client?: ClientKey }
  | { type: 'unsubscribe'; sub: number }
  | { type: 'ready'; sub: number; ready: boolean }
  | { type: 'upload'; id: string; path: string }
  | { type: 'ping'; seq: number }
  | { type: 'metrics'; tag: number };

export type ChildMessage =
  | { type: 'boot' }
  | { type: 'hello'; pid: number }
  | { type: 'state'; data: ServiceState }
  | { type: 'reply'; tag: number; reply: ReplyMessage }
  | { type: 'event'; sub: number; message: EventMessage }
  | { type: 'download'; id: string; filename: string; path: string }
  | { type: 'pong'; seq: number }
  | { type: 'metrics'; tag: number; text: string };

/** Runs the child side on this process's IPC channel. Called at import when this is the forked entry. */
export function runServiceChild(): void {
  const channel = process.send?.bind(process);
  if (!channel) {
    process.stderr.write('xpuscope: service-child must be started by xpuscope serve (no IPC channel)\n');
    process.exit(2);
  }
  const send = (message: ChildMessage): void => {
    if (!process.connected) return;
    try {
      channel(message);
    } catch {
      // the parent went away; 'disconnect' ends us
    }
  };

  let service: Service | undefined;
  const subs = new Map<number, { off: () => void; ready: boolean }>();
  const uploads = new Map<string, string>();

  function init(options: ChildServiceOptions): void {
    if (service) return;
    const serviceOptions: ServiceOptions = {};
    if (options.driver !== undefined) serviceOptions.driver = options.driver;
    if (options.profile !== undefined) serviceOptions.profile = options.profile;
    if (options.version !== undefined) serviceOptions.version = options.version;
    if (options.capture !== undefined) serviceOptions.capture = options.capture;
    if (options.maxScenarioMs !== undefined) serviceOptions.maxScenarioMs = options.maxScenarioMs;
    if (options.allowLaunch !== undefined) serviceOptions.allowLaunch = options.allowLaunch;
    const dir = options.transfersDir;
    if (dir !== undefined) {
      const transfers: Transfers = {
        newFile(suffix = 'bin') {
          const id = randomBytes(16).toString('hex');
          return { id, path: join(dir, `${id}.${suffix}`) };
        },
        offerDownload(id, filename, path = join(dir, `${id}.trace.json`)) {
          // Sent before the reply on the same ordered channel: the parent knows the id when the client does.
          send({ type: 'download', id, filename, path });
        },
        takeUpload(id) {
          const path = uploads.get(id);
          uploads.delete(id);
          return path;
        },
      };
      serviceOptions.transfers = transfers;
    }
    const svc = createService(serviceOptions);
    service = svc;
    // One internal listener reports the service state; subscriptions carry everything else.
    svc.on(
      (m) => {
        if (m.event === 'service.state') send({ type: 'state', data: m.data as ServiceState });
      },
      { batches: false, ready: () => false },
    );
    send({ type: 'hello', pid: process.pid });
  }

  process.on('message', (raw: unknown) => {
    const m = raw as ParentMessage;
    if (m === null || typeof m !== 'object') return;
    switch (m.type) {
      case 'ping':
        send({ type: 'pong', seq: m.seq });
        return;
      case 'init':
        init(m.options);
        return;
      case 'metrics': {
        const svc = service;
        if (!svc) return;
        void svc.metricsText().then((text) => send({ type: 'metrics', tag: m.tag, text }));
        return;
      }
      case 'request': {
        const svc = service;
        if (!svc) return;
        const ctx = m.client !== undefined ? { client: m.client } : {};
        void svc.handle(m.raw, ctx).then((reply) => send({ type: 'reply', tag: m.tag, reply }));
        return;
      }
      case 'subscribe': {
        if (!service || subs.has(m.sub)) return;
        const sub = m.sub;
        const entry = { off: () => {}, ready: true };
        entry.off = service.on(
          (message) => {
            if (message.event === 'service.state') return; // the parent owns the state its clients see
            send({ type: 'event', sub, message });
          },
          m.client !== undefined
            ? { ready: () => entry.ready, batches: m.batches, client: m.client }
            : { ready: () => entry.ready, batches: m.batches },
        );
        subs.set(sub, entry);
        return;
      }
      case 'unsubscribe':
        subs.get(m.sub)?.off();
        subs.delete(m.sub);
        return;
      case 'ready': {
        const entry = subs.get(m.sub);
        if (entry) entry.ready = m.ready;
        return;
      }
      case 'upload':
        uploads.set(m.id, m.path);
        return;
    }
  });

  // Ctrl-C in a terminal signals the whole process group: the parent handles it and disconnects us,
  // which closes the service cleanly (the trace file is flushed). SIGTERM aimed at us: close cleanly too.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {
    service?.close();
    process.exit(0);
  });

  // Listening now: ask for `init` (so nothing the parent sends can arrive before a listener exists).
  send({ type: 'boot' });

  process.on('disconnect', () => {
    for (const s of subs.values()) s.off();
    subs.clear();
    service?.close(); // flushes and closes the streamed trace file
    process.exit(0);
  });
}

// This module is the fork entry (dist/host/service-child.js, or the .ts under a TypeScript loader).
if (process.send !== undefined && process.env.XPUSCOPE_SERVICE_CHILD === '1') runServiceChild();
