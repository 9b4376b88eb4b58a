// The capture's counter inputs ring (host/recent-ops.ts): bounded, oldest overwritten, pruned by time.
import { describe, expect, it } from 'vitest';
import { RecentOps } from '../../host/recent-ops.js';

function all(r: RecentOps) {
  const out: [number, string, number, number, number][] = [];
  r.forEach((d, k, s, a, e) => out.push([d, k, s, a, e]));
  return out;
}

describe('RecentOps', () => {
  it('keeps the newest `capacity` ops in order, interns keys, prunes by end time', () => {
    const r = new RecentOps(4);
    const a = r.keyId('0/compute/0/0');
    const b = r.keyId('1/copy/1/0');
    expect(r.keyId('0/compute/0/0')).toBe(a);
    for (let i = 0; i < 6; i++) r.push(i & 1, i & 1 ? b : a, i * 10, i * 10 + 1, i * 10 + 5);
    expect(r.size).toBe(4);
    expect(all(r).map((x) => x[2])).toEqual([20, 30, 40, 50]); // 0 and 10 overwritten
    expect(all(r)[1]).toEqual([1, '1/copy/1/0', 30, 31, 35]);
    r.prune(36); // drops ends 25 and 35
    expect(all(r).map((x) => x[4])).toEqual([45, 55]);
    r.push(0, a, 60, 61, 65);
    r.push(0, a, 70, 71, 75);
    r.push(0, a, 80, 81, 85); // wraps past the physical end again
    expect(all(r).map((x) => x[2])).toEqual([50, 60, 70, 80]);
    r.clear();
    expect(r.size).toBe(0);
    expect(all(r)).toEqual([]);
  });
});
