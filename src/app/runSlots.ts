/**
 * A run from the history back into steering slots. A run names its vectors rather than keeping their ids (the
 * history outlives a library entry's id: a vector rebuilt or re-imported under the same name gets a new one), so
 * each slot is matched by name, the newest vector of that name winning. Every restored slot goes through the
 * session restore's own check (session.ts checkSlot): a run and a saved session agree on what a valid slot,
 * cap band and condition are. Pure: no store, no DOM.
 */
import type { RunSteering, VectorRecord } from './db';
import { checkSlot } from './session';
import type { SteerSlot } from './store';

export type RunSlots = { ok: true; slots: SteerSlot[] } | { ok: false; message: string };

/** The library's newest vector called `name` (the list need not be sorted). */
export function newestByName(name: string, vectors: readonly VectorRecord[]): VectorRecord | undefined {
  let best: VectorRecord | undefined;
  for (const v of vectors) if (v.name === name && (!best || v.createdAt > best.createdAt)) best = v;
  return best;
}

/**
 * The slots a run steered with, or, when one of its vectors (a slot's own or its condition's) is no longer in
 * the library, a message naming each missing one: then no slot is restored, so the current ones stay as they
 * are rather than half of the run's steering being applied.
 */
export function slotsFromRun(steering: readonly RunSteering[], vectors: readonly VectorRecord[], newKey: () => string): RunSlots {
  const missing = new Set<string>();
  const slots: SteerSlot[] = [];
  const bad: string[] = [];
  for (const s of steering) {
    const rec = newestByName(s.vectorName, vectors);
    const cond = s.when ? newestByName(s.when.vectorName, vectors) : undefined;
    if (!rec) missing.add(s.vectorName);
    if (s.when && !cond) missing.add(s.when.vectorName);
    if (!rec || (s.when && !cond)) continue;
    // RunSteering.ablate is the strength (0 = off); the slot keeps the switch and the strength apart.
    const slot = checkSlot({
      key: newKey(), vectorId: rec.id, layer: s.layer, coeff: s.coeff, mode: s.mode, ablate: s.ablate > 0, ablateStrength: s.ablate > 0 ? s.ablate : 1, enabled: true,
      ...(s.cap?.min !== undefined ? { capMin: s.cap.min } : {}), ...(s.cap?.max !== undefined ? { capMax: s.cap.max } : {}),
      ...(s.when && cond ? { when: { vectorId: cond.id, layer: s.when.layer, threshold: s.when.threshold, pooling: s.when.pooling } } : {}),
    });
    if (slot) slots.push(slot); else bad.push(`${s.vectorName}@L${s.layer}`);
  }
  if (missing.size) {
    const names = [...missing].map((n) => `"${n}"`).join(', ');
    return { ok: false, message: `The run's text is back, but not its steering: ${missing.size > 1 ? 'the vectors' : 'the vector'} ${names} ${missing.size > 1 ? 'are' : 'is'} no longer in the library, so the slots were left as they were. Import or rebuild ${missing.size > 1 ? 'them' : 'it'} under the same name to restore this run's steering.` };
  }
  if (bad.length) return { ok: false, message: `The run's text is back, but not its steering: its slot ${bad.join(', ')} is not a valid slot (layer, coefficient or mode), so the slots were left as they were.` };
  return { ok: true, slots: slots.slice(0, 4) };
}
