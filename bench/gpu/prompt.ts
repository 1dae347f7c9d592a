/**
 * Whole prompts through the engine's generation loop on WebGPU, on the builder-layout fixtures whose
 * attention is one fused operator (MultiHeadAttention, GroupQueryAttention), with `Decoder.prefillChunk`
 * as the engine sets it (16) and switched off (the prompt in one pass), compared with the float64
 * reference forward pass at the last layer. The loop runs the prompt minus its last token as one
 * pass on WebGPU (the KV stays on the device), so a prompt of n tokens puts n - 1 queries in that pass.
 */
import { instrument } from '../../src/engine/core/onnx/instrument';
import { createDecoder, deviceInstrumentOptions } from '../../src/engine/core/runtime/decoder';
import type { TapName } from '../../src/engine/shared/api';
import { buildFixture } from '../../tests/fixtures/hubRepo';
import { referenceForward } from '../../tests/fixtures/reference';
import { fixtureConfig } from '../../tests/fixtures/weights';
import { relErr } from '../../tests/helpers/compare';
import { generate, PrefixCache, promptIds } from '../harness';

export interface PromptCase { attention: 'mha' | 'gqa'; promptTokens: number; prefillChunk: number | 'off'; relErr: number; exact: boolean }

export async function promptAttention(log: (m: string) => void, lengths = [17, 29, 33, 65, 129]): Promise<PromptCase[]> {
  const out: PromptCase[] = [];
  for (const attention of ['mha', 'gqa'] as const) {
    const cfg = fixtureConfig({ family: 'llama', layout: 'builder', attention, dtype: 'fp32' });
    const repo = buildFixture(cfg);
    const inst = instrument(repo.files[repo.modelPath], { numLayers: cfg.numLayers, hiddenSize: cfg.hiddenSize, ...deviceInstrumentOptions('webgpu') });
    const dec = await createDecoder(inst, { device: 'webgpu', externalData: [], vocabSize: cfg.vocabSize });
    const tap: TapName = `blocks.${cfg.numLayers - 1}.hook_resid_post`;
    try {
      for (const n of lengths) {
        const ids = promptIds(n, n, 0, cfg.vocabSize);
        const want = referenceForward(cfg, repo.weights, [ids], [ids.map(() => 1)]).taps[tap];
        for (const chunk of [dec.prefillChunk, Infinity]) {
          const g = await generate({ ...dec, prefillChunk: chunk }, new PrefixCache(), { ids: [ids], maxNewTokens: 1, captures: [tap] });
          const got = g.captures[tap].data.subarray(0, n * cfg.hiddenSize);
          const err = relErr(got, want.subarray(0, n * cfg.hiddenSize));
          out.push({ attention, promptTokens: n, prefillChunk: Number.isFinite(chunk) ? chunk : 'off', relErr: err, exact: err < 1e-4 });
          log(`  ${attention} prompt ${n} tokens, prefillChunk ${Number.isFinite(chunk) ? chunk : 'off'}: rel. error vs reference ${err.toExponential(2)}`);
        }
      }
    } finally {
      await dec.release();
    }
  }
  return out;
}
