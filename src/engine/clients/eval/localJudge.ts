/**
 * The local judge: the loaded model grades answers from its own next-token distribution
 * (`generate({maxNewTokens: 1, topLogprobs})`), with the judge maths of judge.ts.
 *
 * Tokenizers that write 0..100 as one token (Llama-3) need one step: score = E[k] over number tokens.
 * Digit-split tokenizers (Qwen) need the digit tree: after the first step the answer-so-far ("8", "10")
 * must be appended to the prompt. The Engine can append only to raw-text prompts (a chat prompt ending in an
 * assistant message is rendered as a closed turn), so the digit tree runs on raw text; see the report's note
 * on `continueFinal` for the engine addition that would let it use the chat template too.
 *
 * Many prompts share each generate call: every tree's pending queries of one wave are batched together.
 */
import type { ChatMessage, Engine, GenerateRow } from '../../shared/api';
import { EngineError } from '../../shared/errors';
import { MIN_NUMBER_MASS, digitTreeDistribution, expectedScore, numberDistribution, numbersAreSingleTokens, type NumberDistribution, type TopLogprob } from './judge';
import type { Judge } from './scoring';

/** How a too-long judge prompt is named in errors: the user can shorten the pack's eval_prompt or pick another judge. */
const JUDGE_LABEL = "The judge prompt (the trait pack's eval_prompt with the question and answer filled in)";

export interface LocalJudgeOptions {
  /** Log-probabilities kept per step (default 20, as the persona-vector judge). */
  topK?: number;
  minMass?: number;
  /** Rows per generate call (default 16). */
  batchSize?: number;
  /** 'auto' (default): the chat template when the model has one (digit trees continue an open assistant turn), raw text otherwise. */
  format?: 'auto' | 'chat' | 'raw';
  /** Digit tree: first digits below this probability are not expanded (default 0.001: saves model calls). */
  minBranchProb?: number;
}

export interface LocalJudge extends Judge {
  readonly format: 'chat' | 'raw';
  readonly digitTree: boolean;
  /** engine.generate calls made so far. */
  readonly calls: number;
}

/** Appended to raw-text judge prompts so the next token is the number (the trailing space is its own token). */
export const RAW_ANSWER_CUE = '\n\nAnswer: ';

export async function createLocalJudge(engine: Engine, opts: LocalJudgeOptions = {}): Promise<LocalJudge> {
  const info = engine.info();
  if (!info) throw new EngineError('not-loaded', 'Load a model before using it as a judge.');
  const single = await numbersAreSingleTokens(async (t) => (await engine.tokenize(t)).ids);
  const want = opts.format ?? 'auto';
  if (want === 'chat' && !info.hasChatTemplate) throw new EngineError('bad-input', 'This model has no chat template; use the raw-text judge format.');
  const format: 'chat' | 'raw' = want === 'raw' || !info.hasChatTemplate ? 'raw' : 'chat';
  const topK = opts.topK ?? 20;
  const batchSize = Math.max(1, Math.min(64, opts.batchSize ?? 16));
  const minMass = opts.minMass ?? MIN_NUMBER_MASS;
  let calls = 0;

  // Digit-tree steps continue the answer so far: an open assistant turn holding the digits already chosen.
  const rowOf = (prompt: string, prefix: string): GenerateRow =>
    format === 'raw' ? { prompt: `${prompt}${RAW_ANSWER_CUE}${prefix}`, label: JUDGE_LABEL }
      : prefix ? { prompt: [{ role: 'user', content: prompt }, { role: 'assistant', content: prefix }] as ChatMessage[], continueFinal: true, label: JUDGE_LABEL }
        : { prompt: [{ role: 'user', content: prompt }] as ChatMessage[], label: JUDGE_LABEL };

  async function topOf(rows: { prompt: string; prefix: string }[], signal?: AbortSignal): Promise<TopLogprob[][]> {
    calls++;
    const res = await engine.generate({
      rows: rows.map((r) => rowOf(r.prompt, r.prefix)), maxNewTokens: 1, topLogprobs: topK, stopAtEos: false,
    }, { signal });
    if (!res.logprobs) throw new EngineError('internal', 'The engine returned no log-probabilities for a topLogprobs request.');
    return res.logprobs.map((steps) => (steps[0] ?? []).map((t) => ({ token: t.text, logprob: t.logprob })));
  }

  /**
   * Answers the queries of many concurrent trees in batched generate calls. No timers: a batch is flushed
   * when every unfinished tree is waiting on a query (a barrier), so each wave of the digit tree is one batch.
   */
  function batcher(trees: number, signal?: AbortSignal) {
    let active = trees;
    let queue: { prompt: string; prefix: string; resolve: (t: TopLogprob[]) => void; reject: (e: unknown) => void }[] = [];
    const flush = async (): Promise<void> => {
      const q = queue;
      queue = [];
      for (let i = 0; i < q.length; i += batchSize) {
        const chunk = q.slice(i, i + batchSize);
        try {
          const tops = await topOf(chunk, signal);
          chunk.forEach((c, j) => c.resolve(tops[j]));
        } catch (e) {
          for (const c of q.slice(i)) c.reject(e);
          return;
        }
      }
    };
    const maybeFlush = (): void => {
      if (queue.length > 0 && queue.length === active) void flush();
    };
    return {
      ask: (prompt: string, prefix: string): Promise<TopLogprob[]> => new Promise((resolve, reject) => {
        queue.push({ prompt, prefix, resolve, reject });
        maybeFlush();
      }),
      /** Wraps one tree so its end releases the barrier for the others. */
      tree: async <T>(run: () => Promise<T>): Promise<T> => {
        try {
          return await run();
        } finally {
          active--;
          maybeFlush();
        }
      },
    };
  }

  return {
    id: `local:${info.id}#${info.dtype}#${format}#k${topK}`,
    format,
    digitTree: !single,
    get calls() { return calls; },
    async scoreMany(prompts, signal) {
      if (prompts.length === 0) return [];
      const b = batcher(prompts.length, signal);
      const dist = (p: string): Promise<NumberDistribution> => (single
        ? b.ask(p, '').then(numberDistribution)
        : digitTreeDistribution((prefix) => b.ask(p, prefix), { minBranchProb: opts.minBranchProb ?? 1e-3 }));
      return Promise.all(prompts.map((p) => b.tree(async () => expectedScore(await dist(p), minMass))));
    },
  };
}
