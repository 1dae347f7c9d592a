/** architectureDifferences (vectors/modelPair.ts): one phrase per differing field, none for a match. */
import { describe, expect, it } from 'vitest';
import type { ModelInfo } from '../../../src/engine/shared/api';
import { architectureDifferences } from '../../../src/engine/clients/vectors/modelPair';

const info = (o: Partial<ModelInfo>): ModelInfo => ({
  id: 'm', layout: 'builder', architecture: 'LlamaForCausalLM', numLayers: 4, hiddenSize: 128, vocabSize: 2048, maxPositions: 512,
  dtype: 'fp32', bodyDtype: 'float32', device: 'wasm', deviceReason: '', taps: [], hasChatTemplate: true, eosTokenIds: [1], ...o,
});

describe('architectureDifferences', () => {
  it('is empty for the same shape, whatever the id, dtype or device', () => {
    expect(architectureDifferences(info({}), info({ id: 'other', dtype: 'q4', device: 'webgpu' }))).toEqual([]);
  });
  it('names layers, hidden size and vocabulary, A first', () => {
    expect(architectureDifferences(info({}), info({ numLayers: 2, hiddenSize: 64, vocabSize: 300 })))
      .toEqual(['layers 4 vs 2', 'hidden size 128 vs 64', 'vocabulary 2048 vs 300 tokens']);
    expect(architectureDifferences(info({ hiddenSize: 896 }), info({}))).toEqual(['hidden size 896 vs 128']);
  });
});
