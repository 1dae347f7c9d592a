/** Request validation: a draft must be token ids of this model's vocabulary; other fields keep their rules. */
import { describe, expect, it } from 'vitest';
import { validateRequest } from '../../../src/engine/core/runtime/request';
import type { GenerateRequest, ModelInfo } from '../../../src/engine/shared/api';
import type { ModelConfig } from '../../../src/engine/core/runtime/config';

const info = {
  id: 'm', layout: 'decomposed', architecture: 'LlamaForCausalLM', numLayers: 2, hiddenSize: 8, vocabSize: 50, maxPositions: 64,
  dtype: 'fp32', bodyDtype: 'float32', device: 'wasm', deviceReason: '', taps: [], hasChatTemplate: false, eosTokenIds: [2],
} as ModelInfo;
const config: ModelConfig = { architecture: 'LlamaForCausalLM', modelType: 'llama', numLayers: 2, hiddenSize: 8, vocabSize: 50, maxPositions: 64, eosTokenIds: [2], padTokenId: 0 };
const req = (draft: unknown): GenerateRequest => ({ rows: [{ prompt: 'hi' }, { prompt: 'hi', draft: draft as number[] }], maxNewTokens: 4 });

describe('validateRequest: drafts', () => {
  it('accepts token ids of the vocabulary, an empty draft and none', () => {
    for (const d of [[0, 49, 7], [], undefined]) expect(() => validateRequest(req(d), info, config)).not.toThrow();
  });

  it('refuses ids outside the vocabulary, fractions and non-lists, naming the row and the range', () => {
    for (const d of [[50], [-1], [1.5], [Number.NaN], 'abc', [[1]]]) {
      expect(() => validateRequest(req(d), info, config), JSON.stringify(d)).toThrow(/rows\[1\]\.draft must be a list of token ids from 0 to 49/);
    }
  });
});
