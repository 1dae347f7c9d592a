import { describe, expect, it } from 'vitest';
import type { RunSteering, VectorRecord } from '../../../src/app/db';
import { newestByName, slotsFromRun } from '../../../src/app/runSlots';
import { runSteering } from '../../../src/app/slotKinds';
import type { SteerSlot } from '../../../src/app/store';
import { LAYER_CONVENTION } from '../../../src/engine/clients/vectors/meta';

/** A library entry of 4 layers × 3 with every layer present. */
function vec(id: string, name: string, createdAt: number): VectorRecord {
  return {
    id, name, createdAt, source: 'contrast',
    set: {
      vectors: new Float32Array(12).fill(0.5),
      meta: { modelId: 'tiny-test', tap: 'hook_resid_post', pooling: 'response-mean', method: 'diff-in-means', counts: { pos: 2, neg: 2 }, layerConvention: LAYER_CONVENTION, hiddenSize: 3, numLayers: 4, layers: [0, 1, 2, 3], normalized: false, trait: name, notes: '' },
    },
  };
}

const keys = () => { let n = 0; return () => `r${++n}`; };

describe('slotsFromRun', () => {
  const library = [vec('a1', 'evil', 10), vec('b1', 'calm', 20), vec('c1', 'gate', 30)];
  const name = (id: string) => library.find((v) => v.id === id)!.name;

  it('gives back the slots a run was saved from (as runSteering wrote them), cap and condition included', () => {
    const slots: SteerSlot[] = [
      { key: 'x', vectorId: 'a1', layer: 2, coeff: -3.5, mode: 'response', ablate: true, ablateStrength: 0.8, enabled: true, capMin: -1, capMax: 2.5, when: { vectorId: 'c1', layer: 1, threshold: 0.35, pooling: 'last' } },
      { key: 'y', vectorId: 'b1', layer: 0, coeff: 6, mode: 'all', ablate: false, ablateStrength: 1, enabled: true, capMax: 4 },
    ];
    const back = slotsFromRun(slots.map((s) => runSteering(s, name)), library, keys());
    expect(back).toEqual({ ok: true, slots: [{ ...slots[0], key: 'r1' }, { ...slots[1], key: 'r2' }] });
  });

  it('matches a name to the newest vector of that name, in any order', () => {
    const lib = [vec('old', 'evil', 5), vec('new', 'evil', 50), vec('mid', 'evil', 20)];
    expect(newestByName('evil', lib)!.id).toBe('new');
    expect(newestByName('kind', lib)).toBeUndefined();
    const run: RunSteering[] = [{ vectorName: 'evil', layer: 1, coeff: 2, mode: 'all', ablate: 0, when: { vectorName: 'evil', layer: 3, threshold: 0, pooling: 'mean', fired: true, projection: 1 } }];
    const back = slotsFromRun(run, lib, keys());
    expect(back.ok && back.slots[0]).toMatchObject({ vectorId: 'new', ablate: false, ablateStrength: 1, when: { vectorId: 'new', layer: 3, threshold: 0, pooling: 'mean' } });
  });

  it('restores no slot and names every missing vector (a slot\'s own or its condition\'s) when one is gone', () => {
    const run: RunSteering[] = [
      { vectorName: 'evil', layer: 1, coeff: 2, mode: 'all', ablate: 0 },
      { vectorName: 'sly', layer: 1, coeff: 2, mode: 'all', ablate: 0 },
      { vectorName: 'calm', layer: 1, coeff: 2, mode: 'all', ablate: 0, when: { vectorName: 'dropped gate', layer: 0, threshold: 1, pooling: 'last' } },
    ];
    const back = slotsFromRun(run, library, keys());
    expect(back.ok).toBe(false);
    if (back.ok) return;
    expect(back.message).toContain('"sly", "dropped gate"');
    expect(back.message).not.toContain('"evil"');
    expect(back.message).toContain('left as they were');
  });

  it('checks the cap and condition as the session restore does: a bad band or pooling is dropped, the slot kept', () => {
    const run: RunSteering[] = [{ vectorName: 'evil', layer: 1, coeff: 2, mode: 'prompt', ablate: 0, cap: { min: 3, max: 1 }, when: { vectorName: 'gate', layer: 0, threshold: 1, pooling: 'median' as never } }];
    expect(slotsFromRun(run, library, keys())).toEqual({ ok: true, slots: [{ key: 'r1', vectorId: 'a1', layer: 1, coeff: 2, mode: 'prompt', ablate: false, ablateStrength: 1, enabled: true }] });
  });

  it('refuses a run slot whose core fields are not a slot, and restores an empty steering as no slots', () => {
    const back = slotsFromRun([{ vectorName: 'evil', layer: -2, coeff: 2, mode: 'all', ablate: 0 }], library, keys());
    expect(back.ok ? null : back.message).toContain('evil@L-2');
    expect(slotsFromRun([], library, keys())).toEqual({ ok: true, slots: [] });
  });
});
