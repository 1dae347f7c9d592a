/**
 * The batched generation loop: left padding, a KV cache, per-row steering and sampling,
 * streaming, cancellation between decode steps, and prompt-prefix reuse.
 *
 * The KV of the prompt minus its last token is cached: a later request whose rows have the same
 * tokens and no steering on prefix positions (e.g. a slider moved in `response` mode) reuses it and
 * runs only the last token (see `prefill` for how the prefix is made on each device). A one-row request
 * may bring drafted tokens (`LoopRequest.drafts`): they ride in the prompt pass and the ones `pick` chooses
 * anyway are kept, so a slider move whose text holds costs one pass instead of one per token.
 */
import { disposeKv, sliceKv, type Decoder, type StepOutput } from './decoder';
import { byLayer, prefixSteeringKey, type Pass } from './steerFeeds';
import { EngineError } from '../../shared/errors';
import type { ResolvedSpec } from '../../shared/steering';
import type { TapName } from '../../shared/api';
import type { Tensor } from './ort';

export interface LoopRequest {
  ids: number[][];
  /**
   * Pad rows of different lengths on the right instead of the left. GroupQueryAttention reads each
   * row's length from the mask (seqlens_k) and assumes its tokens start at position 0, so left padding
   * would be attended to; right padding is what it computes exactly. Captures are returned left-aligned
   * either way (`padLeft`), so callers cannot tell.
   */
  padRight?: boolean;
  steering: ResolvedSpec[][];
  maxNewTokens: number;
  /** Chooses the next token of a row from its logits. */
  pick: (row: number, logits: Float32Array) => number;
  eos: Set<number>;
  padId: number;
  stopAtEos: boolean;
  taps: TapName[];
  /** Which of `taps` to return for every position (default all); the others only feed onToken. */
  captures?: TapName[];
  signal?: AbortSignal;
  /**
   * Per row, tokens the row is likely to generate (the previous slider position's text). One row, KV on
   * the CPU and no captures: they ride in the prompt pass and the ones `pick` would have chosen anyway
   * are kept (`usableDraft`); ignored otherwise. Same tokens, fewer passes.
   */
  drafts?: number[][];
  /** Called once per row per generated token, with that step's taps at the row's last position. */
  onToken?: (row: number, step: number, token: number, last: Record<string, Float32Array>) => void;
}

export interface LoopResult {
  tokens: number[][];
  padLeft: number[];
  captures: Record<string, { shape: [number, number, number]; data: Float32Array }>;
  prefixReused: boolean;
  /** Drafted tokens that were kept (0 without drafts). */
  draftAccepted: number;
}

interface PrefixEntry { key: string; past: Record<string, Tensor>; taps: Record<string, Float32Array> }

/** Caches the KV of one batch prefix (the latest). */
export class PrefixCache {
  private entry: PrefixEntry | null = null;
  get(key: string): PrefixEntry | null {
    return this.entry?.key === key ? this.entry : null;
  }
  set(e: PrefixEntry): void {
    if (this.entry && this.entry.past !== e.past) disposeKv(this.entry.past);
    this.entry = e;
  }
  owns(past: Record<string, Tensor> | null): boolean {
    return past !== null && this.entry?.past === past;
  }
  clear(): void {
    if (this.entry) disposeKv(this.entry.past);
    this.entry = null;
  }
}

function cancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new EngineError('cancelled', 'The generation was cancelled.');
}

/**
 * Lets queued events run (a cancel message, a newer request). A wasm session.run can resolve
 * through microtasks alone, so without this a worker would read its messages only after the
 * whole generation. setImmediate in Node; a MessageChannel elsewhere (setTimeout is clamped).
 */
function yieldToEvents(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((r) => setImmediate(r));
  return new Promise((r) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { ch.port1.close(); r(); };
    ch.port2.postMessage(null);
  });
}

function prefixKey(req: LoopRequest, prefixLength: number): string {
  return JSON.stringify([req.ids.map((r) => r.slice(0, r.length - 1)), prefixLength, prefixSteeringKey(req.steering), req.taps]);
}

/** Accumulates per-pass taps into [B, S_total, D] captures. */
class CaptureSink {
  private readonly parts: Record<string, Float32Array>[] = [];
  constructor(private readonly B: number, private readonly D: number, private readonly keep: ReadonlySet<string>) {}
  get empty(): boolean {
    return this.keep.size === 0;
  }
  add(taps: Record<string, Float32Array>): void {
    const kept = Object.entries(taps).filter(([name]) => this.keep.has(name));
    if (kept.length) this.parts.push(Object.fromEntries(kept));
  }
  result(): LoopResult['captures'] {
    if (!this.parts.length) return {};
    // Captures are the caller's to keep: never hand out a pass's own array (the prefix cache holds some).
    const joined = joinTaps(this.parts, this.B, this.D);
    return Object.fromEntries(Object.entries(joined).map(([name, v]) => {
      const data = this.parts.length === 1 ? v.slice() : v;
      return [name, { shape: [this.B, data.length / (this.B * this.D), this.D] as [number, number, number], data }];
    }));
  }
}

/** The last position of each row of a pass's taps, [D] per tap per row. */
function lastOf(taps: Record<string, Float32Array>, B: number, D: number): Record<string, Float32Array>[] {
  return Array.from({ length: B }, (_, r) =>
    Object.fromEntries(Object.entries(taps).map(([k, v]) => {
      const S = v.length / (B * D);
      return [k, v.subarray((r * S + S - 1) * D, (r * S + S) * D)];
    })));
}

/** One row's taps at position `i` of the pass, [D] per tap. */
function tapsAt(taps: Record<string, Float32Array>, D: number, i: number): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(taps).map(([k, v]) => [k, v.subarray(i * D, (i + 1) * D)]));
}

/** Right-padded [B, S, D] taps moved so each row's prompt ends at position S − 1 (the left-padded layout). */
function leftAlign(taps: Record<string, Float32Array>, B: number, D: number, lengths: number[]): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(taps).map(([k, v]) => {
    const S = v.length / (B * D);
    const out = new Float32Array(v.length);
    for (let r = 0; r < B; r++) out.set(v.subarray(r * S * D, (r * S + lengths[r]) * D), (r * S + S - lengths[r]) * D);
    return [k, out];
  }));
}

interface PrefillContext {
  dec: Decoder;
  cache: PrefixCache;
  req: LoopRequest;
  S0: number;
  mask: number[][];
  steering: ReturnType<typeof byLayer>;
  sink: CaptureSink;
  pass: (phase: Pass['phase'], start: number, length: number) => Pass;
  positions: (start: number, length: number) => number[][];
  slice: (start: number, end: number) => number[][];
  right: boolean;
  /** Drafted tokens to check in the prompt pass (`usableDraft`); empty for none. */
  draft: number[];
}

/** [B, S_i, D] taps of consecutive passes joined along the sequence into [B, ΣS_i, D]. */
function joinTaps(parts: Record<string, Float32Array>[], B: number, D: number): Record<string, Float32Array> {
  if (parts.length === 1) return parts[0];
  return Object.fromEntries(Object.keys(parts[0]).map((k) => {
    const seqs = parts.map((p) => p[k].length / (B * D));
    const S = seqs.reduce((a, b) => a + b, 0);
    const out = new Float32Array(B * S * D);
    for (let r = 0; r < B; r++) {
      let s0 = 0;
      parts.forEach((p, i) => {
        out.set(p[k].subarray(r * seqs[i] * D, (r + 1) * seqs[i] * D), (r * S + s0) * D);
        s0 += seqs[i];
      });
    }
    return [k, out];
  }));
}

/**
 * Runs prompt positions [from, to) as passes of at most `dec.prefillChunk` positions, threading the KV
 * through. Each row's logits come from the pass holding its last prompt token (right-padded rows end
 * before `to`); taps come back joined and left-aligned.
 */
async function promptPasses(c: PrefillContext, from: number, to: number, past: Record<string, Tensor> | null, wantLogits: boolean): Promise<StepOutput> {
  const { dec, req, mask, steering, pass, positions, slice } = c;
  const B = req.ids.length;
  const ends = req.ids.map((r) => (c.right ? r.length - 1 : c.S0 - 1));
  const logits: Float32Array[] = [];
  const taps: Record<string, Float32Array>[] = [];
  let out: StepOutput | null = null;
  for (let a = from; a < to; a += dec.prefillChunk) {
    cancelled(req.signal);
    const b = Math.min(to, a + dec.prefillChunk);
    const prev = out?.present ?? past;
    const rows = ends.map((e) => e >= a && e < b);
    out = await dec.forward({
      ids: slice(a, b), mask: mask.map((m) => m.slice(0, b)), positions: positions(a, b - a), past: prev, steering, pass: pass('prefill', a, b - a),
      taps: req.taps, noLogits: !wantLogits || !rows.some(Boolean), lastIndex: ends.map((e) => Math.min(Math.max(e - a, 0), b - a - 1)),
    });
    if (prev && prev !== past) disposeKv(prev);
    rows.forEach((has, r) => { if (has && out!.logits) logits[r] = out!.logits[r]; });
    taps.push(out.taps);
  }
  const joined = joinTaps(taps, B, dec.model.hiddenSize);
  return { logits: wantLogits ? logits : null, present: out!.present, taps: c.right ? leftAlign(joined, B, dec.model.hiddenSize, req.ids.map((r) => r.length)) : joined };
}

/**
 * The drafts worth checking (`LoopRequest.drafts`), at most maxNewTokens − 1 so a fully kept draft plus the
 * token after it ends the run. Only for one row whose KV is on the CPU (rejected positions are cut off
 * there), one prompt pass (no chunking) and nothing captured (rejected positions would be in captures).
 */
function usableDraft(dec: Decoder, req: LoopRequest, right: boolean): number[] {
  const d = req.drafts?.[0];
  const captured = (req.captures ?? req.taps).length > 0;
  if (!d?.length || req.ids.length !== 1 || right || !dec.kvOnCpu || dec.prefillChunk !== Infinity || captured) return [];
  return d.slice(0, Math.max(0, req.maxNewTokens - 1));
}

/** Prompt positions [from, S0) of the one row and the drafted tokens after it, as one pass: logits from the last prompt position on (`spans`). */
function draftPass(c: PrefillContext, from: number, past: Record<string, Tensor> | null): Promise<StepOutput> {
  const { dec, req, S0, draft } = c;
  const end = S0 + draft.length;
  cancelled(req.signal);
  return dec.forward({
    ids: [[...c.slice(from, S0)[0], ...draft]], mask: [Array(end).fill(1)], positions: [Array.from({ length: end - from }, (_, j) => from + j)],
    past, steering: c.steering, pass: c.pass('prefill', from, end - from), taps: req.taps, logitsFrom: S0 - 1 - from,
  });
}

/**
 * The prompt pass(es). A cached prefix (all but the last prompt token) is reused when the key
 * matches. Otherwise, with the KV on the CPU (wasm), the whole prompt runs at once and the prefix KV
 * is cut from its output; with the KV on the GPU, the prefix and the last token run separately so the
 * prefix KV exists on its own without a device round trip. On WebGPU fused attention runs in chunks
 * (see `Decoder.prefillChunk`).
 */
async function prefill(c: PrefillContext): Promise<{ out: StepOutput; past: Record<string, Tensor> | null; prefixReused: boolean }> {
  const { dec, cache, req, S0, sink } = c;
  // Right-padded rows end at different positions, so there is no common prefix to cache.
  const key = S0 >= 2 && !c.right ? prefixKey(req, S0 - 1) : null;
  const hit = key ? cache.get(key) : null;
  const wantLogits = req.maxNewTokens > 0;
  const lastPasses = (from: number, past: Record<string, Tensor> | null) => (c.draft.length ? draftPass(c, from, past) : promptPasses(c, from, S0, past, wantLogits));
  if (hit) {
    sink.add(hit.taps);
    const out = await lastPasses(S0 - 1, hit.past);
    sink.add(out.taps);
    return { out, past: hit.past, prefixReused: true };
  }
  if (!key || dec.kvOnCpu) {
    const out = await lastPasses(0, null);
    sink.add(out.taps);
    if (key) cache.set({ key, past: sliceKv(out.present, S0 - 1), taps: sliceTaps(out.taps, req.ids.length, dec.model.hiddenSize, S0 - 1) });
    return { out, past: null, prefixReused: false };
  }
  const pre = await promptPasses(c, 0, S0 - 1, null, false);
  cache.set({ key, past: pre.present, taps: pre.taps });
  sink.add(pre.taps);
  const out = await promptPasses(c, S0 - 1, S0, pre.present, wantLogits);
  sink.add(out.taps);
  return { out, past: pre.present, prefixReused: false };
}

/** The first `keep` positions of [B, S, D] taps. */
function sliceTaps(taps: Record<string, Float32Array>, B: number, D: number, keep: number): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(taps).map(([k, v]) => {
    const S = v.length / (B * D);
    const out = new Float32Array(B * keep * D);
    for (let r = 0; r < B; r++) out.set(v.subarray(r * S * D, (r * S + keep) * D), r * keep * D);
    return [k, out];
  }));
}

export async function runLoop(dec: Decoder, cache: PrefixCache, req: LoopRequest): Promise<LoopResult> {
  const B = req.ids.length;
  const D = dec.model.hiddenSize;
  const lengths = req.ids.map((r) => r.length);
  const S0 = Math.max(...lengths);
  const right = !!req.padRight && lengths.some((n) => n !== S0);
  const pads = lengths.map((n) => S0 - n);
  const padLeft = right ? pads.map(() => 0) : pads;
  const padded = req.ids.map((r, i) => (right ? [...r, ...Array(pads[i]).fill(req.padId)] : [...Array(pads[i]).fill(req.padId), ...r]));
  // Row r's mask over `total` positions. Left pads are masked. Right-padded (GQA) rows are all ones
  // while the prompt runs: GQA takes each row's length from the mask sum and needs it to reach the
  // pass's end (trailing pads are never attended by the row's own tokens); while decoding, the sum is
  // the row's true length, so GQA writes the new token's KV right after the row's own prompt.
  const maskAt = (r: number, total: number) => Array.from({ length: total }, (_, j) => (right ? (total <= S0 || j < total - pads[r] ? 1 : 0) : (j < pads[r] ? 0 : 1)));
  const mask = padded.map((_, r) => maskAt(r, S0));
  // The model's position of padded index p: pads shift a left-padded row; decode steps of a right-padded
  // row sit right after its own prompt (index S0 + t is position length + t).
  const posOf = (r: number, p: number) => (right ? (p >= S0 ? lengths[r] + p - S0 : p) : Math.max(0, p - pads[r]));
  const steering = byLayer(req.steering);
  const sink = new CaptureSink(B, D, new Set(req.captures ?? req.taps));
  const pass = (phase: Pass['phase'], start: number, length: number): Pass => ({ phase, start, length, promptLength: S0, padLeft, padRight: right ? pads : undefined });
  const positions = (start: number, length: number) => padded.map((_, r) => Array.from({ length }, (_, j) => posOf(r, start + j)));
  const slice = (start: number, end: number) => padded.map((row) => row.slice(start, end));

  const draft = usableDraft(dec, req, right);
  const { out: first, past: prefillPast, prefixReused } = await prefill({ dec, cache, req, S0, mask, steering, sink, pass, positions, slice, right, draft });
  let out: StepOutput = first;
  let past: Record<string, Tensor> | null = prefillPast;

  const tokens: number[][] = req.ids.map(() => []);
  const done = req.ids.map(() => false);
  // Feeds one token per row; `last` says whether only the captures are wanted (no more sampling).
  const decode = async (next: number[], step: number, last: boolean) => {
    await yieldToEvents();
    cancelled(req.signal);
    const pos = S0 + step;
    const prev = out.present;
    const prevPast = past;
    const curMask = padded.map((_, r) => maskAt(r, pos + 1));
    out = await dec.forward({ ids: next.map((t) => [t]), mask: curMask, positions: padded.map((_, r) => [posOf(r, pos)]), past: prev, steering, pass: pass('decode', pos, 1), taps: req.taps, noLogits: last });
    if (!cache.owns(prevPast) && prevPast !== prev) disposeKv(prevPast);
    past = prev;
    sink.add(out.taps);
  };
  let from = 0;
  let draftAccepted = 0;
  if (draft.length) {
    // Each position's logits are those a one-token step would have given, as long as the drafts before it
    // were the tokens picked; pick runs in the same order on them, so a seeded sampler draws the same.
    const spans = first.spans![0];
    const at = (first.taps[req.taps[0]]?.length ?? 0) / D - spans.length;
    let t = 0;
    for (; ; t++) {
      const tok = req.pick(0, spans[t]);
      tokens[0].push(tok);
      req.onToken?.(0, t, tok, tapsAt(first.taps, D, at + t));
      if (req.stopAtEos && req.eos.has(tok)) done[0] = true;
      if (done[0] || t === draft.length || tok !== draft[t]) break;
    }
    // Kept: the leading drafted tokens that were picked (an end-of-sequence stop may keep the one at t too).
    while (draftAccepted < Math.min(draft.length, tokens[0].length) && tokens[0][draftAccepted] === draft[draftAccepted]) draftAccepted++;
    // The KV holds the prompt and every draft; keep the prompt and the drafts that were kept.
    const present = t < draft.length ? sliceKv(first.present, S0 + t) : first.present;
    if (present !== first.present) disposeKv(first.present);
    out = { logits: null, present, taps: {} };
    if (done[0] || t === req.maxNewTokens - 1) from = req.maxNewTokens;
    else {
      await decode([tokens[0][t]], t, false);
      from = t + 1;
    }
  }
  for (let step = from; step < req.maxNewTokens; step++) {
    const last = lastOf(out.taps, B, D);
    const next = out.logits!.map((l, r) => (done[r] ? req.padId : req.pick(r, l)));
    next.forEach((t, r) => {
      if (done[r]) return;
      tokens[r].push(t);
      req.onToken?.(r, step, t, last[r]);
      if (req.stopAtEos && req.eos.has(t)) done[r] = true;
    });
    const finished = done.every(Boolean) || step === req.maxNewTokens - 1;
    // Captures cover generated positions too, so the final tokens get one more (logit-free) pass.
    if (finished && !sink.empty) await decode(next, step, true);
    if (finished) break;
    await decode(next, step, false);
  }
  if (!cache.owns(past)) disposeKv(past);
  disposeKv(out.present);
  // Captures are left-aligned whichever side was padded, so their offset is always the pad count.
  return { tokens, padLeft: pads, captures: sink.result(), prefixReused, draftAccepted };
}
