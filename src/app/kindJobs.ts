/**
 * The Steer slot's threshold helpers read projections of prompt sets through the scheduler, as a job (prompt
 * only, no generation): the cap helper a distribution to take a percentile of, the condition helper two
 * labelled sets for an ROC curve. The maths is thresholds.ts's; this only builds the prompts and queues.
 */
import type { Pooling } from '../engine/shared/interventions/add';
import { projectPrompts, rocThreshold, type ProjectionSet, type RocPoint } from '../engine/clients/vectors/thresholds';
import { EngineError } from '../engine/shared/errors';
import { getScheduler, messages } from './actions';
import { splitPrompts } from './quickContrast';
import { getLab } from './store';

/** The prompts as generation would send them: each line with the lab's system prompt, in the chat template when the model has one. */
function asRows(lines: string[]) {
  const s = getLab();
  if (!s.info) throw new EngineError('not-loaded', 'Load a model first.');
  return lines.map((p) => messages(s.systemPrompt, p, s.info!.hasChatTemplate));
}

/** One prompt per line (empty lines ignored); at least one. */
export function promptLines(text: string, what: string): string[] {
  const lines = splitPrompts(text);
  if (!lines.length) throw new EngineError('bad-input', `${what}: give at least one prompt, one per line.`);
  return lines;
}

export async function projectionsJob(label: string, lines: string[], layer: number, direction: Float32Array, pooling: Pooling = 'mean'): Promise<ProjectionSet> {
  const rows = asRows(lines);
  return getScheduler().job(label, (engine) => projectPrompts(engine, rows, layer, direction, pooling)).result;
}

export interface RocResult { points: RocPoint[]; auc: number; best: RocPoint; fire: number[]; quiet: number[] }

/** Both labelled sets in one job, then thresholds.ts's ROC. */
export async function rocJob(fire: string[], quiet: string[], layer: number, direction: Float32Array, pooling: Pooling): Promise<RocResult> {
  const a = asRows(fire), b = asRows(quiet);
  const [p, n] = await getScheduler().job('Condition threshold', async (engine) => [await projectPrompts(engine, a, layer, direction, pooling), await projectPrompts(engine, b, layer, direction, pooling)]).result;
  return { ...rocThreshold(p.scores, n.scores), fire: p.scores, quiet: n.scores };
}
