/** Ablation: each prompt twice, as is and with h -= strength·(h·u)u on every layer of a range (that layer's own direction). */
import type { SteeringSpec } from '../../shared/api';
import { EngineError } from '../../shared/errors';
import { row, type VectorSet } from '../vectors/meta';
import { generateCached, isCancel, loadedInfo, stepReporter, type GenRow, type GenSettings, type StepProgress, type WorkflowCtx } from './workflow';

export interface AblationConfig {
  set: VectorSet;
  /** Inclusive, 0-based layer range. */
  range: [number, number];
  strength: number;
  prompts: string[];
  gen: GenSettings;
}

export interface AblationResult { range: [number, number]; strength: number; rows: { prompt: string; plain: string; ablated: string }[] }

export async function ablationWorkflow(ctx: WorkflowCtx, cfg: AblationConfig, onStep: (s: StepProgress) => void): Promise<AblationResult> {
  loadedInfo(ctx.engine);
  const D = cfg.set.meta.hiddenSize;
  const specs: SteeringSpec[] = [];
  for (let l = cfg.range[0]; l <= cfg.range[1]; l++) {
    const direction = row(cfg.set.vectors, D, l).slice();
    if (direction.some((x) => x !== 0)) specs.push({ layer: l, direction, ablate: cfg.strength, positions: 'all' });
  }
  if (!specs.length) throw new EngineError('bad-input', 'The direction is zero on every layer of the range.');
  const rows: GenRow[] = cfg.prompts.flatMap((q) => [{ user: q }, { user: q, steering: specs }]);
  const up = stepReporter({ name: 'ablate', label: 'Generate with and without ablation', unit: 'rows', total: rows.length }, onStep);
  try {
    const gen = await generateCached(ctx, rows, cfg.gen, 'ablate-generate', (loaded, fresh, reused) => up({ loaded, fresh, reused }));
    up({ status: gen.fresh === 0 ? 'cached' : 'done' });
    return { range: cfg.range, strength: cfg.strength, rows: cfg.prompts.map((q, k) => ({ prompt: q, plain: gen.texts[2 * k], ablated: gen.texts[2 * k + 1] })) };
  } catch (e) {
    up({ status: isCancel(ctx, e) ? 'cancelled' : 'error' });
    throw e;
  }
}
