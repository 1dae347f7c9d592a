import { describe, expect, it } from 'vitest';
import { checkCapTexts, checkThresholdText, conditionDirection, conditionViews, describeRunSteering, hasCap, linkSteering, runSteering, slotFromLink, slotSpecs } from '../../../src/app/slotKinds';
import { decodeShareLink, encodeShareLink } from '../../../src/engine/clients/io/shareLink';
import { resolveSpec } from '../../../src/engine/shared/interventions/registry';
import type { VectorRecord } from '../../../src/app/db';

const D = 4;
const v = Float32Array.from([3, 0, 4, 0]); // |v| = 5
const other = Float32Array.from([0, 1, 0, 0]);
const slot = { layer: 1, coeff: 2.5, mode: 'all' as const, ablate: false, ablateStrength: 1 };
const when = { layer: 0, direction: other, threshold: 0.75, pooling: 'last' as const };

function rec(id: string, layers: number[], vec: Float32Array): VectorRecord {
  const vectors = new Float32Array(3 * D);
  for (const l of layers) vectors.set(vec, l * D);
  return { id, name: id, source: 'import', createdAt: 0, set: { vectors, meta: { hiddenSize: D, numLayers: 3, layers } as never } };
}

describe('slot cap band', () => {
  it('takes either bound alone, both, or negative and fractional numbers', () => {
    expect(checkCapTexts('', '1.5')).toEqual({ ok: true, value: { capMax: 1.5 } });
    expect(checkCapTexts('-2', '')).toEqual({ ok: true, value: { capMin: -2 } });
    expect(checkCapTexts(' -0.25 ', '3')).toEqual({ ok: true, value: { capMin: -0.25, capMax: 3 } });
    expect(checkCapTexts('2', '2')).toEqual({ ok: true, value: { capMin: 2, capMax: 2 } });
  });
  it('refuses min above max, a non-number, and no bound at all, with the cap kind\'s message', () => {
    const swapped = checkCapTexts('5', '1');
    expect(swapped.ok).toBe(false);
    expect(!swapped.ok && swapped.message).toMatch(/min 5 is above max 1; swap them/);
    const nan = checkCapTexts('abc', '1');
    expect(!nan.ok && nan.message).toMatch(/Cap\.min: must be a finite number/);
    const inf = checkCapTexts('', 'Infinity');
    expect(!inf.ok && inf.message).toMatch(/Cap\.max: must be a finite number/);
    const none = checkCapTexts(' ', '');
    expect(!none.ok && none.message).toMatch(/needs min, max or both/);
  });
  it('hasCap is true with either bound', () => {
    expect(hasCap({})).toBe(false);
    expect(hasCap({ capMin: 0 })).toBe(true);
    expect(hasCap({ capMax: 0 })).toBe(true);
  });
});

describe('condition threshold', () => {
  it('accepts a finite number and refuses NaN, empty and infinite ones with a message naming the threshold', () => {
    expect(checkThresholdText('0.349')).toEqual({ ok: true, value: 0.349 });
    expect(checkThresholdText('-3')).toEqual({ ok: true, value: -3 });
    for (const t of ['NaN', '', 'x1', '-Infinity']) {
      const c = checkThresholdText(t);
      expect(c.ok).toBe(false);
      expect(!c.ok && c.message).toMatch(/Condition\.when\.threshold: must be a finite number/);
    }
  });
  it('finds the direction in the library, or says why not', () => {
    const lib = [rec('a', [0, 2], v)];
    expect(Array.from(conditionDirection({ vectorId: 'a', layer: 2, threshold: 0, pooling: 'mean' }, lib, { hiddenSize: D, numLayers: 3 }) as Float32Array)).toEqual([3, 0, 4, 0]);
    expect(conditionDirection({ vectorId: 'a', layer: 1, threshold: 0, pooling: 'mean' }, lib, null)).toMatch(/has no layer 1/);
    expect(conditionDirection({ vectorId: 'b', layer: 0, threshold: 0, pooling: 'mean' }, lib, null)).toMatch(/not in the library/);
    expect(conditionDirection({ vectorId: 'a', layer: 0, threshold: 0, pooling: 'mean' }, lib, { hiddenSize: 8, numLayers: 3 })).toMatch(/hidden size 4, the model has 8/);
  });
});

describe('slot specs', () => {
  it('sends ablate, then the add (gated when a condition is given), then the cap with only the bounds set', () => {
    const specs = slotSpecs({ ...slot, ablate: true, capMin: -1 }, v, when);
    expect(specs.map((s) => s.kind ?? ('ablate' in s ? 'ablate' : 'add'))).toEqual(['ablate', 'add', 'cap']);
    expect(specs[1]).toMatchObject({ coeff: 2.5, when: { threshold: 0.75, pooling: 'last', layer: 0 } });
    expect(specs[2]).toEqual({ kind: 'cap', layer: 1, direction: v, min: -1, positions: 'all' });
    // Every spec is one the engine accepts as sent.
    for (const s of specs) expect(() => resolveSpec(s, { numLayers: 3, hiddenSize: D })).not.toThrow();
    expect(slotSpecs({ ...slot, coeff: 0 }, v)).toEqual([]);
  });
});

describe('share link', () => {
  const base = { modelId: 'org/m', dtype: 'q4' as const, vector: v, traitName: 't', layer: 1, mode: 'all' as const, prompt: 'p', systemPrompt: '', seed: 1, temperature: 0, maxTokens: 8 };
  it('a gated, capped slot survives the real codec: coefficient, band, condition and its direction', () => {
    const hash = encodeShareLink({ ...base, ...linkSteering({ ...slot, capMin: -0.5, capMax: 2 }, v, when) });
    const st = decodeShareLink(hash);
    // The main add is 0 and the gated add carries the coefficient: main + interventions is exactly the slot.
    expect(st.coeff).toBe(0);
    const back = slotFromLink(st);
    expect(back).toMatchObject({ coeff: 2.5, capMin: -0.5, capMax: 2, when: { layer: 0, threshold: 0.75, pooling: 'last' } });
    expect(Array.from(back.when!.direction)).toEqual([0, 1, 0, 0]);
  });
  it('an ungated slot keeps its coefficient in the main add, and a slot with neither cap nor condition adds nothing', () => {
    const capped = decodeShareLink(encodeShareLink({ ...base, ...linkSteering({ ...slot, capMax: 1 }, v) }));
    expect(capped.coeff).toBe(2.5);
    expect(slotFromLink(capped)).toEqual({ coeff: 2.5, capMax: 1 });
    expect(linkSteering(slot, v)).toEqual({ coeff: 2.5 });
  });
});

describe('run history and outcomes', () => {
  const owners = [null, { slotKey: 's1', vectorName: 'scripture', when }];
  it('maps each outcome to the slot that sent its spec and drops outcomes of unknown specs', () => {
    const views = conditionViews([{ spec: 1, layer: 0, projection: 0.9, fired: true }, { spec: 5, layer: 0, projection: 0, fired: false }], owners);
    expect(views).toEqual([{ slotKey: 's1', vectorName: 'scripture', layer: 0, pooling: 'last', threshold: 0.75, projection: 0.9, fired: true }]);
    expect(conditionViews(undefined, owners)).toEqual([]);
  });
  it('keeps the cap and the condition with its outcome, and says them in the history line', () => {
    const s = { ...slot, vectorId: 'v1', capMax: 2, when: { vectorId: 'v2', layer: 0, threshold: 0.75, pooling: 'mean' as const } };
    const r = runSteering(s, (id) => (id === 'v1' ? 'scripture' : 'plain'), { slotKey: 'x', vectorName: 'scripture', layer: 0, pooling: 'mean', threshold: 0.75, projection: 0.2, fired: false });
    expect(r).toEqual({ vectorName: 'scripture', layer: 1, coeff: 2.5, mode: 'all', ablate: 0, cap: { max: 2 }, when: { vectorName: 'plain', layer: 0, threshold: 0.75, pooling: 'mean', fired: false, projection: 0.2 } });
    expect(describeRunSteering(r)).toBe('scripture@L1×2.5 cap h·û∈[−∞, 2.000] if plain@L0 mean > 0.750 did not fire (0.200)');
    expect(runSteering({ ...slot, vectorId: 'v1' }, () => 'n')).toEqual({ vectorName: 'n', layer: 1, coeff: 2.5, mode: 'all', ablate: 0 });
  });
});
