/**
 * Misalignment-recipe detection: last-token activations of two conditions (two prompt sets on one model) or
 * of two models (one prompt set, e.g. fine-tuned vs base), a direction per layer (A − B), and per layer:
 *   - detection scores: projection of every sample onto the normalised direction (DESIGN 6);
 *   - inSampleSeparation (Cohen's d along the direction, fitted on the same data: compare layers, not absolutes);
 *   - a logistic probe's held-out accuracy and AUROC (probe.ts), the honest out-of-sample check;
 *   - the AUROC of the detection scores themselves.
 */
import type { Engine, ProgressEvent } from '../../shared/api';
import { EngineError } from '../../shared/errors';
import { collectActivations, layerStack, type Conversation } from './collect';
import { diffInMeans } from './diffInMeans';
import { dot, rowCount, rowOf, unit } from '../../shared/linalg';
import type { VectorSet } from './meta';
import { auroc, trainProbe, type ProbeOptions } from './probe';
import { inSampleSeparation } from './separation';
import { architectureDifferences } from './modelPair';
import { twoModelDiff } from './twoModel';
import type { Compute } from './compute';

export interface DetectionOptions {
  batchSize?: number;
  probe?: ProbeOptions;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  /** Where the per-layer table (probe training) runs; default here. The lab passes its compute worker. */
  compute?: Compute;
}

export interface LayerDetection {
  layer: number;
  separation: number;
  /** Mean detection score of each side. */
  meanA: number;
  meanB: number;
  /** AUROC of the detection scores (A as positive); in-sample. */
  scoreAuroc: number;
  probeHeldOutAccuracy: number;
  probeHeldOutAuroc: number;
}

export interface DetectionReport {
  /** Per layer: mean(A) − mean(B) of last-token activations. */
  vectors: VectorSet;
  layers: LayerDetection[];
  /** Best layer by probe held-out AUROC, then separation. */
  recommendedLayer: number;
  /** scores[side][layer][sample]: projection onto the layer's normalised direction. */
  scores: { a: number[][]; b: number[][] };
}

/** The table from pooled activations a[L], b[L] ([N, D] each); pure, so it is testable without a model. */
export function detectionTable(a: Float32Array[], b: Float32Array[], vectors: VectorSet, probe: ProbeOptions = {}): DetectionReport {
  const D = vectors.meta.hiddenSize;
  const scores: DetectionReport['scores'] = { a: [], b: [] };
  const layers = a.map((al, l): LayerDetection => {
    const bl = b[l];
    const v = vectors.vectors.subarray(l * D, (l + 1) * D);
    let u: Float32Array | null = null;
    try {
      u = unit(v);
    } catch {
      u = null; // identical means: no direction, every score 0
    }
    const proj = (m: Float32Array): number[] => Array.from({ length: rowCount(m, D, `layer ${l}`) }, (_, i) => (u ? dot(rowOf(m, D, i), u) : 0));
    const sa = proj(al);
    const sb = proj(bl);
    scores.a.push(sa);
    scores.b.push(sb);
    const sep = inSampleSeparation(al, bl, D, l);
    const p = trainProbe(al, bl, D, probe);
    return {
      layer: l, separation: sep.separation, meanA: sep.meanPos, meanB: sep.meanNeg,
      scoreAuroc: auroc([...sa, ...sb], [...sa.map(() => true), ...sb.map(() => false)]),
      probeHeldOutAccuracy: p.heldOutAccuracy, probeHeldOutAuroc: p.heldOutAuroc,
    };
  });
  const best = [...layers].sort((x, y) => (y.probeHeldOutAuroc - x.probeHeldOutAuroc) || (y.separation - x.separation) || (x.layer - y.layer))[0];
  return { vectors, layers, recommendedLayer: best.layer, scores };
}

/** The table where the caller wants it computed (compute.ts), here by default. */
function table(a: Float32Array[], b: Float32Array[], vectors: VectorSet, opts: DetectionOptions): Promise<DetectionReport> {
  return opts.compute ? opts.compute.detectionTable(a, b, vectors, opts.probe) : Promise.resolve(detectionTable(a, b, vectors, opts.probe));
}

function lastTokenOnly(c: Conversation[], which: string): Conversation[] {
  if (c.length < 2) throw new EngineError('bad-input', `${which} needs at least 2 prompts (the probe holds some out).`);
  // The recipe reads the last prompt token (the generation header): replies, if any, are not part of it.
  return c.map(({ system, user }) => ({ system, user }));
}

/** Two conditions on the loaded model: A (e.g. prompts that elicit misalignment) vs B (control prompts). */
export async function detectConditions(engine: Engine, a: Conversation[], b: Conversation[], opts: DetectionOptions = {}): Promise<DetectionReport> {
  const info = engine.info();
  if (!info) throw new EngineError('not-loaded', 'Load a model before running detection.');
  const all = [...lastTokenOnly(a, 'Condition A'), ...lastTokenOnly(b, 'Condition B')];
  const got = await collectActivations(engine, all, { pooling: ['prompt-last'], batchSize: opts.batchSize, signal: opts.signal, onProgress: opts.onProgress, stage: 'detect' });
  const D = info.hiddenSize;
  const stack = layerStack(got, 'prompt-last', info.numLayers);
  const sa = stack.map((m) => m.slice(0, a.length * D));
  const sb = stack.map((m) => m.slice(a.length * D));
  const vectors = diffInMeans(sa, sb, { hiddenSize: D, modelId: info.id, architecture: info.modelType ?? info.architecture, pooling: 'prompt-last' });
  return table(sa, sb, vectors, opts);
}

/** Two models (same architecture) on one prompt set: A (e.g. fine-tuned) vs B (base). */
export async function detectModels(engineA: Engine, engineB: Engine, prompts: Conversation[], opts: DetectionOptions = {}): Promise<DetectionReport> {
  const ia = engineA.info();
  const ib = engineB.info();
  if (!ia || !ib) throw new EngineError('not-loaded', 'Load both models before running detection.');
  const diffs = architectureDifferences(ia, ib);
  if (diffs.length) throw new EngineError('bad-input', `The models differ in shape (${diffs.join('; ')}); two-model directions need the same architecture.`);
  const convs = lastTokenOnly(prompts, 'The prompt set');
  const collect = async (e: Engine, stage: string) => layerStack(
    await collectActivations(e, convs, { pooling: ['prompt-last'], batchSize: opts.batchSize, signal: opts.signal, onProgress: opts.onProgress, stage }),
    'prompt-last', ia.numLayers);
  const sa = await collect(engineA, 'detect-a');
  const sb = await collect(engineB, 'detect-b');
  const vectors = twoModelDiff(sa, sb, { hiddenSize: ia.hiddenSize, modelId: ia.id, comparedModelId: ib.id, pooling: 'prompt-last' });
  return table(sa, sb, vectors, opts);
}
