/**
 * The Judge seam of the pipeline and sweeps: anything that turns filled judge prompts into 0..100 scores
 * (or null: too little mass on numbers). Implemented by the local judge (the loaded model) and by any
 * OpenAI-compatible endpoint. Batched by design: the local judge answers many prompts in one generate call.
 * A judge that reads answers itself (the lexical judge) has `scoreItems` instead; it grades no coherence.
 */
import { COHERENCE_TEMPLATE, fillJudgePrompt } from './judge';
import type { OpenAIJudge } from './judgeOpenAI';

export interface Judge {
  /** What scored: part of every cache key, so a different judge never reuses another's scores. Never a secret. */
  readonly id: string;
  /** Who scored, in words, for the UI ("local model", "lexical (marker words)"); defaults from the id. */
  readonly label?: string;
  scoreMany(prompts: string[], signal?: AbortSignal): Promise<(number | null)[]>;
  /** Trait scores read from the answers themselves; when present, scoreAnswers uses it and coherence is null. */
  scoreItems?(items: QA[], signal?: AbortSignal): Promise<(number | null)[]>;
}

/** Whether the judge can grade coherence (answer-reading judges cannot). */
export const judgesCoherence = (judge: Judge): boolean => !judge.scoreItems;

/** The judge's name for the UI. */
export function judgeLabel(judge: Judge): string {
  if (judge.label) return judge.label;
  const kind = judge.id.split(':')[0];
  return kind === 'local' ? 'local model' : kind === 'openai' ? 'OpenAI-compatible endpoint' : kind;
}

export interface QA {
  question: string;
  answer: string;
}

export interface TraitScore {
  trait: number | null;
  coherence: number | null;
}

export interface ScoreOptions {
  /**
   * Also judge coherence (default true). Off: only the trait prompt is sent and every coherence is null
   * ("not judged"): the coherence prompt is long (small models cannot fit it) and doubles the judge's work.
   */
  coherence?: boolean;
}

/**
 * Trait and coherence of every answer, in one scoreMany call (2N prompts, or N without coherence) so batching
 * judges fill batches.
 */
export async function scoreAnswers(judge: Judge, traitTemplate: string, items: QA[], signal?: AbortSignal, opts: ScoreOptions = {}): Promise<TraitScore[]> {
  if (items.length === 0) return [];
  if (judge.scoreItems) {
    const trait = await judge.scoreItems(items, signal);
    return trait.map((t) => ({ trait: t, coherence: null }));
  }
  const coherence = opts.coherence ?? true;
  const prompts = [
    ...items.map((x) => fillJudgePrompt(traitTemplate, x.question, x.answer)),
    ...(coherence ? items.map((x) => fillJudgePrompt(COHERENCE_TEMPLATE, x.question, x.answer)) : []),
  ];
  const s = await judge.scoreMany(prompts, signal);
  return items.map((_, i) => ({ trait: s[i], coherence: coherence ? s[items.length + i] : null }));
}

/** An OpenAI-compatible judge as a Judge; a few requests in flight at once (endpoints rate-limit bursts). */
export function openAIJudge(j: OpenAIJudge, concurrency = 4): Judge {
  return {
    id: `openai:${j.baseUrl}#${j.model}`,
    label: `OpenAI-compatible (${j.model})`,
    async scoreMany(prompts, signal) {
      const out = new Array<number | null>(prompts.length).fill(null);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < prompts.length) {
          const i = next++;
          out[i] = await j.score(prompts[i], signal);
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, prompts.length)) }, worker));
      return out;
    },
  };
}
