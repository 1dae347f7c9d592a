/**
 * Prints the measurements behind the acceptance thresholds (npx tsx tests/acceptance/measure.ts): the pipeline's
 * vector, the lexical score and response projection per layer and coefficient, a negative coefficient on the
 * prompted style, detection AUROC per layer, and ablation. Rerun it after retraining the demo model and revisit
 * the thresholds in demo.acceptance.test.ts.
 */
import { splitPrompts } from '../../src/app/quickContrast';
import { initialState } from '../../src/app/store';
import { randomDirectionLike } from '../../src/engine/clients/eval/stats';
import { detectConditions } from '../../src/engine/clients/vectors/detection';
import { PACK, addAt, demoEngine, layerVector, norm, quickContrastVector, scoreUnder, scripturePipeline, sweepMeans } from './demo';

const COEFFS = (process.env.COEFFS ?? '0,0.75,1,2').split(',').map(Number);
const SEEDS = [1, 2, 3, 4];
const { engine, close } = await demoEngine();
const info = engine.info()!;
const D = info.hiddenSize;
const t0 = Date.now();
const lap = (what: string) => console.log(`  [${what}: ${((Date.now() - t0) / 1000).toFixed(0)} s]`);
const r = await scripturePipeline(engine);
console.log(`pipeline: ${r.kept} of ${r.pairs.length} pairs kept; separation per layer ${r.separation?.layers.map((l) => l.separation.toFixed(2)).join(' ')}; recommended layer ${r.separation?.recommendedLayer}`);
lap('pipeline');
const questions = PACK.evaluationQuestions;
const system = PACK.instructions[0].pos;
console.log(`| layer | |v| | ${COEFFS.map((c) => `c=${c}`).join(' | ')} | projection (steered) | projection (re-read) | prompted c=0 / −1 / −1.5 | prompted, ablated |`);
for (let L = 0; L < info.numLayers; L++) {
  const v = layerVector(r, L, D);
  const m = await sweepMeans(engine, { vector: v, layer: L, coeffs: COEFFS, questions, seeds: SEEDS });
  const neg: string[] = [];
  for (const c of [0, -1, -1.5]) neg.push((await scoreUnder(engine, { questions, seeds: SEEDS, system, steering: addAt(L, v, c) })).mean.toFixed(1));
  const ablated = (await scoreUnder(engine, { questions, seeds: SEEDS, system, steering: [{ layer: L, direction: v, ablate: 1 }] })).mean.toFixed(1);
  console.log(`| ${L} | ${norm(v).toFixed(2)} | ${m.map((x) => x.trait.toFixed(1)).join(' | ')} | ${m.map((x) => x.projection.toFixed(2)).join(', ')} | ${m.map((x) => x.reread.toFixed(2)).join(', ')} | ${neg.join(' / ')} | ${ablated} |`);
}
lap('sweeps');
const sys = PACK.instructions.map((p) => p.pos);
const negSys = PACK.instructions.map((p) => p.neg);
const qs = [...PACK.extractionQuestions, ...PACK.evaluationQuestions];
const det = await detectConditions(engine, qs.map((q, i) => ({ system: sys[i % sys.length], user: q })), qs.map((q, i) => ({ system: negSys[i % negSys.length], user: q })));
console.log('detection score AUROC per layer:', det.layers.map((l) => l.scoreAuroc.toFixed(3)).join(' '), '| probe held-out AUROC:', det.layers.map((l) => l.probeHeldOutAuroc.toFixed(3)).join(' '), '| recommended', det.recommendedLayer);
lap('detection');
const prompted = (await scoreUnder(engine, { questions, seeds: SEEDS, system })).mean;
const every = [...Array(info.numLayers).keys()];
const ablateAll = (dir: (l: number) => Float32Array) => scoreUnder(engine, { questions, seeds: SEEDS, system, steering: every.map((l) => ({ layer: l, direction: dir(l), ablate: 1 })) });
const ablated = (await ablateAll((l) => layerVector(r, l, D))).mean;
const random = (await ablateAll((l) => randomDirectionLike(layerVector(r, l, D), 7))).mean;
console.log(`ablation at every layer (strength 1), prompted ${prompted.toFixed(1)}: trait directions ${ablated.toFixed(1)}, random directions ${random.toFixed(1)}`);
const q = await quickContrastVector(engine, splitPrompts(initialState.contrastPos), splitPrompts(initialState.contrastNeg));
const qc: string[] = [];
for (const c of [0, 1, 1.5, 2]) qc.push(`c=${c}: ${(await scoreUnder(engine, { questions, seeds: SEEDS, system: initialState.systemPrompt, steering: addAt(q.layer, q.vector, c) })).mean.toFixed(1)}`);
console.log(`quick contrast (lab defaults) at its layer ${q.layer}: ${qc.join('  ')}`);
lap('ablation, quick contrast');
await close();
