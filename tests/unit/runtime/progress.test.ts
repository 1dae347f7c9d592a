import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../../src/engine/shared/api';
import { ProgressTracker, runStage } from '../../../src/engine/core/runtime/progress';
import { expectProgressRules } from '../../helpers/progressRules';

function track(): { t: ProgressTracker; events: ProgressEvent[] } {
  const events: ProgressEvent[] = [];
  return { t: new ProgressTracker('download', (e) => events.push(e)), events };
}

describe('ProgressTracker', () => {
  it('aggregates files with known sizes into one growing stream that ends complete', () => {
    const { t, events } = track();
    t.start('a', 1000);
    t.start('b', 3000);
    for (let n = 100; n <= 1000; n += 100) t.update('a', n);
    t.finish('a', 1000);
    for (let n = 500; n <= 3000; n += 500) t.update('b', n);
    t.finish('b', 3000);
    t.done();
    expectProgressRules(events);
    expect(events[events.length - 1]).toMatchObject({ loaded: 4000, total: 4000, done: true });
    expect(events.every((e) => e.total === 4000 || e.total === 1000)).toBe(true);
  });

  it('handles a file whose size is unknown up front', () => {
    const { t, events } = track();
    t.start('chunked');
    for (let n = 10; n <= 100; n += 10) t.update('chunked', n);
    t.finish('chunked', 100);
    t.done();
    expectProgressRules(events);
    expect(events.at(-1)).toMatchObject({ loaded: 100, total: 100 });
  });

  it('handles a body larger than its declared size (compressed transfer) and a smaller one', () => {
    const { t, events } = track();
    t.start('gz', 50);
    t.update('gz', 80);
    t.finish('gz', 120);
    t.start('short', 1000);
    t.update('short', 10);
    t.finish('short', 10);
    t.done();
    expectProgressRules(events);
    expect(events.at(-1)).toMatchObject({ loaded: 130, total: 130 });
  });

  it('handles a file served from a cache in one step', () => {
    const { t, events } = track();
    t.finish('cached.onnx', 5_000_000);
    t.done();
    expectProgressRules(events);
    expect(events.at(-1)).toMatchObject({ loaded: 5_000_000, total: 5_000_000, done: true });
  });

  it('ignores regressions, out-of-order updates and anything after done', () => {
    const { t, events } = track();
    t.start('a', 100);
    t.update('a', 60);
    t.update('a', 30);
    t.done();
    t.update('a', 100);
    t.finish('b', 5);
    t.done();
    expectProgressRules(events);
    expect(events.at(-1)).toMatchObject({ loaded: 60, total: 60, done: true });
  });

  it('an empty stage still ends with done and loaded = total = 0', () => {
    const { t, events } = track();
    t.done();
    expect(events).toEqual([{ stage: 'download', loaded: 0, total: 0, done: true }]);
  });

  it('thins a long stream of tiny updates', () => {
    const { t, events } = track();
    t.start('big', 1_000_000);
    for (let n = 1000; n <= 1_000_000; n += 1000) t.update('big', n);
    t.done();
    expectProgressRules(events);
    expect(events.length).toBeLessThan(250);
  });

  it('runStage emits a start and a done event around the work', async () => {
    const events: ProgressEvent[] = [];
    expect(await runStage('session', (e) => events.push(e), async () => 7)).toBe(7);
    expect(events).toEqual([
      { stage: 'session', loaded: 0, total: 1, done: false },
      { stage: 'session', loaded: 1, total: 1, done: true },
    ]);
    expectProgressRules(events);
  });
});
