/**
 * The kinds registry: which kind a spec is, the errors a bad spec gets, and the resolved payloads
 * (hand-computed), for add, ablate and cap.
 */
import { describe, expect, it } from 'vitest';
import { KINDS, kindOf, resolveSpec } from '../../../src/engine/shared/interventions/registry';
import { OPEN } from '../../../src/engine/shared/interventions/cap';

const dims = { numLayers: 4, hiddenSize: 2 };

describe('kinds registry', () => {
  it('lists add, ablate and cap, in the order their terms enter a layer', () => {
    expect(KINDS.map((k) => k.kind)).toEqual(['add', 'ablate', 'cap']);
  });
  it('tells kinds apart by "kind" or, for older specs, by their fields', () => {
    expect(kindOf({ layer: 0, vector: [1, 0], coeff: 1, positions: 'all' }, 's').kind).toBe('add');
    expect(kindOf({ layer: 0, direction: [1, 0], ablate: 1 }, 's').kind).toBe('ablate');
    expect(kindOf({ kind: 'cap', layer: 0, direction: [1, 0], max: 1 }, 's').kind).toBe('cap');
    expect(() => kindOf({ kind: 'scale', layer: 0 }, 's')).toThrow(/s.kind: "scale" is not a kind of intervention; the kinds are add, ablate, cap/);
    expect(() => kindOf({ layer: 0 }, 's')).toThrow(/cannot tell its kind/);
    expect(() => kindOf(null, 's')).toThrow(/must be an object/);
  });
  it('resolves a cap to its unit direction and open bounds where none is given', () => {
    const r = resolveSpec({ kind: 'cap', layer: 2, direction: [3, 4], max: 1.5 }, dims);
    expect(r).toMatchObject({ kind: 'cap', layer: 2, positions: 'all', min: -OPEN, max: 1.5 });
    expect(Array.from((r as { unit: Float32Array }).unit)).toEqual([Math.fround(0.6), Math.fround(0.8)]);
  });
  it('refuses caps without bounds, with min above max, with a zero direction', () => {
    expect(() => resolveSpec({ kind: 'cap', layer: 0, direction: [1, 0] }, dims)).toThrow(/needs min, max or both/);
    expect(() => resolveSpec({ kind: 'cap', layer: 0, direction: [1, 0], min: 2, max: 1 }, dims)).toThrow(/min 2 is above max 1; swap them/);
    expect(() => resolveSpec({ kind: 'cap', layer: 0, direction: [0, 0], max: 1 }, dims)).toThrow(/is all zeros; a cap needs a direction/);
    expect(() => resolveSpec({ kind: 'cap', layer: 0, direction: [1, 0], max: Number.NaN }, dims)).toThrow(/max: must be a finite number/);
  });
  it('resolves a condition on an add, and refuses a bad one', () => {
    const r = resolveSpec({ layer: 1, vector: [1, 1], coeff: 2, positions: 'all', when: { layer: 0, direction: [0, 2], threshold: 0.5, pooling: 'last' } }, dims);
    expect(r).toMatchObject({ kind: 'add', when: { layer: 0, threshold: 0.5, pooling: 'last' } });
    expect(() => resolveSpec({ layer: 1, vector: [1, 1], coeff: 2, positions: 'all', when: { layer: 0, direction: [0, 2], threshold: 0.5, pooling: 'max' as never } }, dims)).toThrow(/when.pooling: "max" is not one of mean, last/);
    expect(() => resolveSpec({ layer: 1, vector: [1, 1], coeff: 2, positions: 'all', when: { layer: 9, direction: [0, 2], threshold: 0, pooling: 'mean' } }, dims)).toThrow(/layer 9 is out of range/);
  });
  it('writes specs as plain JSON that resolves to the same payload', () => {
    for (const spec of [
      { kind: 'cap' as const, layer: 1, direction: new Float32Array([1, 2]), min: -1, positions: 'response' as const },
      { layer: 1, vector: new Float32Array([1, 2]), coeff: 3, positions: 'all' as const, when: { layer: 0, direction: [1, 0], threshold: 1, pooling: 'mean' as const } },
      { layer: 0, direction: [1, 2], ablate: 1 },
    ]) {
      const json = JSON.parse(JSON.stringify(kindOf(spec, 's').toJSON(spec as never)));
      expect(resolveSpec(json, dims)).toEqual(resolveSpec(spec, dims));
    }
  });
});
