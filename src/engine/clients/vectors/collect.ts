/**
 * Activation collection for conversations (system?, user, assistant?) through the model's chat template.
 *
 * Rows of a batch go through ONE `engine.generate({maxNewTokens: 0, captures})` call: the prompt-only pass
 * returns the residual at every prompt position. Which positions belong to the assistant's reply comes from
 * `engine.tokenize` spans (the template's own rendering), shifted by each row's `padLeft`.
 * Everything goes through the Engine interface, so this runs the same in-process and behind the worker.
 */
import type { ChatMessage, Engine, ProgressEvent, TapName, TokenizedPrompt } from '../../shared/api';
import { EngineError } from '../../shared/errors';
import type { PoolingKind } from './meta';
import { poolCapture, type RowSpans } from './pooling';

export interface Conversation {
  system?: string;
  user: string;
  /** The reply whose tokens 'response-mean' averages; absent for prompt-only recipes (last-token detection). */
  assistant?: string;
}

export interface CollectOptions {
  /** Default: every layer's `blocks.{L}.hook_resid_post`. */
  taps?: TapName[];
  /** Default ['response-mean']. */
  pooling?: PoolingKind[];
  /** Rows per generate call. Default 8: captures are [B, S, D] per tap, so memory grows with B·S·D·taps. */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  /** Progress stage name (default 'collect'), so a pipeline can tell its collection steps apart. */
  stage?: string;
}

export interface Collected {
  taps: TapName[];
  hiddenSize: number;
  count: number;
  /** pooled[kind][tap]: [count, hiddenSize] row-major, rows in input order. */
  pooled: Partial<Record<PoolingKind, Record<string, Float32Array>>>;
  /** Each row's unpadded spans (offset 0): prompt = everything before the reply, response = the reply's tokens. */
  spans: RowSpans[];
  /** Number of engine.generate calls made (batching is observable). */
  generateCalls: number;
}

export function toMessages(c: Conversation): ChatMessage[] {
  const m: ChatMessage[] = [];
  if (c.system !== undefined) m.push({ role: 'system', content: c.system });
  m.push({ role: 'user', content: c.user });
  if (c.assistant !== undefined) m.push({ role: 'assistant', content: c.assistant });
  return m;
}

/**
 * Spans of one tokenized conversation. With a reply, the prompt is everything before the reply's first token
 * (template scaffolding and the assistant header included, as the persona-vector recipe has it) and the response
 * is the reply's content tokens (the closing end-of-turn token excluded). Without a reply, the prompt is the
 * whole templated prompt with its generation header, and the response is empty.
 */
export function conversationSpans(tok: TokenizedPrompt, hasReply: boolean): RowSpans {
  const n = tok.ids.length;
  if (!hasReply) return { offset: 0, prompt: [0, n], response: [n, n] };
  const reply = tok.spans?.[tok.spans.length - 1];
  if (!reply || reply.role !== 'assistant') throw new EngineError('internal', 'The tokenizer returned no span for the assistant reply.');
  return { offset: 0, prompt: [0, reply.start], response: [reply.start, reply.end] };
}

export const allResidPost = (numLayers: number): TapName[] =>
  Array.from({ length: numLayers }, (_, l) => `blocks.${l}.hook_resid_post` as TapName);

function progress(opts: CollectOptions, loaded: number, total: number): void {
  opts.onProgress?.({ stage: opts.stage ?? 'collect', loaded, total, done: loaded === total });
}

export async function collectActivations(engine: Engine, conversations: Conversation[], opts: CollectOptions = {}): Promise<Collected> {
  const info = engine.info();
  if (!info) throw new EngineError('not-loaded', 'Load a model before collecting activations.');
  if (conversations.length === 0) throw new EngineError('bad-input', 'No conversations to collect activations from.');
  const taps = opts.taps ?? allResidPost(info.numLayers);
  const kinds = opts.pooling ?? ['response-mean'];
  const batch = Math.max(1, Math.floor(opts.batchSize ?? 8));
  const D = info.hiddenSize;
  const N = conversations.length;
  const pooled: Collected['pooled'] = {};
  for (const k of kinds) pooled[k] = Object.fromEntries(taps.map((t) => [t, new Float32Array(N * D)]));
  const spans: RowSpans[] = [];
  let generateCalls = 0;
  progress(opts, 0, N);
  for (let b0 = 0; b0 < N; b0 += batch) {
    if (opts.signal?.aborted) throw new EngineError('cancelled', 'Activation collection was cancelled.');
    const part = conversations.slice(b0, b0 + batch);
    const messages = part.map(toMessages);
    const toks = await Promise.all(messages.map((m) => engine.tokenize(m)));
    const rowSpans = toks.map((t, i) => conversationSpans(t, part[i].assistant !== undefined));
    const res = await engine.generate({ rows: messages.map((prompt) => ({ prompt })), maxNewTokens: 0, captures: taps }, { signal: opts.signal });
    generateCalls++;
    // tokenize and generate share one tokenization path; a mismatch would silently shift every span.
    res.promptLengths.forEach((len, i) => {
      if (len !== toks[i].ids.length) throw new EngineError('internal', `Row ${b0 + i}: generate saw ${len} prompt tokens but tokenize gave ${toks[i].ids.length}.`);
    });
    const padded = rowSpans.map((s, i) => ({ ...s, offset: res.padLeft[i] }));
    for (const kind of kinds) {
      for (const tap of taps) {
        const cap = res.captures[tap];
        if (!cap) throw new EngineError('internal', `generate returned no capture for ${tap}.`);
        pooled[kind]![tap].set(poolCapture(cap, padded, kind), b0 * D);
      }
    }
    spans.push(...rowSpans);
    progress(opts, Math.min(N, b0 + batch), N);
  }
  return { taps, hiddenSize: D, count: N, pooled, spans, generateCalls };
}

/**
 * Per-layer [N, D] matrices (layer 0..numLayers-1) of one pooling kind and tap type: the input shape of
 * diffInMeans, separationByLayer and probeByLayer.
 */
export function layerStack(c: Collected, kind: PoolingKind, numLayers: number, tap: 'hook_resid_post' | 'hook_resid_mid' = 'hook_resid_post'): Float32Array[] {
  const byTap = c.pooled[kind];
  if (!byTap) throw new EngineError('bad-input', `Activations were not pooled as "${kind}".`);
  return Array.from({ length: numLayers }, (_, l) => {
    const m = byTap[`blocks.${l}.${tap}`];
    if (!m) throw new EngineError('bad-input', `Layer ${l}'s ${tap} was not collected.`);
    return m;
  });
}
