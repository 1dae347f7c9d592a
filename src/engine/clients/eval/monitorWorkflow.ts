/**
 * Projection monitoring: each question answered three ways — baseline, prompted with the trait's positive system
 * prompt, and steered — and each answer's mean response projection onto the vector at the layer, read back without
 * steering with the condition's own system prompt in context.
 */
import type { SteeringSpec } from '../../shared/api';
import { generateCached, isCancel, loadedInfo, responseProjections, stepReporter, type GenSettings, type StepProgress, type WorkflowCtx } from './workflow';

export type MonitorCondition = 'baseline' | 'prompted' | 'steered';

export interface MonitorConfig {
  vectorName: string;
  vector: Float32Array;
  layer: number;
  coeff: number;
  /** The pack's positive system prompt for the prompted condition. */
  systemPrompt: string;
  questions: string[];
  gen: GenSettings;
}

export interface MonitorSample { condition: MonitorCondition; question: string; answer: string; projection: number }
export interface MonitorResult { vectorName: string; layer: number; coeff: number; systemPrompt: string; modelId: string; samples: MonitorSample[] }

export async function monitorWorkflow(ctx: WorkflowCtx, cfg: MonitorConfig, modelId: string, onStep: (s: StepProgress) => void): Promise<MonitorResult> {
  loadedInfo(ctx.engine);
  const conds: { c: MonitorCondition; system?: string; steering?: SteeringSpec[] }[] = [
    { c: 'baseline' },
    { c: 'prompted', system: cfg.systemPrompt },
    { c: 'steered', steering: [{ layer: cfg.layer, vector: cfg.vector, coeff: cfg.coeff, positions: 'all' }] },
  ];
  const up = stepReporter({ name: 'monitor', label: 'Generate & project', unit: 'answers', total: conds.length * cfg.questions.length }, onStep);
  const samples: MonitorSample[] = [];
  let fresh = 0, reused = 0;
  try {
    for (const cond of conds) {
      const gen = await generateCached(ctx, cfg.questions.map((q) => ({ user: q, system: cond.system, steering: cond.steering })), cfg.gen, 'monitor-generate', () => undefined);
      const proj = await responseProjections(ctx, cfg.questions.map((q, k) => ({ system: cond.system, user: q, assistant: gen.texts[k] })), cfg.layer, cfg.vector, cfg.gen.batchSize);
      cfg.questions.forEach((q, k) => samples.push({ condition: cond.c, question: q, answer: gen.texts[k], projection: proj[k] }));
      fresh += gen.fresh;
      reused += gen.reused;
      up({ loaded: samples.length, fresh, reused });
    }
    up({ status: fresh === 0 && reused > 0 ? 'cached' : 'done' });
  } catch (e) {
    up({ status: isCancel(ctx, e) ? 'cancelled' : 'error' });
    throw e;
  }
  return { vectorName: cfg.vectorName, layer: cfg.layer, coeff: cfg.coeff, systemPrompt: cfg.systemPrompt, modelId, samples };
}
