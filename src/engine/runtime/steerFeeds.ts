/**
 * Turns resolved steering specs into the per-layer float32 inputs of an instrumented graph for
 * one forward pass. Position masks implement the modes of steering.ts; pad positions are never
 * steered. Idle layers share one zero feed of shape [1,1,D] (the graph broadcasts it).
 */
import { EngineError } from '../errors';
import type { ResolvedSpec, Positions } from '../steering';

/** One forward pass over padded positions [start, start+length) of each row. */
export interface Pass {
  phase: 'prefill' | 'decode';
  start: number;
  length: number;
  /** Padded prompt length (prefill covers positions < promptLength). */
  promptLength: number;
  /** Left-pad count per row. */
  padLeft: number[];
  /** Right-pad count per row (GroupQueryAttention graphs pad on the right; absent = none). */
  padRight?: number[];
}

export interface LayerFeed { add: Float32Array; ablateDir: Float32Array; ablateStrength: Float32Array; dims: { add: number[]; dir: number[]; strength: number[] } }

/** Row r's prompt occupies padded positions [padLeft, promptLength − padRight); pads are never steered. */
function steered(mode: Positions, pass: Pass, pos: number, r: number): boolean {
  if (pass.phase === 'decode') return mode !== 'prompt';
  const end = pass.promptLength - (pass.padRight?.[r] ?? 0);
  if (pos < pass.padLeft[r] || pos >= end) return false;
  return mode === 'response' ? pos === end - 1 : true;
}

/** Groups resolved (already range-checked) specs by layer per row; refuses two ablations of one row at one layer. */
export function byLayer(rows: ResolvedSpec[][]): Map<number, ResolvedSpec[][]> {
  const out = new Map<number, ResolvedSpec[][]>();
  rows.forEach((specs, r) => {
    for (const s of specs) {
      if (!out.has(s.layer)) out.set(s.layer, rows.map(() => []));
      const list = out.get(s.layer)![r];
      if (s.kind === 'ablate' && list.some((x) => x.kind === 'ablate')) {
        throw new EngineError('bad-input', `row ${r}: two ablations at layer ${s.layer}; ablate one direction per layer per row (combine them first).`);
      }
      list.push(s);
    }
  });
  return out;
}

/** The feed of one layer for one pass. */
export function layerFeed(rows: ResolvedSpec[][], pass: Pass, hidden: number): LayerFeed {
  const B = rows.length;
  const S = pass.length;
  const add = new Float32Array(B * S * hidden);
  const dir = new Float32Array(B * hidden);
  const strength = new Float32Array(B * S);
  rows.forEach((specs, r) => {
    for (const spec of specs) {
      if (spec.kind === 'ablate') dir.set(spec.unit, r * hidden);
      for (let i = 0; i < S; i++) {
        if (!steered(spec.positions, pass, pass.start + i, r)) continue;
        if (spec.kind === 'ablate') strength[r * S + i] = spec.strength;
        else {
          const o = (r * S + i) * hidden;
          for (let d = 0; d < hidden; d++) add[o + d] += spec.scaled[d];
        }
      }
    }
  });
  return { add, ablateDir: dir, ablateStrength: strength, dims: { add: [B, S, hidden], dir: [B, hidden, 1], strength: [B, S, 1] } };
}

/** True when any spec touches a prompt position before the last one (so a cached prefix cannot be reused). */
export function touchesPrefix(specs: ResolvedSpec[]): boolean {
  return specs.some((s) => s.positions !== 'response');
}
