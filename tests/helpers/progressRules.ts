import { expect } from 'vitest';
import type { ProgressEvent } from '../../src/engine/shared/api';

/** The rules every stage's event stream must follow (api.ts ProgressEvent). */
export function expectProgressRules(events: ProgressEvent[]): void {
  expect(events.length).toBeGreaterThan(0);
  const byStage = new Map<string, ProgressEvent[]>();
  for (const e of events) byStage.set(e.stage, [...(byStage.get(e.stage) ?? []), e]);
  for (const [, list] of byStage) {
    for (let i = 0; i < list.length; i++) {
      expect(list[i].loaded).toBeLessThanOrEqual(list[i].total);
      if (i > 0) expect(list[i].loaded).toBeGreaterThanOrEqual(list[i - 1].loaded);
    }
    const last = list[list.length - 1];
    expect(last.done).toBe(true);
    expect(last.loaded).toBe(last.total);
    expect(list.filter((e) => e.done)).toHaveLength(1);
  }
}
