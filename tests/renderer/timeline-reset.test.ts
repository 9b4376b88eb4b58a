// A batch flagged `reset` (the page now views another capture) replaces what the timeline shows, and
// the first spans after an empty timeline reach the view's snapshot at once — the empty-state text
// must not stay drawn over spans.
import { describe, expect, it } from 'vitest';
import { encodeBatch } from '../../protocol/timeline-batch.js';
import { TimelineController } from '../../renderer/timeline/controller.js';
import { lane, makeBatch } from './timeline-helpers.js';

describe('switching captures in the timeline', () => {
  it('a reset batch replaces the spans; the snapshot says so without waiting', () => {
    const c = new TimelineController();
    const seen: number[] = [];
    c.subscribe(() => seen.push(c.snapshot().spanCount));
    c.ingestBinary(
      encodeBatch(makeBatch([{ lane: 0, id: 1, start: 0, end: 10 }], { lanes: [lane(0)], strings: ['a'] })),
    );
    expect(c.snapshot().spanCount).toBe(1);
    const next = makeBatch(
      [
        { lane: 0, id: 1, start: 100, end: 110 },
        { lane: 0, id: 2, start: 120, end: 130 },
      ],
      { lanes: [lane(0)], strings: ['b'] },
    );
    c.ingestBinary(encodeBatch({ ...next, reset: true }));
    expect(c.store.spanCount).toBe(2); // not 3: the first capture's span is gone
    expect(c.snapshot().spanCount).toBe(2);
    expect(seen).toEqual([1, 0, 2]);
  });
});
