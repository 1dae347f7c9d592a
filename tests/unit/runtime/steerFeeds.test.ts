/**
 * Which positions a pass steers (steerFeeds.ts): prompt positions by mode, pads never, and positions past the
 * prompt as generated tokens, also inside a prefill pass (drafted tokens checked with the prompt, generate.ts).
 */
import { describe, expect, it } from 'vitest';
import { layerFeed, type Pass } from '../../../src/engine/core/runtime/steerFeeds';
import { resolveSpec } from '../../../src/engine/shared/steering';

const D = 2;
const spec = (positions: 'all' | 'prompt' | 'response') => resolveSpec({ layer: 0, vector: [1, 0], coeff: 2, positions }, { numLayers: 1, hiddenSize: D });
/** Per position of row r, whether the add feed is non-zero there. */
const steeredAt = (data: Float32Array, r: number, S: number) => Array.from({ length: S }, (_, s) => data[(r * S + s) * D] !== 0);

describe('layerFeed positions', () => {
  // Two rows, padded prompt length 3 (row 1 has one left pad), then two drafted positions: one pass of 5.
  const pass: Pass = { phase: 'prefill', start: 0, length: 5, promptLength: 3, padLeft: [0, 1] };

  it.each([
    ['all', [true, true, true, true, true], [false, true, true, true, true]],
    ['response', [false, false, true, true, true], [false, false, true, true, true]],
    ['prompt', [true, true, true, false, false], [false, true, true, false, false]],
  ] as const)('%s: prompt positions by mode, pads never, drafted positions as generated ones', (mode, row0, row1) => {
    const f = layerFeed([[spec(mode)], [spec(mode)]], pass, D);
    expect(steeredAt(f.add.data, 0, 5)).toEqual(row0);
    expect(steeredAt(f.add.data, 1, 5)).toEqual(row1);
    expect(f.add.data[(0 * 5 + 4) * D]).toBe(row0[4] ? 2 : 0); // coeff × vector
  });
});
