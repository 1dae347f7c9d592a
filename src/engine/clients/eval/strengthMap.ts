/**
 * The layer × strength map: where to steer and how hard. One question, every layer the vector set has × a grid
 * of strengths, generated as batched rows (each row carries its own steering, as in sweeps), each answer scored
 * by the judge and by its response-mean projection h·v̂ at the steered layer.
 *
 * Strengths are in normalised units: a multiple of that layer's mean residual norm, measured on the prompt, so
 * one grid means the same push at every layer (residual norms grow with depth). The norm and the conversion to
 * the raw coefficient the engine adds are vectors/strength.ts's: |coeff · v| = strength × meanNorm.
 */
import type { Engine, ProgressEvent, Sampling } from '../../shared/api';
import { EngineError } from '../../shared/errors';
import { responseMeanProjection } from '../vectors/projection';
import { norm } from '../../shared/linalg';
import { coeffForStrength, measureResidualNorms, residualTap as tapOf } from '../vectors/strength';
import { scoreAnswers, type Judge } from './scoring';
import { cleanAnswer } from './sweep';

export interface StrengthMapOptions {
  /** The vector to steer with at each layer (a vector set's rows); layers 0-based. */
  vectors: { layer: number; vector: Float32Array }[];
  /** Multiples of each layer's mean residual norm (e.g. −1 … 1). */
  strengths: number[];
  question: string;
  system?: string;
  maxNewTokens?: number;
  sampling?: Sampling;
  /** Rows per generate call (default 32, engine maximum 64). */
  batchSize?: number;
  /** Scores each answer's trait when given (with `traitTemplate`); projections are measured either way. */
  judge?: Judge;
  traitTemplate?: string;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
}

export interface StrengthCell {
  layer: number;
  /** Multiple of the layer's mean residual norm. */
  strength: number;
  /** The coefficient the engine adds the vector with. */
  coeff: number;
  answer: string;
  trait: number | null;
  /** Mean over the answer's tokens of h·v̂ at this layer (NaN when nothing was generated). */
  projection: number;
}

export interface StrengthMapResult {
  layers: number[];
  strengths: number[];
  /** Per entry of `layers`: the mean residual norm on the prompt (vectors/strength.ts's RESIDUAL_NORM_RULE). */
  residualNorm: number[];
  vectorNorm: number[];
  /** Layer-major: cells[i * strengths.length + j] is layers[i] × strengths[j]. */
  cells: StrengthCell[];
  generateCalls: number;
}

function check(engine: Engine, opts: StrengthMapOptions): number {
  const info = engine.info();
  if (!info) throw new EngineError('not-loaded', 'Load a model before drawing a layer × strength map.');
  if (!opts.vectors.length) throw new EngineError('bad-input', 'The map needs a vector with at least one layer.');
  if (!opts.strengths.length || opts.strengths.some((s) => !Number.isFinite(s))) throw new EngineError('bad-input', 'Give the map at least one strength, each a finite number (a multiple of the layer\'s residual norm).');
  if (!opts.question.trim()) throw new EngineError('bad-input', 'The map needs a question to answer.');
  if (opts.judge && !opts.traitTemplate) throw new EngineError('bad-input', 'Scoring the map needs the trait judge template.');
  for (const { layer, vector } of opts.vectors) {
    if (!Number.isInteger(layer) || layer < 0 || layer >= info.numLayers) throw new EngineError('bad-input', `Layer ${layer} is not one of this model's layers (0–${info.numLayers - 1}).`);
    if (vector.length !== info.hiddenSize) throw new EngineError('bad-input', `The vector at layer ${layer} has ${vector.length} values; this model's hidden size is ${info.hiddenSize}.`);
    if (!(norm(vector) > 0)) throw new EngineError('bad-input', `The vector at layer ${layer} is zero (or not finite): it has no direction to steer along.`);
  }
  return info.hiddenSize;
}

export async function runStrengthMap(engine: Engine, opts: StrengthMapOptions): Promise<StrengthMapResult> {
  const D = check(engine, opts);
  const prompt = [...(opts.system ? [{ role: 'system' as const, content: opts.system }] : []), { role: 'user' as const, content: opts.question }];
  const layers = opts.vectors.map((v) => v.layer);
  const total = layers.length * opts.strengths.length;
  opts.onProgress?.({ stage: 'strength-map', loaded: 0, total, done: false, detail: 'measuring residual norms' });

  // The prompt's residual norms, one forward pass.
  const { norms: residualNorm } = await measureResidualNorms((req) => engine.generate(req, { signal: opts.signal }), prompt, layers, D);
  const vectorNorm = opts.vectors.map((v) => norm(v.vector));

  const plan = opts.vectors.flatMap(({ layer, vector }, i) => opts.strengths.map((strength) => ({ layer, vector, strength, coeff: coeffForStrength(strength, residualNorm[i], vectorNorm[i]) })));
  const cells: StrengthCell[] = [];
  const batch = Math.max(1, Math.min(64, opts.batchSize ?? 32));
  let generateCalls = 1;
  for (let i = 0; i < plan.length; i += batch) {
    if (opts.signal?.aborted) throw new EngineError('cancelled', 'The layer × strength map was cancelled.');
    const part = plan.slice(i, i + batch);
    const taps = [...new Set(part.map((p) => p.layer))].map(tapOf);
    const res = await engine.generate({
      rows: part.map((p) => ({ prompt, label: `The map's row at L${p.layer} × ${p.strength}`, steering: p.coeff === 0 ? [] : [{ layer: p.layer, vector: p.vector, coeff: p.coeff, positions: 'all' as const }] })),
      maxNewTokens: opts.maxNewTokens ?? 32, sampling: opts.sampling, captures: taps,
    }, { signal: opts.signal });
    generateCalls++;
    const spans = part.map((_, r) => ({ offset: res.padLeft[r], prompt: [0, res.promptLengths[r]] as [number, number], response: [res.promptLengths[r], res.promptLengths[r] + res.tokens[r].length] as [number, number] }));
    // Each row is read at its own layer, onto that layer's vector (one projection pass per layer in the batch).
    const byLayer = new Map<number, number[]>();
    for (const p of part) if (!byLayer.has(p.layer)) byLayer.set(p.layer, responseMeanProjection(res.captures[tapOf(p.layer)], spans, p.vector));
    const proj = part.map((p, r) => byLayer.get(p.layer)![r]);
    part.forEach((p, r) => cells.push({ layer: p.layer, strength: p.strength, coeff: p.coeff, answer: cleanAnswer(res.text[r]), trait: null, projection: proj[r] }));
    opts.onProgress?.({ stage: 'strength-map', loaded: Math.min(total, i + batch), total, done: !opts.judge && i + batch >= total, detail: 'generating' });
  }
  if (opts.judge) {
    const scores = await scoreAnswers(opts.judge, opts.traitTemplate!, cells.map((c) => ({ question: opts.question, answer: c.answer })), opts.signal, { coherence: false });
    scores.forEach((s, k) => { cells[k].trait = s.trait; });
    opts.onProgress?.({ stage: 'strength-map', loaded: total, total, done: true, detail: 'scored' });
  }
  return { layers, strengths: opts.strengths, residualNorm, vectorNorm, cells, generateCalls };
}
