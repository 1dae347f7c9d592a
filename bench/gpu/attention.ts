/**
 * Single-operator attention graphs (com.microsoft MultiHeadAttention and GroupQueryAttention, as the
 * onnxruntime-genai builder layout uses them) run on one device and compared with a float64 causal
 * attention written here from the definition. The graphs hold nothing but the operator, so an error
 * is the kernel's own: this is the check behind `Decoder.prefillChunk` (onnxruntime-web 1.30's WebGPU
 * kernels went wrong at 32 or more query positions in one run on SwiftShader).
 */
import { DataType } from '../../src/engine/core/onnx/schema';
import { createSession, readData, tensor } from '../../src/engine/core/runtime/ort';
import type { Device } from '../../src/engine/shared/api';
import { GraphBuilder } from '../../tests/fixtures/graph';
import { maxRelErr } from '../../tests/helpers/compare';
import { promptIds } from '../harness';

export type AttentionOp = 'mha' | 'gqa';
export interface AttentionShape { heads: number; kvHeads: number; headDim: number }
export const ATTENTION_SHAPE: AttentionShape = { heads: 4, kvHeads: 2, headDim: 16 };

/** The operator alone: MHA gets an additive causal bias [1, 1, S, P + S] and past KV in full heads; GQA shares KV heads. */
export function attentionGraph(op: AttentionOp, s: AttentionShape): Uint8Array {
  const g = new GraphBuilder();
  const { heads: H, headDim: hd } = s;
  const kvH = op === 'gqa' ? s.kvHeads : H;
  const F = DataType.FLOAT;
  g.input('query', F, [1, 'S', H * hd]);
  g.input('key', F, [1, 'S', kvH * hd]);
  g.input('value', F, [1, 'S', kvH * hd]);
  g.input('past_key', F, [1, kvH, 'P', hd]);
  g.input('past_value', F, [1, kvH, 'P', hd]);
  const outputs = ['out', 'present_key', 'present_value'];
  const scale = { f: 1 / Math.sqrt(hd) };
  if (op === 'mha') {
    g.input('attention_bias', F, [1, 1, 'S', 'T']);
    g.node('MultiHeadAttention', ['query', 'key', 'value', '', '', 'attention_bias', 'past_key', 'past_value'], {
      domain: 'com.microsoft', outputs, attrs: { num_heads: { i: H }, scale },
    });
  } else {
    g.input('seqlens_k', DataType.INT32, [1]);
    g.input('total_sequence_length', DataType.INT32, []);
    g.node('GroupQueryAttention', ['query', 'key', 'value', 'past_key', 'past_value', 'seqlens_k', 'total_sequence_length'], {
      domain: 'com.microsoft', outputs, attrs: { num_heads: { i: H }, kv_num_heads: { i: kvH }, scale, do_rotary: { i: 0 } },
    });
  }
  g.output('out', F, [1, 'S', H * hd]);
  g.output('present_key', F, [1, kvH, 'T', hd]);
  g.output('present_value', F, [1, kvH, 'T', hd]);
  return g.toModel().model;
}

/** Deterministic values in [-1, 1). */
const values = (n: number, seed: number): Float32Array => Float32Array.from(promptIds(n, seed, 0, 1 << 16), (x) => x / (1 << 15) - 1);

export interface AttentionInputs { q: Float32Array; k: Float32Array; v: Float32Array; pastK: Float32Array; pastV: Float32Array; S: number; P: number; kvH: number }

export function attentionInputs(op: AttentionOp, s: AttentionShape, S: number, P: number, seed: number): AttentionInputs {
  const kvH = op === 'gqa' ? s.kvHeads : s.heads;
  const hd = s.headDim;
  return {
    q: values(S * s.heads * hd, seed), k: values(S * kvH * hd, seed + 1), v: values(S * kvH * hd, seed + 2),
    pastK: values(kvH * P * hd, seed + 3), pastV: values(kvH * P * hd, seed + 4), S, P, kvH,
  };
}

/**
 * Float64 causal attention: query s (absolute position P + s) sees keys 0..P + s; head h reads KV head
 * floor(h / (H / kvH)). Keys are the past [kvH, P, hd] followed by the new [S, kvH * hd]. Returns [S, H * hd].
 */
export function referenceAttention(x: AttentionInputs, s: AttentionShape): Float64Array {
  const { heads: H, headDim: hd } = s;
  const { S, P, kvH } = x;
  const T = P + S;
  const group = H / kvH;
  const keyAt = (src: 'k' | 'v', kh: number, t: number, i: number): number =>
    t < P ? (src === 'k' ? x.pastK : x.pastV)[(kh * P + t) * hd + i] : (src === 'k' ? x.k : x.v)[((t - P) * kvH + kh) * hd + i];
  const out = new Float64Array(S * H * hd);
  const scores = new Float64Array(T);
  for (let q = 0; q < S; q++) {
    for (let h = 0; h < H; h++) {
      const kh = Math.floor(h / group);
      const visible = P + q + 1;
      let max = -Infinity;
      for (let t = 0; t < visible; t++) {
        let dot = 0;
        for (let i = 0; i < hd; i++) dot += x.q[(q * H + h) * hd + i] * keyAt('k', kh, t, i);
        scores[t] = dot / Math.sqrt(hd);
        max = Math.max(max, scores[t]);
      }
      let sum = 0;
      for (let t = 0; t < visible; t++) sum += (scores[t] = Math.exp(scores[t] - max));
      for (let i = 0; i < hd; i++) {
        let acc = 0;
        for (let t = 0; t < visible; t++) acc += scores[t] * keyAt('v', kh, t, i);
        out[(q * H + h) * hd + i] = acc / sum;
      }
    }
  }
  return out;
}

function feeds(op: AttentionOp, x: AttentionInputs, s: AttentionShape) {
  const { S, P, kvH } = x;
  const hd = s.headDim;
  const T = P + S;
  const f = {
    query: tensor('float32', x.q, [1, S, s.heads * hd]),
    key: tensor('float32', x.k, [1, S, kvH * hd]),
    value: tensor('float32', x.v, [1, S, kvH * hd]),
    past_key: tensor('float32', x.pastK, [1, kvH, P, hd]),
    past_value: tensor('float32', x.pastV, [1, kvH, P, hd]),
  };
  if (op === 'gqa') {
    return { ...f, seqlens_k: tensor('int32', Int32Array.from([T - 1]), [1]), total_sequence_length: tensor('int32', Int32Array.from([T]), []) };
  }
  // The builder's bias: 0 where key t is visible to query q, the float32 lowest value elsewhere.
  const bias = new Float32Array(S * T);
  for (let q = 0; q < S; q++) for (let t = P + q + 1; t < T; t++) bias[q * T + t] = -3.4028234663852886e38;
  return { ...f, attention_bias: tensor('float32', bias, [1, 1, S, T]) };
}

export interface AttentionCase { op: AttentionOp; queries: number; past: number; maxRelErr: number; exact: boolean }

/** Runs each operator at each number of query positions (and past length) on `device`; exact = max rel. error < 1e-4. */
export async function attentionSweep(device: Device, queries: number[], pasts: number[], log: (m: string) => void, s = ATTENTION_SHAPE): Promise<AttentionCase[]> {
  const out: AttentionCase[] = [];
  for (const op of ['mha', 'gqa'] as const) {
    const session = await createSession(attentionGraph(op, s), { device, externalData: [], keepOnDevice: [] });
    try {
      for (const P of pasts) {
        for (const S of queries) {
          const x = attentionInputs(op, s, S, P, 7 * S + P);
          const res = await session.run(feeds(op, x, s), ['out']);
          const got = (await readData(res.out)) as Float32Array;
          const err = maxRelErr(got, referenceAttention(x, s));
          out.push({ op, queries: S, past: P, maxRelErr: err, exact: err < 1e-4 });
          log(`  ${op} ${device} S=${S} P=${P}: max rel. error ${err.toExponential(2)}`);
        }
      }
    } finally {
      await session.release();
    }
  }
  return out;
}
