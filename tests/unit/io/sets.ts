/** Vector sets shared by the io tests (built in code, no files). */
import { LAYER_CONVENTION, type VectorSet } from '../../../src/engine/clients/vectors/meta';

/** Values chosen to catch lossy paths: subnormals, -0, max float, values not representable in short decimals. */
export function trickySet(numLayers = 3, hiddenSize = 5): VectorSet {
  const v = new Float32Array(numLayers * hiddenSize);
  const special = [1.4e-45, -0, 3.4028234663852886e38, 0.1, -1 / 3, 1e-30, 123456.789];
  for (let i = 0; i < v.length; i++) v[i] = special[i % special.length] * (i % 2 ? -1 : 1) + (i > 6 ? i * 1e-3 : 0);
  v[1] = -0;
  return {
    vectors: v,
    meta: {
      modelId: 'onnx-community/Qwen2.5-0.5B-Instruct', architecture: 'qwen2', tap: 'hook_resid_post', pooling: 'response-mean',
      method: 'diff-in-means', counts: { pos: 10, neg: 12 }, layerConvention: LAYER_CONVENTION, hiddenSize, numLayers, normalized: false, trait: 'evil',
    },
  };
}

export const bits = (f: Float32Array): number[] => Array.from(new Uint32Array(f.buffer, f.byteOffset, f.length));
