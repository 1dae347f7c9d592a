/** Edges of the vector maths, with hand-computed values and the exact messages users see. */
import { describe, expect, it } from 'vitest';
import { LAYER_CONVENTION, checkVectorSet, parseVectorMeta, presentLayers } from '../../../src/engine/clients/vectors/meta';
import { cosine, meanRows, norm, rowCount, rowOf, unit } from '../../../src/engine/shared/linalg';
import { inSampleSeparation, separationByLayer } from '../../../src/engine/clients/vectors/separation';
import { auroc, probeByLayer, trainProbe } from '../../../src/engine/clients/vectors/probe';
import { cosineMatrix, layerCosineMatrix, layerwiseCosine, projectTokens, responseMeanProjection } from '../../../src/engine/clients/vectors/projection';
import { poolCapture } from '../../../src/engine/clients/vectors/pooling';
import { diffInMeans } from '../../../src/engine/clients/vectors/diffInMeans';
import { twoModelDiff } from '../../../src/engine/clients/vectors/twoModel';

const META = { modelId: 'm', tap: 'hook_resid_post', pooling: 'response-mean', method: 'diff-in-means', counts: { pos: 1, neg: 2 }, layerConvention: LAYER_CONVENTION, hiddenSize: 2, numLayers: 3, normalized: false };

describe('parseVectorMeta', () => {
  const refuse = (patch: Record<string, unknown>, message: string) => expect(() => parseVectorMeta({ ...META, ...patch }, 'F')).toThrow(`F: metadata.${message}.`);
  it('names every bad field', () => {
    expect(() => parseVectorMeta(null, 'F')).toThrow('F: metadata must be an object.');
    expect(() => parseVectorMeta([META], 'F')).toThrow('F: metadata must be an object.');
    expect(() => parseVectorMeta('x', 'F')).toThrow('F: metadata must be an object.');
    refuse({ modelId: 1 }, 'modelId must be a string');
    refuse({ tap: 'hook_embed' }, 'tap must be "hook_resid_post" or "hook_resid_mid"');
    refuse({ pooling: 2 }, 'pooling must be a string');
    refuse({ method: null }, 'method must be a string');
    refuse({ counts: null }, 'counts must be {pos, neg} integers');
    refuse({ counts: { pos: 1.5, neg: 2 } }, 'counts must be {pos, neg} integers');
    refuse({ counts: { pos: 1 } }, 'counts must be {pos, neg} integers');
    refuse({ layerConvention: 0 }, 'layerConvention must be a string');
    refuse({ hiddenSize: 0 }, 'hiddenSize must be a positive integer');
    refuse({ hiddenSize: 2.5 }, 'hiddenSize must be a positive integer');
    refuse({ numLayers: '3' }, 'numLayers must be a positive integer');
    refuse({ normalized: 'no' }, 'normalized must be true or false');
    refuse({ layers: [3] }, 'layers must list layer indices in 0..2');
    refuse({ layers: [-1] }, 'layers must list layer indices in 0..2');
    refuse({ layers: [0.5] }, 'layers must list layer indices in 0..2');
    refuse({ layers: 'all' }, 'layers must list layer indices in 0..2');
    for (const k of ['architecture', 'comparedModelId', 'trait', 'createdAt', 'notes']) refuse({ [k]: 5 }, `${k} must be a string`);
  });

  it('keeps exactly the known fields, copying the layer list', () => {
    const layers = [2, 0];
    const extra = { architecture: 'qwen2', comparedModelId: 'b', trait: 't', createdAt: 'now', notes: 'n' };
    const m = parseVectorMeta({ ...META, ...extra, layers, tap: 'hook_resid_mid', junk: 1 }, 'F');
    expect(m).toEqual({ ...META, ...extra, layers: [2, 0], tap: 'hook_resid_mid' });
    layers.push(1);
    expect(m.layers).toEqual([2, 0]);
    expect(parseVectorMeta(META, 'F')).toEqual(META);
    expect(presentLayers(m)).toEqual([0, 2]);
    expect(presentLayers({ ...m, layers: [1, 1, 0] })).toEqual([0, 1]);
    expect(presentLayers({ ...m, layers: [10, 9] })).toEqual([9, 10]); // numerically, not as strings
  });

  it('checkVectorSet names the expected shape and refuses non-finite values', () => {
    const meta = parseVectorMeta(META, 'F');
    expect(() => checkVectorSet({ vectors: new Float32Array(5), meta }, 'X')).toThrow('X: expected 3 x 2 = 6 values, found 5.');
    expect(() => checkVectorSet({ vectors: new Float32Array([0, 0, 0, NaN, 0, 0]), meta }, 'X')).toThrow('X: value 3 is NaN; vectors must not contain NaN or Infinity.');
    expect(() => checkVectorSet({ vectors: new Float32Array(6), meta }, 'X')).not.toThrow();
  });
});

describe('linalg', () => {
  it('rows, counts and means with their messages', () => {
    const m = new Float32Array([1, 2, 3, 4, 5, 6]);
    expect(Array.from(rowOf(m, 3, 1))).toEqual([4, 5, 6]);
    expect(rowCount(m, 3, 'w')).toBe(2);
    expect(rowCount(new Float32Array(0), 3, 'w')).toBe(0);
    expect(() => rowCount(m, 4, 'w')).toThrow('w: 6 values is not a whole number of rows of 4.');
    expect(() => rowCount(m, 0, 'w')).toThrow('w: 6 values is not a whole number of rows of 0.');
    expect(() => meanRows(new Float32Array(0), 2, 'w')).toThrow('w: no rows to average.');
    expect(Array.from(meanRows(m, 3, 'w'))).toEqual([2.5, 3.5, 4.5]);
    expect(norm([])).toBe(0);
    expect(() => unit([NaN, 1])).toThrow('Cannot normalise a zero vector: it has no direction.');
    expect(cosine([1, 0], [-3, 0])).toBe(-1);
    expect(cosine([1, 2], [0, 0])).toBe(0);
  });
});

describe('separation', () => {
  it('hand-computed d with unequal class sizes and more than one dimension', () => {
    // pos (2,0),(4,0),(3,1); neg (0,0),(0,2): means (3, 1/3) and (0, 1); direction (3, -2/3)/|…|.
    const pos = new Float32Array([2, 0, 4, 0, 3, 1]);
    const neg = new Float32Array([0, 0, 0, 2]);
    const dn = Math.hypot(3, -2 / 3);
    const pp = [2 * 3, 4 * 3, 3 * 3 - 2 / 3].map((x) => x / dn);
    const pn = [0, -4 / 3].map((x) => x / dn);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const ss = (xs: number[]) => xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0);
    const pooled = Math.sqrt((ss(pp) + ss(pn)) / 3);
    const s = inSampleSeparation(pos, neg, 2, 7);
    expect(s.layer).toBe(7);
    expect(s.meanPos).toBeCloseTo(mean(pp), 6);
    expect(s.meanNeg).toBeCloseTo(mean(pn), 6);
    expect(s.pooledSd).toBeCloseTo(pooled, 6);
    expect(s.separation).toBeCloseTo((mean(pp) - mean(pn)) / pooled, 5);
  });

  it('degenerate cases: one sample per side is refused, identical classes separate by 0, a single spread sample is fine', () => {
    expect(() => inSampleSeparation(new Float32Array([1]), new Float32Array([0]), 1, 4)).toThrow('Layer 4: separation needs at least 3 samples in total.');
    expect(inSampleSeparation(new Float32Array([1, 1]), new Float32Array([1]), 1)).toMatchObject({ separation: 0, pooledSd: 0 });
    // pos {1, 3}, neg {0}: variance of pos 2 over 1 degree of freedom, neg none → pooled sqrt(2/1).
    expect(inSampleSeparation(new Float32Array([1, 3]), new Float32Array([0]), 1).separation).toBeCloseTo(2 / Math.SQRT2, 12);
    expect(() => inSampleSeparation(new Float32Array([1, 2, 3]), new Float32Array([0, 0]), 2)).toThrow('positive, layer 0: 3 values is not a whole number of rows of 2.');
  });

  it('ranks layers best first, ties to the earlier layer, and refuses mismatched layer lists', () => {
    const sep = (gap: number) => [new Float32Array([gap, gap + 1]), new Float32Array([0, 1])];
    const layers = [sep(1), sep(3), sep(3), sep(2)];
    const r = separationByLayer(layers.map((l) => l[0]), layers.map((l) => l[1]), 1);
    expect(r.ranking).toEqual([1, 2, 3, 0]);
    expect(r.recommendedLayer).toBe(1);
    expect(r.layers.map((l) => l.layer)).toEqual([0, 1, 2, 3]);
    const msg = 'separationByLayer needs the same non-zero number of layers for both classes.';
    expect(() => separationByLayer([], [], 1)).toThrow(msg);
    expect(() => separationByLayer([sep(1)[0]], [], 1)).toThrow(msg);
  });
});

describe('auroc and probe edges', () => {
  it('auroc by hand with ties across classes, and its refusals', () => {
    // pos {1, 2}, neg {2, 0}: pairs (1>0)(1<2)(2=2 → ½)(2>0) = 2.5 / 4.
    expect(auroc([1, 2, 2, 0], [true, true, false, false])).toBe(0.625);
    expect(auroc([5], [false])).toBeNaN();
    expect(() => auroc([1, 2], [true])).toThrow('auroc: scores and labels differ in length.');
    // Unsorted input with ranks: pos {0.3}, neg {0.1, 0.5, 0.2} → beats 2 of 3.
    expect(auroc([0.1, 0.3, 0.5, 0.2], [false, true, false, false])).toBeCloseTo(2 / 3, 12);
  });

  it('splits each class by testFraction (at least one held out, at least one kept) and reports it', () => {
    const D = 1;
    const pos = Float32Array.from({ length: 8 }, (_, i) => 10 + i);
    const neg = Float32Array.from({ length: 8 }, (_, i) => -10 - i);
    expect(trainProbe(pos, neg, D).counts).toEqual({ train: 12, heldOut: 4 });
    expect(trainProbe(pos, neg, D, { testFraction: 0.5 }).counts).toEqual({ train: 8, heldOut: 8 });
    expect(trainProbe(pos, neg, D, { testFraction: 0 }).counts).toEqual({ train: 14, heldOut: 2 });
    expect(trainProbe(pos, neg, D, { testFraction: 1 }).counts).toEqual({ train: 2, heldOut: 14 });
    const r = trainProbe(pos, neg, D, { seed: 4 });
    expect(r.direction[0]).toBe(1);
    expect(r.heldOutAccuracy).toBe(1);
    expect(r.heldOutAuroc).toBe(1);
    expect(r.trainAccuracy).toBe(1);
    expect(r.scale).toBeGreaterThan(0);
    expect(r.iterations).toBeGreaterThan(0);
    expect(r.iterations).toBeLessThanOrEqual(50);
    expect(trainProbe(pos, neg, D, { maxIter: 1 }).iterations).toBe(1);
    expect(() => trainProbe(new Float32Array([1, 2]), new Float32Array([1]), 1)).toThrow('A probe needs at least 2 samples per class (got 2 positive, 1 negative).');
    expect(() => probeByLayer([pos], [], 1)).toThrow('probeByLayer: both classes need the same number of layers.');
  });

  it('a stronger penalty shrinks the logit scale', () => {
    const pos = Float32Array.from({ length: 10 }, (_, i) => 1 + (i % 3) * 0.1);
    const neg = Float32Array.from({ length: 10 }, (_, i) => -1 - (i % 3) * 0.1);
    const weak = trainProbe(pos, neg, 1, { l2: 0.01 });
    const strong = trainProbe(pos, neg, 1, { l2: 10 });
    expect(strong.scale).toBeLessThan(weak.scale);
  });
});

describe('projection, pooling, diff-in-means and two-model edges', () => {
  const capture = { shape: [2, 2, 2] as [number, number, number], data: new Float32Array([1, 0, 0, 1, 2, 2, 3, -1]) };
  it('projections per token and per row; refusals', () => {
    expect(Array.from(projectTokens(capture, [2, 0]))).toEqual([1, 0, 2, 3]);
    const spans = [{ offset: 1, prompt: [0, 0] as [number, number], response: [0, 1] as [number, number] }, { offset: 0, prompt: [0, 1] as [number, number], response: [1, 2] as [number, number] }];
    expect(responseMeanProjection(capture, spans, [1, 0])).toEqual([0, 3]);
    expect(() => responseMeanProjection(capture, spans.slice(0, 1), [1, 0])).toThrow('Got spans for 1 rows but the capture has 2.');
    expect(() => responseMeanProjection(capture, [spans[0], { ...spans[1], response: [1, 3] }], [1, 0])).toThrow('Row 1: response ends at 3 but the capture has 2 positions.');
    expect(() => projectTokens(capture, [1])).toThrow("Direction has 1 values; the capture's hidden size is 2.");
    expect(() => layerCosineMatrix(new Float32Array(3), 2)).toThrow('3 values is not a whole number of layers of 2.');
    expect(() => layerwiseCosine(new Float32Array(2), new Float32Array(4), 2)).toThrow('layerwiseCosine: the two sets differ in shape.');
    expect(cosineMatrix([])).toEqual([]);
    expect(cosineMatrix([[0, 0], [1, 0]])).toEqual([[0, 0], [0, 1]]);
  });

  it('pooling refusals name the row and the sizes', () => {
    const rows = [{ offset: 0, prompt: [0, 1] as [number, number], response: [1, 2] as [number, number] }, { offset: 0, prompt: [0, 1] as [number, number], response: [1, 2] as [number, number] }];
    expect(() => poolCapture({ shape: [2, 2, 2], data: new Float32Array(7) }, rows, 'prompt-mean')).toThrow('Capture data has 7 values; shape [2, 2, 2] needs 8.');
    expect(() => poolCapture(capture, [rows[0], { ...rows[1], offset: 1 }], 'response-mean')).toThrow('Row 1: positions up to 3 requested but the capture has only 2.');
    expect(() => poolCapture(capture, [rows[0], { ...rows[1], prompt: [0, 0] }], 'prompt-last')).toThrow('Row 1: the prompt span [0, 0) is empty, so "prompt-last" pooling has nothing to average.');
  });

  it('diff-in-means and two-model messages and metadata', () => {
    const o = { hiddenSize: 1, modelId: 'm', pooling: 'prompt-last' as const };
    expect(() => diffInMeans([], [], o)).toThrow('diffInMeans needs the same non-zero number of layers for both sides (got 0 and 0).');
    expect(() => diffInMeans([new Float32Array(2), new Float32Array(2)], [new Float32Array(1), new Float32Array(2)], o)).toThrow('Layer 1 has 2 positive / 2 negative samples but layer 0 has 2 / 1.');
    const s = diffInMeans([new Float32Array([3])], [new Float32Array([1])], { ...o, architecture: 'llama', trait: 'x', tap: 'hook_resid_mid' });
    expect(s.meta).toMatchObject({ architecture: 'llama', trait: 'x', tap: 'hook_resid_mid', counts: { pos: 1, neg: 1 } });
    expect(Array.from(s.vectors)).toEqual([2]);
    const t = { hiddenSize: 1, modelId: 'a', comparedModelId: 'b', pooling: 'prompt-last' as const };
    expect(() => twoModelDiff([], [], t)).toThrow('Both models need the same number of layers (got 0 and 0).');
    expect(() => twoModelDiff([new Float32Array(1)], [new Float32Array(1), new Float32Array(1)], t)).toThrow('Both models need the same number of layers (got 1 and 2).');
    expect(() => twoModelDiff([new Float32Array(0)], [new Float32Array(0)], t)).toThrow('Layer 0: activations must be paired prompt by prompt (A has 0, B has 0).');
    const two = twoModelDiff([new Float32Array([5, 1]), new Float32Array([0, 0])], [new Float32Array([1, 1]), new Float32Array([2, 2])], t);
    expect(Array.from(two.vectors)).toEqual([2, -2]);
    expect(two.meta).toMatchObject({ numLayers: 2, hiddenSize: 1, counts: { pos: 2, neg: 2 }, normalized: false, tap: 'hook_resid_post' });
  });
});
