import { describe, expect, it } from 'vitest';
import { fixtureConfig, makeWeights } from '../fixtures/weights';
import { effectiveWeights, referenceForward } from '../fixtures/reference';
import { buildBuilderLayout } from '../fixtures/builderLayout';
import { instrument } from '../../src/engine/onnx/instrument';
import { createDecoder } from '../../src/engine/runtime/decoder';
import { PrefixCache, runLoop } from '../../src/engine/runtime/generate';

describe('smoke', () => {
  it('builder fp32 taps match reference', async () => {
    const cfg = fixtureConfig({ layout: 'builder', attention: 'mha' });
    const w = effectiveWeights(cfg, makeWeights(cfg));
    const { model } = buildBuilderLayout(cfg, w).toModel();
    const inst = instrument(model, { numLayers: cfg.numLayers, hiddenSize: cfg.hiddenSize });
    const dec = await createDecoder(inst, { device: 'wasm', externalData: [], vocabSize: cfg.vocabSize });
    const ids = [[1, 5, 9, 20, 33, 7]];
    const res = await runLoop(dec, new PrefixCache(), {
      ids, steering: [[]], maxNewTokens: 1, pick: (_r, l) => l.indexOf(Math.max(...l)), eos: new Set(), padId: 0, stopAtEos: false,
      taps: ['hook_embed', 'blocks.3.hook_resid_post', 'blocks.0.hook_resid_mid'],
    });
    const ref = referenceForward(cfg, w, ids, [ids[0].map(() => 1)]);
    for (const tap of ['hook_embed', 'blocks.3.hook_resid_post', 'blocks.0.hook_resid_mid']) {
      const got = res.captures[tap];
      const want = ref.taps[tap];
      let err = 0;
      for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got.data[i] - want[i]));
      console.log(tap, got.shape, err);
      expect(err).toBeLessThan(1e-4);
    }
  });
});
