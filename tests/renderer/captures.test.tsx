// The captures list of the Timeline view, rendered to HTML from a store, and the store's captures slice
// (list, select, close, pushes) over a fake transport. Interaction through the served UI:
// e2e/captures.spec.ts.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import type { CaptureList } from '../../protocol/views.js';
import { createAppStore } from '../../renderer/state/store.js';
import { CapturesTable } from '../../renderer/views/CapturesList.js';
import { CaptureWarnings } from '../../renderer/views/TimelineView.js';
import { FakeTransport } from './fake-transport.js';

const list: CaptureList = {
  captures: [
    {
      id: 'ab-1',
      kind: 'scenario',
      name: 'concurrency',
      device: 0,
      startedAt: 0,
      durationNs: 2.5e6,
      ops: 46,
      dropped: 0,
      live: false,
    },
    {
      id: 'ab-2',
      kind: 'import',
      name: 'run.json',
      startedAt: 0,
      durationNs: 0,
      ops: 1200,
      dropped: 3,
      live: false,
    },
    {
      id: 'ab-3',
      kind: 'recording',
      name: 'multi_engine --lists 4',
      startedAt: 0,
      durationNs: 1e6,
      ops: 12,
      dropped: 0,
      live: true,
    },
  ],
  viewing: 'ab-2',
  following: false,
  newest: 'ab-3',
  evicted: 2,
};

describe('captures list', () => {
  it('lists every capture newest first, marks the one shown and the live one', () => {
    const html = renderToStaticMarkup(
      <CapturesTable
        list={list}
        devices={[{ index: 0, name: 'Arc A770' }]}
        onSelect={() => {}}
        onClose={() => {}}
      />,
    );
    const attr = (tag: string, name: string): string | undefined =>
      new RegExp(`${name}="([^"]*)"`).exec(tag)?.[1];
    const rows = [...html.matchAll(/<tr [^>]*data-testid="capture-row"[^>]*>/g)].map((m) => m[0]);
    expect(rows.map((t) => [attr(t, 'data-capture'), attr(t, 'data-kind'), attr(t, 'data-live')])).toEqual([
      ['ab-3', 'recording', 'true'],
      ['ab-2', 'import', 'false'],
      ['ab-1', 'scenario', 'false'],
    ]);
    expect(rows.map((t) => attr(t, 'aria-current') ?? null)).toEqual([null, 'true', null]);
    expect(html).toContain('1,200 (+3 dropped)');
    expect(html).toContain('2 older closed to save memory');
    expect(html).toContain('2.50 ms');
    expect(html).toContain('0: Arc A770');
    // a live capture cannot be closed; the others can
    expect(html).toMatch(/disabled="" aria-label="Close multi_engine --lists 4"/);
    expect(html).not.toMatch(/disabled="" aria-label="Close run.json"/);
    expect(html).not.toMatch(/data-testid="captures-follow" checked/);
  });

  it('the store loads, selects and closes through the service, and takes its pushes', async () => {
    const api = new FakeTransport('open');
    api.answer = async () => list;
    const { store } = createAppStore(api);
    await store.getState().selectCapture('ab-1');
    await store.getState().selectCapture(null);
    await store.getState().closeCapture('ab-1');
    expect(api.calls.filter((c) => c.method.startsWith('captures.'))).toEqual([
      { method: 'captures.select', params: { id: 'ab-1' } },
      { method: 'captures.select', params: { follow: true } },
      { method: 'captures.close', params: { id: 'ab-1' } },
    ]);
    api.push('captures', { ...list, viewing: 'ab-3', following: true });
    expect(store.getState().captures).toMatchObject({ viewing: 'ab-3', following: true });
    // a refused select (the capture went away) is shown, and the list is re-read
    api.answer = async (method) => {
      if (method === 'captures.select')
        throw Object.assign(new Error('No such capture'), { code: 'NOT_FOUND' });
      return list;
    };
    await store.getState().selectCapture('gone-9');
    expect(store.getState().captureError).toMatchObject({ message: 'No such capture' });
    await vi.waitFor(() => expect(api.calls.at(-1)?.method).toBe('captures.list'));
  });
});

describe('capture warnings', () => {
  it('say when the trace file is not written and how many operations were not recorded', () => {
    const base = { recording: true, paused: false, ops: 1, dropped: 0, lanes: 1 };
    expect(renderToStaticMarkup(<CaptureWarnings capture={base} />)).toBe('');
    const html = renderToStaticMarkup(
      <CaptureWarnings
        capture={{ ...base, traceError: '/x/t.json could not be opened: EACCES', recorderErrors: 1234 }}
      />,
    );
    expect(html).toContain('not being written: /x/t.json could not be opened: EACCES');
    expect(html).toContain('1,234 operation(s) could not be recorded');
  });
});
