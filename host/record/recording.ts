// One recording: the ring files the collector writes in a directory (one per process image of the
// recorded program and its children), turned into OpRecords for the capture pipeline as they arrive.
//
// Numbering: each process image gets a slot; its operations' ids become slot·2^36 + the collector's id
// (dependency ids alike), and each of its devices a capture-level device number, so lanes of different
// processes never merge while every other part of the pipeline keeps keying lanes by (device, stream,
// engine). The names users know (command, device name, "immediate list 3") ride along in OpSource.
import { readFileSync, readdirSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { basename, join } from 'node:path';
import type { RecordProcessView } from '../../protocol/views.js';
import { OP_KINDS, type EngineRef, type OpRecord, type OpSource } from '../../protocol/timeline.js';
import {
  OP_FLAG,
  QUEUE_KIND,
  RING_ENGINE_KINDS,
  STATE,
  type RingDevice,
  type RingHeader,
  type RingOp,
  type RingRecord,
} from './ring-format.js';
import { RingReader } from './ring-reader.js';

const ID_SLOT = 2 ** 36;
const HOST_ENGINE: EngineRef = Object.freeze({ ordinal: 0, index: 0, kind: 'host' as const });

/** How a recorded process image ended (or that it has not). */
export type ProcessEnd =
  | { how: 'running' }
  | { how: 'exited'; code: number }
  | { how: 'signal'; signal: string; code: number }
  | { how: 'vanished' } // gone without an exit record (killed or crashed), exit status unknown
  | { how: 'exec' }; // replaced its image by exec (the next generation continues)

/** The exit status of a program the launcher waited for (128 + N when signal N ended it, as a shell says), and that as a ProcessEnd. */
export interface ChildExit {
  exit: { code: number; signal?: string };
  end: ProcessEnd;
}

/** What Node's child 'exit' event (code, signal) means as an exit status and a ProcessEnd. */
export function childExit(code: number | null, signal: string | null): ChildExit {
  if (signal) {
    const status = 128 + ((osConstants.signals as Record<string, number>)[signal] ?? 0);
    return { exit: { code: status, signal }, end: { how: 'signal', signal, code: status } };
  }
  const status = code ?? 0;
  return { exit: { code: status }, end: { how: 'exited', code: status } };
}

/** How a process ended, in words for people. */
export function describeEnd(end: ProcessEnd): string {
  switch (end.how) {
    case 'exited':
      return `exited with code ${end.code}`;
    case 'signal':
      return `was killed by ${end.signal} (exit status ${end.code})`;
    case 'vanished':
      return 'ended without exiting normally (killed or crashed)';
    case 'exec':
      return 'replaced itself (exec)';
    default:
      return 'is still running';
  }
}

export interface RecordedProcess {
  /** Slot within the recording (ids, devices). */
  slot: number;
  pid: number;
  ppid: number;
  generation: number;
  command: string;
  /** Whether the collector traced it (false: it never used Level Zero, or could not be traced). */
  traced: boolean;
  /** Why it could not be traced (the collector's message), if so. */
  untraced?: string;
  end: ProcessEnd;
  ops: number;
  /** Operations recorded without device timestamps (no event could time them). */
  untimed: number;
  /** Operations whose timestamps were gone before they could be read. */
  lost: number;
  /** Records the program produced faster than xpuscope read them (the ring was full): not recorded. */
  dropped: number;
  /** Operations submitted and not completed at the last harvest (or at exit). */
  inFlight: number;
  submitted: number;
  devices: RingDevice[];
  /** A problem reading its ring (corrupt data), if any. */
  error?: string;
}

/** A process as the protocol shows it (RecordState.processes). */
export function processView(p: RecordedProcess): RecordProcessView {
  const v: RecordProcessView = {
    pid: p.pid,
    ppid: p.ppid,
    command: p.command,
    traced: p.traced,
    end: describeEnd(p.end),
    ops: p.ops,
    dropped: p.dropped,
    untimed: p.untimed,
    lost: p.lost,
    inFlight: p.inFlight,
  };
  if (p.untraced !== undefined) v.untraced = p.untraced;
  if (p.error !== undefined) v.error = p.error;
  return v;
}

interface Lane {
  engine: EngineRef;
  stream: number;
  device: number;
  source: OpSource;
}

interface Image {
  reader: RingReader;
  info: RecordedProcess;
  strings: Map<number, string>;
  devices: Map<number, { number: number; name: string }>;
  lanes: Map<number, Lane>;
  /** Host lanes (--host-calls), by thread id; the process's host "device" number. */
  threads: Map<number, Lane>;
  hostDevice: number | undefined;
  /** Added to the collector's op ids (slot · 2^36). */
  base: number;
  /** The process's start time (clock ticks since boot): with the pid, tells it from a reused pid. */
  startTicks: number;
  finished: boolean;
}

export interface RecordingOptions {
  /** Called with each batch of operations, in the order they were read. */
  onOps(ops: OpRecord[]): void;
  /** Called when a process appears or its state changes. */
  onProcess?(p: RecordedProcess): void;
  /** The launched command's pid: its exit status is known to the launcher (setEnd). */
  rootPid?: number;
}

/** Shortens a command line for labels: "/usr/bin/python3 train.py --epochs 3" → "python3 train.py --epochs 3". */
export function shortCommand(command: string, max = 80): string {
  const parts = command.trim().split(/\s+/);
  if (parts.length === 0 || parts[0] === '') return '?';
  parts[0] = basename(parts[0]!);
  const s = parts.join(' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function procStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[19]); // field 22 overall
  } catch {
    return undefined;
  }
}

const dims = (d: readonly number[]): string => d.join('×');

/** What a person wants to know about a recorded op beyond its name (OpRecord.detail), or ''. */
export function opDetail(o: RingOp): string {
  const parts: string[] = [];
  if (o.groups.some((g) => g > 0)) parts.push(`groups ${dims(o.groups)}`);
  if (o.groupSize.some((g) => g > 0)) parts.push(`group size ${dims(o.groupSize)}`);
  if (o.exec > 0) parts.push(`execution ${o.exec}`);
  if (o.flags & OP_FLAG.LOST) parts.push('timestamps lost (its event was reset before they were read)');
  else if (o.flags & OP_FLAG.FAILED) parts.push('the device reported an error for it');
  else if (o.flags & OP_FLAG.UNTIMED) parts.push('no device timestamps');
  return parts.join(' · ');
}

export class Recording {
  private readonly images = new Map<string, Image>();
  private readonly failed = new Set<string>();
  private nextSlot = 0;
  private nextDevice = 0;
  private lastScan = 0;
  private lastSettle = 0;
  private harvest: { ns: number; readAt: number } | undefined;
  /** GPU operations handed to onOps so far. */
  opCount = 0;
  /** Host calls handed to onOps so far (--host-calls). */
  hostCalls = 0;

  constructor(
    readonly dir: string,
    private readonly opts: RecordingOptions,
  ) {}

  /** Every process image seen so far, in the order they appeared. */
  processes(): RecordedProcess[] {
    return [...this.images.values()].map((i) => i.info);
  }

  /** Reads what is new in every ring (and looks for new rings at most every `scanMs`). */
  poll(scanMs = 20): number {
    const now = Date.now();
    if (now - this.lastScan >= scanMs) {
      this.lastScan = now;
      this.scan();
    }
    let n = 0;
    for (const img of this.images.values()) n += this.drain(img);
    // Whether a process is gone (a /proc read per process) is asked far less often than data is read.
    if (now - this.lastSettle >= 100) {
      this.lastSettle = now;
      for (const img of this.images.values()) this.settle(img, false);
    }
    return n;
  }

  /**
   * Reads everything that is left; marks images whose process is gone as ended. `root`: how the
   * launcher's own child ended, which beats "vanished" — set before the final read (so settling does not
   * guess) and again after it (for images only that read found).
   */
  finish(root?: { pid: number | undefined; end: ProcessEnd }): void {
    if (root?.pid !== undefined) this.setEnd(root.pid, root.end);
    this.scan();
    for (let pass = 0; pass < 1000; pass++) {
      let n = 0;
      for (const img of this.images.values()) n += this.drain(img, Infinity);
      if (n === 0) break;
    }
    for (const img of this.images.values()) {
      this.settle(img, true);
      img.reader.close();
    }
    if (root?.pid !== undefined) this.setEnd(root.pid, root.end);
  }

  /** The launcher knows how its own child ended: that beats "vanished". */
  setEnd(pid: number, end: ProcessEnd): void {
    for (const img of this.images.values()) {
      if (img.info.pid === pid && img.info.end.how !== 'exec' && img.info.end.how !== 'exited') {
        img.info.end = end;
        this.opts.onProcess?.(img.info);
      }
    }
  }

  private scan(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    names.sort();
    for (const name of names) {
      if (!name.endsWith('.ring') || this.images.has(name) || this.failed.has(name)) continue;
      let reader: RingReader;
      try {
        reader = RingReader.open(join(this.dir, name));
      } catch {
        this.failed.add(name);
        continue;
      }
      const h = reader.header();
      const slot = this.nextSlot++;
      const info: RecordedProcess = {
        slot,
        pid: h.pid,
        ppid: h.ppid,
        generation: h.generation,
        command: h.command,
        traced: h.state === STATE.ATTACHED,
        end: { how: 'running' },
        ops: 0,
        untimed: 0,
        lost: 0,
        dropped: 0,
        inFlight: 0,
        submitted: 0,
        devices: [],
      };
      const img: Image = {
        reader,
        info,
        strings: new Map(),
        devices: new Map(),
        lanes: new Map(),
        threads: new Map(),
        hostDevice: undefined,
        base: slot * ID_SLOT,
        startTicks: h.startTicks,
        finished: false,
      };
      this.images.set(name, img);
      this.update(img, h);
    }
  }

  private drain(img: Image, budget?: number): number {
    if (img.finished) return 0;
    let res;
    try {
      res = img.reader.read(budget);
    } catch (err) {
      img.info.error = `cannot read ${img.reader.path}: ${err instanceof Error ? err.message : String(err)}`;
      img.finished = true;
      return 0;
    }
    const ops: OpRecord[] = [];
    const hostBefore = this.hostCalls;
    for (const r of res.records) this.apply(img, r, ops);
    if (img.reader.corrupt && !img.info.error)
      img.info.error = `the record ring is corrupt: ${img.reader.corrupt}`;
    this.update(img, res.header);
    if (ops.length) {
      this.opCount += ops.length - (this.hostCalls - hostBefore);
      this.opts.onOps(ops);
    }
    return res.records.length;
  }

  /**
   * The latest harvest any collector stamped (on the records' clock) and when it was read
   * (performance.now() ms): how to tell the records' time now.
   */
  lastHarvest(): { ns: number; readAt: number } | undefined {
    return this.harvest;
  }

  /** Copies the header's counters into the process info (and reports changes). */
  private update(img: Image, h: RingHeader): void {
    const p = img.info;
    if (h.lastHarvestNs > 0 && (!this.harvest || h.lastHarvestNs > this.harvest.ns))
      this.harvest = { ns: h.lastHarvestNs, readAt: performance.now() };
    const before = `${p.traced}|${p.untraced}|${p.end.how}|${p.command}`;
    p.command = h.command || p.command;
    p.dropped = h.droppedRecords;
    p.untimed = h.opsUntimed;
    p.lost = h.opsLost;
    p.inFlight = h.inFlight;
    p.submitted = h.opsSubmitted;
    if (h.state === STATE.ATTACHED) p.traced = true;
    if (h.state === STATE.UNTRACED) {
      p.traced = false;
      p.untraced = h.message || 'the collector could not trace this process';
    }
    if (h.state === STATE.EXITED && p.end.how === 'running') p.end = { how: 'exited', code: h.exitCode };
    if (h.state === STATE.EXECED) p.end = { how: 'exec' };
    if (`${p.traced}|${p.untraced}|${p.end.how}|${p.command}` !== before) this.opts.onProcess?.(p);
  }

  /** Decides whether a process whose ring says "running" is in fact gone. */
  private settle(img: Image, final: boolean): void {
    const p = img.info;
    if (p.end.how !== 'running') return;
    const start = procStartTicks(p.pid);
    const alive = start !== undefined && start === img.startTicks;
    if (!alive && (final || p.pid !== this.opts.rootPid)) {
      p.end = { how: 'vanished' };
      this.opts.onProcess?.(p);
    }
  }

  private apply(img: Image, r: RingRecord, out: OpRecord[]): void {
    switch (r.type) {
      case 'string':
        img.strings.set(r.id, r.text);
        return;
      case 'device': {
        const d = r.device;
        img.info.devices.push(d);
        const name = d.subdevice ? `${d.name} (tile ${d.deviceIndex})` : d.name;
        img.devices.set(d.id, { number: this.nextDevice++, name });
        return;
      }
      case 'queue': {
        const q = r.queue;
        const dev = img.devices.get(q.device) ?? this.unknownDevice(img, q.device);
        const label = q.kind === QUEUE_KIND.IMMEDIATE ? `immediate list ${q.number}` : `queue ${q.number}`;
        img.lanes.set(q.id, {
          engine: Object.freeze({
            ordinal: q.ordinal,
            index: q.index,
            kind: RING_ENGINE_KINDS[q.engine] ?? 'other',
          }),
          stream: q.id,
          device: dev.number,
          source: Object.freeze({
            pid: img.info.pid,
            process: shortCommand(img.info.command),
            device: dev.name,
            queue: q.inOrder ? `${label} (in-order)` : label,
          }),
        });
        return;
      }
      case 'op': {
        const o = r.op;
        const lane = img.lanes.get(o.queue);
        if (!lane) return; // its queue record was dropped with a full ring: cannot place it
        const kind = OP_KINDS[o.kind] ?? 'kernel';
        const name = img.strings.get(o.name) ?? kind;
        const rec: OpRecord = {
          id: img.base + o.id,
          device: lane.device,
          stream: lane.stream,
          engine: lane.engine,
          kind,
          name,
          bytes: o.bytes,
          submitNs: o.submitNs,
          startNs: o.startNs,
          endNs: o.endNs,
          deps: o.deps.length ? o.deps.map((d) => img.base + d) : [],
          source: lane.source,
        };
        const detail = opDetail(o);
        if (detail) rec.detail = detail;
        img.info.ops++;
        out.push(rec);
        return;
      }
      case 'exit':
        img.info.inFlight = r.inFlight;
        if (img.info.end.how === 'running') img.info.end = { how: 'exited', code: r.code };
        this.opts.onProcess?.(img.info);
        return;
      case 'process':
        img.info.traced = true;
        return;
      case 'host': {
        const lane = this.threadLane(img, r.tid);
        this.hostCalls++;
        out.push({
          id: img.base + r.id,
          device: lane.device,
          stream: lane.stream,
          engine: lane.engine,
          kind: 'host-call',
          name: img.strings.get(r.name) ?? 'Level Zero call',
          bytes: 0,
          submitNs: r.startNs,
          startNs: r.startNs,
          endNs: r.endNs,
          deps: [],
          source: lane.source,
        });
        return;
      }
    }
  }

  /** The host lane of one thread of a process (its own device number: "host", then the thread). */
  private threadLane(img: Image, tid: number): Lane {
    let lane = img.threads.get(tid);
    if (lane) return lane;
    img.hostDevice ??= this.nextDevice++;
    lane = {
      engine: HOST_ENGINE,
      stream: tid,
      device: img.hostDevice,
      source: Object.freeze({
        pid: img.info.pid,
        process: shortCommand(img.info.command),
        device: 'host',
        queue: tid === img.info.pid ? `main thread ${tid}` : `thread ${tid}`,
      }),
    };
    img.threads.set(tid, lane);
    return lane;
  }

  private unknownDevice(img: Image, id: number): { number: number; name: string } {
    const d = { number: this.nextDevice++, name: `device ${id}` };
    img.devices.set(id, d);
    return d;
  }
}
