/**
 * Turns resolved steering specs into the per-layer float32 inputs of an instrumented graph for
 * one forward pass. Position masks implement the modes of steering.ts; pad positions are never
 * steered. Each kind (interventions/) builds the values of its own inputs; idle layers share one
 * feed of shape [1,1,…] per input (the graph broadcasts it).
 */
import { EngineError } from '../../shared/errors';
import type { ResolvedSpec, Positions } from '../../shared/steering';
import { KINDS, kindNamed } from '../../shared/interventions/registry';
import type { KindInput } from '../../shared/interventions/kind';

/** One forward pass over padded positions [start, start+length) of each row. */
export interface Pass {
  phase: 'prefill' | 'decode';
  start: number;
  length: number;
  /** Padded prompt length: positions from it on are generated tokens (a prefill pass may hold drafted ones). */
  promptLength: number;
  /** Left-pad count per row. */
  padLeft: number[];
  /** Right-pad count per row (GroupQueryAttention graphs pad on the right; absent = none). */
  padRight?: number[];
}

/** One layer's feeds: per input key ("add", "ablateDir", …) its values and dims. */
export type LayerFeed = Record<string, { data: Float32Array; dims: number[] }>;

/** Row r's prompt occupies padded positions [padLeft, promptLength − padRight); pads are never steered. */
function steered(mode: Positions, pass: Pass, pos: number, r: number): boolean {
  // Positions past the prompt are generated tokens, also inside a prefill pass (drafts being checked).
  if (pass.phase === 'decode' || pos >= pass.promptLength) return mode !== 'prompt';
  const end = pass.promptLength - (pass.padRight?.[r] ?? 0);
  if (pos < pass.padLeft[r] || pos >= end) return false;
  return mode === 'response' ? pos === end - 1 : true;
}

/** Groups resolved (already range-checked) specs by layer per row; refuses two specs of a one-per-layer kind in one row at one layer. */
export function byLayer(rows: ResolvedSpec[][]): Map<number, ResolvedSpec[][]> {
  const out = new Map<number, ResolvedSpec[][]>();
  rows.forEach((specs, r) => {
    for (const s of specs) {
      if (!out.has(s.layer)) out.set(s.layer, rows.map(() => []));
      const list = out.get(s.layer)![r];
      const kind = kindNamed(s.kind)!;
      if (kind.onePerLayer && list.some((x) => x.kind === s.kind)) {
        const what = s.kind === 'ablate' ? 'ablations' : `${s.kind} interventions`;
        throw new EngineError('bad-input', `row ${r}: two ${what} at layer ${s.layer}; give one per layer per row (combine them first).`);
      }
      list.push(s);
    }
  });
  return out;
}

/** The dims of an input for B rows of S positions (or of an idle layer: every symbolic axis 1). */
export const inputDims = (input: KindInput, B: number, S: number, D: number): number[] =>
  input.shape.map((a) => (a === 'B' ? B : a === 'S' ? S : a === 'D' ? D : 1));

/** The feed of one layer for one pass. */
export function layerFeed(rows: ResolvedSpec[][], pass: Pass, hidden: number): LayerFeed {
  const B = rows.length;
  const S = pass.length;
  const args = { B, S, D: hidden, steered: (mode: Positions, i: number, r: number) => steered(mode, pass, pass.start + i, r) };
  const out: LayerFeed = {};
  for (const kind of KINDS) {
    const values = kind.feed(rows.map((specs) => specs.filter((s) => s.kind === kind.kind)) as never, args);
    for (const input of kind.inputs) out[input.key] = { data: values[input.key], dims: inputDims(input, B, S, hidden) };
  }
  return out;
}

/** An idle layer's feed: each input broadcast from one [1,…,1(,D)] value. */
export function idleFeed(hidden: number): LayerFeed {
  const out: LayerFeed = {};
  for (const kind of KINDS) {
    for (const input of kind.inputs) {
      const dims = inputDims(input, 1, 1, hidden);
      out[input.key] = { data: new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(input.idle), dims };
    }
  }
  return out;
}

/** True when any spec touches a prompt position before the last one (so a cached prefix cannot be reused). */
export function touchesPrefix(specs: ResolvedSpec[]): boolean {
  return specs.some((s) => s.positions !== 'response');
}

/** What a cached prompt prefix depends on, per row: each kind's own key of the specs that touch it. */
export function prefixSteeringKey(rows: ResolvedSpec[][]): unknown {
  return rows.map((specs) => specs.filter((s) => touchesPrefix([s])).map((s) => [s.kind, kindNamed(s.kind)!.cacheKey(s)]));
}
