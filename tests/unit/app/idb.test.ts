/** The one bounded-store rule of the app's IndexedDB stores (runs, experiment history): keep the newest N. */
import { describe, expect, it } from 'vitest';
import { overflowIds } from '../../../src/app/idb';

const r = (id: string, createdAt: number) => ({ id, createdAt });

describe('overflowIds', () => {
  it('drops everything older than the newest `keep`, whatever order the store lists them in', () => {
    expect(overflowIds([r('a', 1), r('b', 5), r('c', 3), r('d', 4)], 2)).toEqual(['c', 'a']);
    expect(overflowIds([r('a', 1), r('b', 5)], 2)).toEqual([]);
    expect(overflowIds([r('a', 1), r('b', 5)], 0)).toEqual(['b', 'a']);
    expect(overflowIds([], 3)).toEqual([]);
  });
  it('breaks ties by listing order, so the same records always keep the same survivors', () => {
    expect(overflowIds([r('x', 2), r('y', 2), r('z', 2)], 1)).toEqual(['y', 'z']);
  });
});
