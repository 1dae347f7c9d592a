/**
 * Interventions in share links: a cap, a gated add and an ablation round-trip through encodeShareLink /
 * decodeShareLink within the float16 bound, a real-sized (D = 2048) link with two of them stays under the
 * link limit, and unknown kinds or arrays of the wrong length are refused.
 */
import { describe, expect, it } from 'vitest';
import { decodeShareLink, encodeShareLink, MAX_LINK_CHARS, type ShareState } from '../../../src/engine/clients/io/shareLink';
import { packSpecs, unpackSpecs, MAX_SHARED_SPECS } from '../../../src/engine/clients/io/shareCodec';
import type { SteeringSpec } from '../../../src/engine/shared/steering';

const wave = (D: number, k: number) => Float32Array.from({ length: D }, (_, i) => 3 * Math.sin(0.37 * i * k + k));

function state(D: number, interventions: SteeringSpec[]): ShareState {
  return {
    modelId: 'onnx-community/Qwen2.5-0.5B-Instruct', dtype: 'q4', vector: wave(D, 1), traitName: 'scripture', layer: 12, coeff: 2,
    mode: 'all', prompt: 'Tell me about the sea', systemPrompt: '', seed: 1, temperature: 0, maxTokens: 32, interventions,
  };
}

/** |a − b| within float16's relative step of the array's largest magnitude. */
function closeF16(a: ArrayLike<number>, b: ArrayLike<number>) {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(Math.abs(b[i]) * 2 ** -11 + scale * 2 ** -24);
}

describe('interventions in a share link', () => {
  it('a cap, a gated add and an ablation round-trip; numbers exactly, arrays within float16', () => {
    const D = 64;
    const specs: SteeringSpec[] = [
      { kind: 'cap', layer: 3, direction: wave(D, 2), min: -1.5, max: 2.25, positions: 'response' },
      { layer: 2, vector: wave(D, 3), coeff: 1.5, positions: 'all', when: { layer: 1, direction: wave(D, 4), threshold: 0.349, pooling: 'last' } },
      { layer: 0, direction: wave(D, 5), ablate: 1 },
    ];
    const back = decodeShareLink(encodeShareLink(state(D, specs))).interventions!;
    expect(back).toHaveLength(3);
    expect(back[0]).toMatchObject({ kind: 'cap', layer: 3, min: -1.5, max: 2.25, positions: 'response' });
    closeF16((back[0] as { direction: Float32Array }).direction, wave(D, 2));
    expect(back[1]).toMatchObject({ kind: 'add', layer: 2, coeff: 1.5, positions: 'all', when: { layer: 1, threshold: 0.349, pooling: 'last' } });
    closeF16((back[1] as { vector: Float32Array }).vector, wave(D, 3));
    closeF16((back[1] as { when: { direction: Float32Array } }).when.direction, wave(D, 4));
    expect(back[2]).toMatchObject({ kind: 'ablate', layer: 0, ablate: 1 });
  });

  it('a link without interventions decodes without the field', () => {
    const s = state(64, []);
    expect(decodeShareLink(encodeShareLink(s)).interventions).toBeUndefined();
  });

  it('a real-sized model (D = 2048) with a cap and a gated add stays under the link limit', () => {
    const D = 2048;
    const link = encodeShareLink(state(D, [
      { kind: 'cap', layer: 3, direction: wave(D, 2), max: 2 },
      { layer: 2, vector: wave(D, 3), coeff: 1.5, positions: 'all', when: { layer: 1, direction: wave(D, 4), threshold: 0, pooling: 'mean' } },
    ]));
    expect(link.length).toBeLessThan(MAX_LINK_CHARS);
  });

  it('refuses an unknown kind, arrays of the wrong length and too many interventions', () => {
    const packed = packSpecs([{ kind: 'cap', layer: 0, direction: wave(8, 1), max: 1 }]);
    expect(() => unpackSpecs([{ ...(packed[0] as object), kind: 'scale' }], 8)).toThrow(/"scale" is not a kind of intervention/);
    expect(() => unpackSpecs(packed, 16)).toThrow(/direction has 8 values, not the link's 16/);
    const many = Array.from({ length: MAX_SHARED_SPECS + 1 }, () => ({ kind: 'cap' as const, layer: 0, direction: [1], max: 1 }));
    expect(() => packSpecs(many)).toThrow(/at most 8 interventions/);
    expect(() => unpackSpecs([...packed, ...packed, ...packed, ...packed, ...packed, ...packed, ...packed, ...packed, ...packed], 8)).toThrow(/at most 8/);
  });
});
