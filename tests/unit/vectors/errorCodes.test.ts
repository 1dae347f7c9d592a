/** Every refusal of the vector maths is a 'bad-input' EngineError (the code the UI and the CLI act on). */
import { describe, expect, it } from 'vitest';
import { EngineError } from '../../../src/engine/shared/errors';
import { LAYER_CONVENTION, checkVectorSet, parseVectorMeta } from '../../../src/engine/clients/vectors/meta';
import { assertFinite, dot, meanRows, rowCount, unit } from '../../../src/engine/shared/linalg';
import { inSampleSeparation, separationByLayer } from '../../../src/engine/clients/vectors/separation';
import { auroc, probeByLayer, trainProbe } from '../../../src/engine/clients/vectors/probe';
import { layerCosineMatrix, layerwiseCosine, projectTokens, responseMeanProjection } from '../../../src/engine/clients/vectors/projection';
import { poolCapture } from '../../../src/engine/clients/vectors/pooling';
import { diffInMeans } from '../../../src/engine/clients/vectors/diffInMeans';
import { twoModelDiff } from '../../../src/engine/clients/vectors/twoModel';
import { conversationSpans, layerStack } from '../../../src/engine/clients/vectors/collect';

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof EngineError ? e.code : `not an EngineError: ${String(e)}`;
  }
  return 'no error';
}

const cap = { shape: [1, 2, 2] as [number, number, number], data: new Float32Array(4) };
const span = { offset: 0, prompt: [0, 1] as [number, number], response: [1, 2] as [number, number] };
const meta = { modelId: 'm', tap: 'hook_resid_post', pooling: 'x', method: 'x', counts: { pos: 1, neg: 1 }, layerConvention: LAYER_CONVENTION, hiddenSize: 1, numLayers: 1, normalized: false };
const o = { hiddenSize: 1, modelId: 'm', pooling: 'prompt-last' as const };

describe('vector refusals are bad-input EngineErrors', () => {
  const cases: Record<string, () => unknown> = {
    'finite': () => assertFinite([NaN], 'v'),
    'meta object': () => parseVectorMeta(null, 'F'),
    'meta field': () => parseVectorMeta({ ...meta, tap: 1 }, 'F'),
    'set shape': () => checkVectorSet({ vectors: new Float32Array(2), meta: parseVectorMeta(meta, 'F') }, 'X'),
    'dot': () => dot([1], []),
    'unit': () => unit([0]),
    'rows': () => rowCount(new Float32Array(3), 2, 'w'),
    'mean of none': () => meanRows(new Float32Array(0), 1, 'w'),
    'separation samples': () => inSampleSeparation(new Float32Array([1]), new Float32Array([1]), 1),
    'separation layers': () => separationByLayer([], [], 1),
    'auroc': () => auroc([1], []),
    'probe samples': () => trainProbe(new Float32Array(1), new Float32Array(2), 1),
    'probe layers': () => probeByLayer([new Float32Array(2)], [], 1),
    'projection size': () => projectTokens(cap, [1]),
    'projection rows': () => responseMeanProjection(cap, [], [1, 0]),
    'projection end': () => responseMeanProjection(cap, [{ ...span, response: [1, 3] }], [1, 0]),
    'layer cosines': () => layerCosineMatrix(new Float32Array(3), 2),
    'layerwise cosine': () => layerwiseCosine(new Float32Array(1), new Float32Array(2), 1),
    'pool data': () => poolCapture({ ...cap, data: new Float32Array(3) }, [span], 'prompt-mean'),
    'pool rows': () => poolCapture(cap, [], 'prompt-mean'),
    'pool end': () => poolCapture(cap, [{ ...span, response: [1, 3] }], 'response-mean'),
    'pool empty': () => poolCapture(cap, [{ ...span, response: [1, 1] }], 'response-mean'),
    'diff layers': () => diffInMeans([], [], o),
    'diff counts': () => diffInMeans([new Float32Array(1), new Float32Array(2)], [new Float32Array(1), new Float32Array(1)], o),
    'two-model layers': () => twoModelDiff([], [], { ...o, comparedModelId: 'b' }),
    'two-model pairs': () => twoModelDiff([new Float32Array(1)], [new Float32Array(2)], { ...o, comparedModelId: 'b' }),
    'stack kind': () => layerStack({ taps: [], hiddenSize: 1, count: 0, pooled: {}, spans: [], generateCalls: 0 }, 'prompt-mean', 1),
    'stack layer': () => layerStack({ taps: [], hiddenSize: 1, count: 0, pooled: { 'prompt-mean': {} }, spans: [], generateCalls: 0 }, 'prompt-mean', 1),
  };
  for (const [name, f] of Object.entries(cases)) it(name, () => expect(codeOf(f)).toBe('bad-input'));

  it('a tokenizer without the reply span is an internal error, not the user\'s', () => {
    expect(codeOf(() => conversationSpans({ ids: [1] }, true))).toBe('internal');
  });
});
