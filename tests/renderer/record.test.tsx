// The Record view's parts: the argument line split like a shell, the environment lines, the store's
// recording slice (record.state / record.output pushes, bounded output, errors as data), the pushes over
// both transports, and the view's pure parts rendered to HTML.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { CaptureAnalysis } from '../../protocol/analysis.js';
import type { RecordOutput, RecordState } from '../../protocol/views.js';
import { parseEnv, shellQuote, splitArgs } from '../../renderer/argv.js';
import {
  appendOutput,
  createAppStore,
  EMPTY_RECORD_FORM,
  RECORD_OUTPUT_CHARS,
} from '../../renderer/state/store.js';
import {
  ElectronTransport,
  type BridgeEvent,
  type XpuscopeBridge,
} from '../../renderer/transports/electron.js';
import { ApiError } from '../../renderer/transports/types.js';
import { WebSocketTransport, type WebSocketConstructor } from '../../renderer/transports/websocket.js';
import { timelineTitle } from '../../renderer/views/TimelineView.js';
import {
  buildRequest,
  describeExit,
  RecordAnalysis,
  RecordFormPanel,
  RecordOutputPanel,
  RecordStatus,
  recordCaveats,
} from '../../renderer/views/RecordView.js';
import { FakeTransport } from './fake-transport.js';

const waitFor = <T,>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 5_000, interval: 20 });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const running: RecordState = {
  state: 'running',
  command: ['native/build/samples/multi_engine', '--lists', '4'],
  startedAt: 1_700_000_000_000,
  pid: 4242,
  simulated: true,
  processes: [],
  ops: 12,
  dropped: 0,
  untimed: 0,
  lost: 0,
  inFlight: 3,
};

const analysis: CaptureAnalysis = {
  windowStartNs: 0,
  windowEndNs: 25e6,
  windowNs: 25e6,
  ops: 164,
  lanes: [],
  engines: [
    {
      device: 0,
      engine: { ordinal: 0, index: 0, kind: 'compute' },
      label: 'compute 0.0',
      ops: 41,
      lanes: [0],
      busyNs: 24e6,
      busyPct: 96.9,
      concurrency: 1,
    },
  ],
  serialNs: 97e6,
  busyNs: 25e6,
  concurrency: 3.89,
  peakConcurrency: 4,
  findings: [
    {
      kind: 'overlap',
      severity: 'info',
      title: '4 queues ran at the same time',
      detail: 'Kernels on compute 0.0–0.3 overlapped for 24 ms.',
      device: 0,
      ops: [1, 2, 3],
      lanes: [0, 1],
      timeNs: { startNs: 0, endNs: 1e6 },
      impactNs: 24e6,
      values: {},
    },
    {
      kind: 'idle-gap',
      severity: 'warn',
      title: 'The device was idle for 2 ms',
      detail: 'Nothing ran between the lists.',
      device: 0,
      ops: [],
      lanes: [],
      impactNs: 2e6,
      values: {},
    },
  ],
  summary: 'The 4 lists ran on 4 engines at once: concurrency 3.89.',
  notes: ['3 operations had no submit time.'],
};

describe('splitArgs (like a shell, without expansion)', () => {
  it.each([
    ['--lists 4 --kernels 40', ['--lists', '4', '--kernels', '40']],
    ['  a \t b\n c  ', ['a', 'b', 'c']],
    [`'a b' "c d" e\\ f`, ['a b', 'c d', 'e f']],
    [`"say \\"hi\\"" 'it'\\''s' "\\$HOME" '$HOME'`, ['say "hi"', "it's", '$HOME', '$HOME']],
    [`"a\\b" a\\\\b`, ['a\\b', 'a\\b']],
    [`'' "" x''`, ['', '', 'x']],
    ['pre"fix mid"post', ['prefix midpost']],
    ['a \\\nb', ['a', 'b']],
    ['a\\\nb', ['ab']],
    ['', []],
  ])('%j', (line, args) => {
    expect(splitArgs(line)).toEqual({ args });
  });

  it('says what is wrong with an unfinished line', () => {
    expect(splitArgs(`a 'b c`)).toEqual({ args: ['a', 'b c'], error: 'a single quote is not closed' });
    expect(splitArgs('a "b').error).toBe('a double quote is not closed');
    expect(splitArgs('a b\\').error).toBe('the line ends with a backslash');
  });

  it('shellQuote writes a word back so that splitArgs reads it again', () => {
    const words = ['plain', '', 'a b', "it's", '$x', 'a"b', '--opt=1,2'];
    expect(words.map(shellQuote)).toEqual([
      'plain',
      "''",
      "'a b'",
      `'it'\\''s'`,
      "'$x'",
      `'a"b'`,
      '--opt=1,2',
    ]);
    expect(splitArgs(words.map(shellQuote).join(' ')).args).toEqual(words);
  });
});

describe('parseEnv', () => {
  it('reads KEY=VALUE lines, skipping blank and comment lines; the value is kept as is', () => {
    expect(parseEnv('XPUSIM_PROFILE=max-1550\n\n# note\n  A_1= x=y \nEMPTY=')).toEqual({
      env: { XPUSIM_PROFILE: 'max-1550', A_1: ' x=y ', EMPTY: '' },
      errors: [],
    });
  });
  it('names the bad lines', () => {
    const r = parseEnv('OK=1\nnot a pair\n1BAD=2\nBAD-NAME=3');
    expect(r.env).toEqual({ OK: '1' });
    expect(r.errors).toHaveLength(3);
    expect(r.errors[0]).toMatch(/^line 2: expected KEY=VALUE/);
    expect(r.errors[1]).toMatch(/^line 3: "1BAD" is not a variable name/);
  });
});

describe('buildRequest', () => {
  it('turns the form into record.start params', () => {
    const built = buildRequest({
      ...EMPTY_RECORD_FORM,
      command: ' native/build/samples/multi_engine ',
      args: '--lists 4 --kernels 40',
      env: 'XPUSIM_PROFILE=max-1550',
      driver: 'sim',
      cwd: '/tmp',
    });
    expect(built.errors).toEqual({});
    expect(built.argv).toEqual(['native/build/samples/multi_engine', '--lists', '4', '--kernels', '40']);
    expect(built.request).toEqual({
      command: 'native/build/samples/multi_engine',
      args: ['--lists', '4', '--kernels', '40'],
      cwd: '/tmp',
      env: { XPUSIM_PROFILE: 'max-1550' },
      driver: 'sim',
    });
    // default driver and an empty form field: left out (the service decides)
    expect(buildRequest({ ...EMPTY_RECORD_FORM, command: 'ls' }).request).toEqual({
      command: 'ls',
      args: [],
    });
    expect(
      buildRequest({ ...EMPTY_RECORD_FORM, command: 'x', driver: 'sim', profile: 'max-1550' }).request,
    ).toMatchObject({ driver: 'sim', profile: 'max-1550' });
  });
  it('refuses an empty command, an unfinished argument line and bad environment lines', () => {
    expect(buildRequest(EMPTY_RECORD_FORM).errors.command).toBeDefined();
    const bad = buildRequest({ ...EMPTY_RECORD_FORM, command: 'x', args: '"open', env: 'nope' });
    expect(bad.request).toBeUndefined();
    expect(bad.errors.args).toBe('a double quote is not closed');
    expect(bad.errors.env).toHaveLength(1);
  });
});

describe('appendOutput', () => {
  it('joins pieces of one stream and keeps streams apart', () => {
    let o = appendOutput({ chunks: [], chars: 0, droppedChars: 0 }, { stream: 'stdout', text: 'a' });
    o = appendOutput(o, { stream: 'stdout', text: 'b' });
    o = appendOutput(o, { stream: 'stderr', text: 'E' });
    o = appendOutput(o, { stream: 'stdout', text: 'c' });
    expect(o.chunks).toEqual([
      { stream: 'stdout', text: 'ab' },
      { stream: 'stderr', text: 'E' },
      { stream: 'stdout', text: 'c' },
    ]);
    expect(o.chars).toBe(4);
  });
  it('keeps only the last `limit` characters, counting what it dropped', () => {
    let o = { chunks: [] as RecordOutput[], chars: 0, droppedChars: 0 };
    for (let i = 0; i < 10; i++)
      o = appendOutput(o, { stream: i % 2 ? 'stderr' : 'stdout', text: `${i}`.repeat(4) }, 10);
    expect(o.chars).toBe(10);
    expect(o.droppedChars).toBe(30);
    expect(o.chunks.map((c) => c.text).join('')).toBe('7788889999');
    expect(RECORD_OUTPUT_CHARS).toBe(1 << 20);
  });
});

describe('the store’s recording slice', () => {
  it('follows record.state and record.output pushes; a new recording starts with empty output', async () => {
    const api = new FakeTransport('open');
    api.answer = async (m) => (m === 'record.state' ? { ...running, outputTail: 'earlier\n' } : []);
    const { store } = createAppStore(api);
    await store.getState().loadRecord();
    expect(store.getState().record?.pid).toBe(4242);
    // joined late: the output so far is the tail the service kept
    expect(store.getState().recordOutput.chunks).toEqual([{ stream: 'stdout', text: 'earlier\n' }]);
    api.push('record.output', { stream: 'stderr', text: 'warning\n' });
    api.push('record.state', { ...running, ops: 40 });
    expect(store.getState().record?.ops).toBe(40);
    expect(store.getState().recordOutput.chunks).toHaveLength(2);
    api.push('record.state', { ...running, state: 'finished', ops: 164, exit: { code: 0 }, analysis });
    expect(store.getState().record?.analysis?.summary).toBe(analysis.summary);
    expect(store.getState().recordOutput.chunks).toHaveLength(2);
    api.push('record.state', { ...running, startedAt: running.startedAt! + 5000, ops: 0 });
    expect(store.getState().recordOutput.chunks).toEqual([]);
  });

  it('keeps FORBIDDEN / NOT_FOUND answers as data, and a later push is not undone by the answer', async () => {
    const api = new FakeTransport('open');
    api.answer = async () => {
      throw new ApiError({
        code: 'FORBIDDEN',
        message: 'Launching programs is turned off in this xpuscope server.',
        hint: 'Start it with `xpuscope serve --allow-launch`',
      });
    };
    const { store } = createAppStore(api);
    await store.getState().startRecord({ command: 'x', args: [] });
    expect(store.getState().recordRequest).toEqual({
      status: 'error',
      action: 'start',
      error: {
        code: 'FORBIDDEN',
        message: 'Launching programs is turned off in this xpuscope server.',
        hint: 'Start it with `xpuscope serve --allow-launch`',
      },
    });
    expect(api.calls.at(-1)).toEqual({ method: 'record.start', params: { command: 'x', args: [] } });

    let answer!: (v: unknown) => void;
    api.answer = () => new Promise((r) => (answer = r));
    const started = store.getState().startRecord({ command: 'y', args: [] });
    expect(store.getState().recordRequest.status).toBe('starting');
    api.push('record.state', { ...running, ops: 50 });
    answer({ ...running, ops: 0 });
    await started;
    expect(store.getState().recordRequest.status).toBe('idle');
    expect(store.getState().record?.ops).toBe(50);
    // while it runs, another start is not sent
    const n = api.calls.length;
    await store.getState().startRecord({ command: 'z', args: [] });
    expect(api.calls.length).toBe(n);
  });
});

describe('record pushes over the transports', () => {
  it('the WebSocket transport delivers record.state and record.output to the store', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    wss.on('connection', (socket) => {
      socket.send(JSON.stringify({ event: 'record.state', data: running }));
      socket.send(JSON.stringify({ event: 'record.output', data: { stream: 'stdout', text: 'hello\n' } }));
    });
    const t = new WebSocketTransport({
      url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    });
    cleanups.push(() => t.close());
    const { store } = createAppStore(t);
    await waitFor(() => expect(store.getState().record?.pid).toBe(4242));
    await waitFor(() =>
      expect(store.getState().recordOutput.chunks).toEqual([{ stream: 'stdout', text: 'hello\n' }]),
    );
  });

  it('the Electron transport delivers them from the bridge', () => {
    let handler: ((m: BridgeEvent) => void) | null = null;
    const bridge = {
      version: 1,
      call: async () => ({ result: null }),
      onEvent: (h: (m: BridgeEvent) => void) => {
        handler = h;
        return () => {};
      },
    } as unknown as XpuscopeBridge;
    const t = new ElectronTransport(bridge);
    const { store } = createAppStore(t);
    handler!({ event: 'record.state', data: running });
    handler!({ event: 'record.output', data: { stream: 'stderr', text: 'oops' } });
    expect(store.getState().record?.state).toBe('running');
    expect(store.getState().recordOutput.chunks).toEqual([{ stream: 'stderr', text: 'oops' }]);
  });
});

describe('Record view parts', () => {
  it('the form shows the parsed argv and what is wrong', () => {
    const html = renderToStaticMarkup(
      <RecordFormPanel
        form={{ ...EMPTY_RECORD_FORM, command: 'prog', args: `--name 'a b' ""` }}
        running={false}
        request={{ status: 'idle' }}
        onChange={() => {}}
        onStart={() => {}}
        onStop={() => {}}
      />,
    );
    expect(html).toContain('data-testid="record-argv"');
    expect(html.match(/data-testid="record-argv-item"/g)).toHaveLength(4);
    expect(html).toContain('<code>a b</code>');
    expect(html).toContain('<code>&quot;&quot;</code>');
    expect(html).toMatch(/data-testid="record-stop"[^>]*disabled/);
    const bad = renderToStaticMarkup(
      <RecordFormPanel
        form={{ ...EMPTY_RECORD_FORM, command: 'prog', args: `'open` }}
        running={false}
        request={{ status: 'idle' }}
        onChange={() => {}}
        onStart={() => {}}
        onStop={() => {}}
      />,
    );
    expect(bad).toContain('a single quote is not closed');
    expect(bad).toMatch(/data-testid="record-start"[^>]*disabled/);
  });

  it('the status explains non-zero counters in plain words, and how the program ended', () => {
    const finished: RecordState = {
      ...running,
      state: 'finished',
      exit: { code: 137, signal: 'SIGKILL' },
      wallMs: 1500,
      dropped: 2,
      untimed: 1,
      lost: 0,
      inFlight: 4,
    };
    expect(recordCaveats(finished).map((c) => c.key)).toEqual(['dropped', 'untimed', 'in-flight']);
    expect(recordCaveats({ ...running, inFlight: 0 })).toEqual([]);
    const html = renderToStaticMarkup(<RecordStatus record={finished} />);
    expect(html).toContain('data-state="finished"');
    expect(html).toContain('data-testid="record-pid">4242');
    expect(html).toContain('SIGKILL');
    expect(html).toContain('The program was killed by SIGKILL (exit status 137).');
    expect(html).toContain('buffer was full');
    expect(html).toContain('Still on the GPU when the program ended');
    expect(html).not.toContain('data-testid="record-lost"');
    expect(describeExit({ code: 0 })).toBe('exited with code 0');
  });

  it('the analysis shows the summary, per-engine busy and each finding', () => {
    const html = renderToStaticMarkup(<RecordAnalysis analysis={analysis} onFinding={() => {}} />);
    expect(html).toContain('data-testid="record-summary"');
    expect(html).toContain(analysis.summary);
    expect(html).toContain('compute 0.0');
    expect(html).toContain('96.9 %');
    expect(html.match(/data-testid="record-finding"/g)).toHaveLength(2);
    expect(html).toContain('4 queues ran at the same time');
    expect(html).toContain('Nothing ran between the lists.');
    expect(html).toContain('3 operations — show in the timeline');
    expect(html).toContain('3 operations had no submit time.');
    // a finding with neither ops nor a time range cannot be shown in the timeline
    expect(html).toMatch(/data-testid="record-finding"[^>]*disabled[^>]*>.*The device was idle/);
  });

  it('the output marks stderr and says when the start was dropped', () => {
    const html = renderToStaticMarkup(
      <RecordOutputPanel
        output={{
          chunks: [
            { stream: 'stdout', text: 'ok\n' },
            { stream: 'stderr', text: 'bad <thing>\n' },
          ],
          chars: 10,
          droppedChars: 1234,
        }}
      />,
    );
    expect(html).toContain('<span class="out-stdout" data-stream="stdout">ok\n</span>');
    expect(html).toContain('<span class="out-stderr" data-stream="stderr">bad &lt;thing&gt;\n</span>');
    expect(html).toContain('first 1,234 characters are not shown');
  });

  it('the timeline title says what is shown', () => {
    const base = { recording: false, paused: true, ops: 0, dropped: 0, lanes: 0 };
    expect(timelineTitle(null)).toEqual({ text: 'Live timeline' });
    expect(timelineTitle({ ...base, source: 'live' })).toEqual({ text: 'Live timeline' });
    expect(timelineTitle({ ...base, source: 'import' })).toEqual({ text: 'Imported file' });
    expect(timelineTitle({ ...base, source: 'recording', sourceName: 'multi_engine --lists 4' })).toEqual({
      text: 'Recording of ',
      command: 'multi_engine --lists 4',
    });
    expect(timelineTitle({ ...base, source: 'live', kind: 'scenario', sourceName: 'event-chain' })).toEqual({
      text: 'Scenario run ',
      command: 'event-chain',
    });
    expect(
      timelineTitle({ ...base, source: 'live', kind: 'diagnostics', sourceName: 'Diagnostics level 2' }),
    ).toEqual({ text: 'Diagnostics level 2' });
    expect(timelineTitle({ ...base, source: 'live', kind: 'session' })).toEqual({ text: 'Live timeline' });
  });
});

describe('appendOutput and terminal colours', () => {
  it('removes colour and cursor sequences', () => {
    const o = appendOutput(
      { chunks: [], chars: 0, droppedChars: 0 },
      { stream: 'stderr', text: '\u001b[1;31merror:\u001b[0m bad\u001b[K\n\u001b]0;title\u0007ok' },
    );
    expect(o.chunks).toEqual([{ stream: 'stderr', text: 'error: bad\nok' }]);
  });
});
