import { describe, expect, it } from 'vitest';
import { contrast, splitPrompts } from '../../../src/app/quickContrast';

const v = (...x: number[]) => Float32Array.from(x);

describe('quick contrast maths', () => {
  it('splits prompts by line', () => {
    expect(splitPrompts(' a \n\n b\n  \nc')).toEqual(['a', 'b', 'c']);
  });

  it('contrast picks the best layer', () => {
    const pos = [[v(1, 0), v(1.1, 0)], [v(5, 0), v(5.2, 0.1)]];
    const neg = [[v(0.9, 0), v(1.05, 0)], [v(-5, 0), v(-5.1, 0.1)]];
    const r = contrast(pos, neg, { modelId: 'm', trait: 't' });
    expect(r.set.meta).toMatchObject({ numLayers: 2, hiddenSize: 2, method: 'diff-in-means', trait: 't' });
    expect(r.bestLayer).toBe(1);
    expect(r.set.vectors[2]).toBeCloseTo(10.15, 4);
    expect(r.norms[1]).toBeCloseTo(10.15, 4);
  });
});
