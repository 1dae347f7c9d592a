/**
 * A structure-only synthetic Llama-3.2-1B in the Optimum/torch (decomposed) q4f16 layout, written to
 * disk by streaming: the packed 4-bit weights are random bytes and the float16 tensors random small
 * values, generated chunk by chunk, so the ~1.2 GB file is never held in memory as floats (or at all).
 *
 * Dimensions are Llama-3.2-1B's: 16 layers, hidden 2048, 32 heads / 8 KV heads (head_dim 64),
 * intermediate 8192, vocab 128256, tied embeddings (the q4f16 export still carries its own quantized
 * lm_head MatMulNBits, as the hub file does). The node structure mirrors tests/fixtures/decomposedLayout.ts
 * (RMSNorm as Pow/ReduceMean/Add/Sqrt/Div/Mul with float32 statistics between Casts, rotary via
 * Gather/Slice/Neg/Concat, GQA repeat_kv, additive mask, float32 softmax, SiLU, float32 logits via a
 * final Cast); node bodies are encoded with src/engine/core/onnx/schema.ts.
 */
import { randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import protobuf from 'protobufjs';
import { DataType, ModelProto, TensorProto, encodeNode, encodeTensor, encodeValueInfo, type AttrValue } from '../src/engine/core/onnx/schema';
import { GraphBuilder } from '../tests/fixtures/graph';

export const LLAMA_1B = {
  numLayers: 16, hiddenSize: 2048, numHeads: 32, numKvHeads: 8, intermediateSize: 8192, vocabSize: 128256,
  maxPositions: 131072, ropeTheta: 500000, rmsEps: 1e-5, blockSize: 32,
} as const;
export type Dims = { [K in keyof typeof LLAMA_1B]: number };

/** A big initializer whose bytes are generated while writing. */
interface LazyTensor { name: string; dataType: number; dims: number[]; byteLength: number; fill: 'random' | 'f16' | 'zp' }

class Ctx {
  readonly g = new GraphBuilder();
  readonly lazy: LazyTensor[] = [];
  private constants = new Map<string, string>();
  constructor(readonly d: Dims) {}
  private shared(key: string, make: () => string): string {
    if (!this.constants.has(key)) this.constants.set(key, make());
    return this.constants.get(key)!;
  }
  f16(values: number[], dims: number[] = []): string {
    return this.shared(`f16:${values.join(',')}:${dims.join('x')}`, () => this.g.f16(`/const_f_${this.constants.size}`, dims, values));
  }
  f32(value: number): string {
    return this.shared(`f32:${value}`, () => this.g.f32(`/const_f32_${this.constants.size}`, [], [value]));
  }
  ints(values: number[], dims: number[] = [values.length]): string {
    return this.shared(`i:${values.join(',')}:${dims.join('x')}`, () => this.g.i64(`/const_i_${this.constants.size}`, dims, values));
  }
  big(name: string, dataType: number, dims: number[], bytesPerElem: number, fill: LazyTensor['fill']): string {
    const n = dims.reduce((a, b) => a * b, 1);
    this.lazy.push({ name, dataType, dims, byteLength: n * bytesPerElem, fill });
    return name;
  }
  op(opType: string, inputs: string[], name: string, attrs?: Record<string, AttrValue>, domain?: string): string {
    return this.g.op(opType, inputs, { name, attrs, domain });
  }
  cast(x: string, to: number, name: string): string {
    return this.op('Cast', [x], name, { to: { i: to } });
  }
}

/** x @ W as MatMulNBits with lazily written B / scales / zero points (onnxruntime's naming). */
function linear(c: Ctx, x: string, K: number, N: number, prefix: string, weight: string): string {
  const nBlocks = Math.ceil(K / c.d.blockSize);
  const b = c.big(`${weight}_Q4`, DataType.UINT8, [N, nBlocks, c.d.blockSize / 2], 1, 'random');
  const s = c.big(`${weight}_scales`, DataType.FLOAT16, [N * nBlocks], 2, 'f16');
  const zp = c.big(`${weight}_zero_points`, DataType.UINT8, [N * Math.ceil(nBlocks / 2)], 1, 'zp');
  return c.op('MatMulNBits', [x, b, s, zp], `${prefix}/MatMul_Q4`,
    { K: { i: K }, N: { i: N }, bits: { i: 4 }, block_size: { i: c.d.blockSize } }, 'com.microsoft');
}

function rmsNorm(c: Ctx, x: string, prefix: string, weight: string): string {
  const x32 = c.cast(x, DataType.FLOAT, `${prefix}/Cast`);
  const pow = c.op('Pow', [x32, c.f32(2)], `${prefix}/Pow`);
  const mean = c.op('ReduceMean', [pow], `${prefix}/ReduceMean`, { axes: { ints: [-1] }, keepdims: { i: 1 } });
  const inv = c.op('Div', [c.f32(1), c.op('Sqrt', [c.op('Add', [mean, c.f32(c.d.rmsEps)], `${prefix}/Add`)], `${prefix}/Sqrt`)], `${prefix}/Div`);
  const back = c.cast(c.op('Mul', [x32, inv], `${prefix}/Mul`), DataType.FLOAT16, `${prefix}/Cast_1`);
  const w = c.g.f16(weight, [c.d.hiddenSize], new Array(c.d.hiddenSize).fill(1));
  return c.op('Mul', [w, back], `${prefix}/Mul_1`);
}

interface Shared { cos: string; sin: string; mask: string }

function shared(c: Ctx): Shared {
  const hd = c.d.hiddenSize / c.d.numHeads;
  const P = Math.min(4096, c.d.maxPositions); // the rotary cache of the real export covers max_position_embeddings; 4096 keeps it small
  const gather = (name: string): string => {
    const init = c.big(`model.rotary_emb.${name}_cached`, DataType.FLOAT16, [P, hd], 2, 'f16');
    const rows = c.op('Gather', [init, 'position_ids'], `/model/rotary_emb/Gather_${name}`, { axis: { i: 0 } });
    return c.op('Unsqueeze', [rows, c.ints([1])], `/model/rotary_emb/Unsqueeze_${name}`);
  };
  const p = '/model/mask';
  const dim = (x: string, i: number, tag: string): string =>
    c.op('Gather', [c.op('Shape', [x], `${p}/Shape_${tag}`), c.ints([i], [])], `${p}/Gather_${tag}`, { axis: { i: 0 } });
  const total = dim('attention_mask', 1, 'total');
  const past = c.op('Sub', [total, dim('input_ids', 1, 'seq')], `${p}/Sub`);
  const keys = c.op('Range', [c.ints([0], []), total, c.ints([1], [])], `${p}/Range`);
  const queries = c.op('Range', [past, total, c.ints([1], [])], `${p}/Range_1`);
  const causal = c.op('LessOrEqual', [c.op('Unsqueeze', [keys, c.ints([0])], `${p}/Unsqueeze`), c.op('Unsqueeze', [queries, c.ints([1])], `${p}/Unsqueeze_1`)], `${p}/LessOrEqual`);
  const padOk = c.op('Unsqueeze', [c.cast('attention_mask', DataType.BOOL, `${p}/Cast`), c.ints([1, 2])], `${p}/Unsqueeze_2`);
  const mask = c.op('Where', [c.op('And', [causal, padOk], `${p}/And`), c.f16([0]), c.f16([-65504])], `${p}/Where`);
  return { cos: gather('cos'), sin: gather('sin'), mask };
}

function rope(c: Ctx, x: string, s: Shared, p: string): string {
  const hd = c.d.hiddenSize / c.d.numHeads;
  const x1 = c.op('Slice', [x, c.ints([0]), c.ints([hd / 2]), c.ints([3])], `${p}/Slice`);
  const x2 = c.op('Slice', [x, c.ints([hd / 2]), c.ints([1 << 30]), c.ints([3])], `${p}/Slice_1`);
  const rot = c.op('Concat', [c.op('Neg', [x2], `${p}/Neg`), x1], `${p}/Concat`, { axis: { i: -1 } });
  return c.op('Add', [c.op('Mul', [x, s.cos], `${p}/Mul`), c.op('Mul', [rot, s.sin], `${p}/Mul_1`)], `${p}/Add`);
}

function heads(c: Ctx, x: string, which: 'q' | 'k' | 'v', i: number, n: number): string {
  const hd = c.d.hiddenSize / c.d.numHeads;
  const y = linear(c, x, c.d.hiddenSize, n * hd, `/model/layers.${i}/self_attn/${which}_proj`, `model.layers.${i}.self_attn.${which}_proj.weight`);
  const r = c.op('Reshape', [y, c.ints([0, 0, n, hd])], `/model/layers.${i}/self_attn/Reshape_${which}`);
  return c.op('Transpose', [r], `/model/layers.${i}/self_attn/Transpose_${which}`, { perm: { ints: [0, 2, 1, 3] } });
}

function repeatKv(c: Ctx, x: string, p: string): string {
  const hd = c.d.hiddenSize / c.d.numHeads;
  const u = c.op('Unsqueeze', [x, c.ints([2])], `${p}/Unsqueeze`);
  const e = c.op('Expand', [u, c.ints([1, 1, c.d.numHeads / c.d.numKvHeads, 1, 1])], `${p}/Expand`);
  return c.op('Reshape', [e, c.ints([0, c.d.numHeads, -1, hd])], `${p}/Reshape`);
}

function layer(c: Ctx, resid: string, i: number, s: Shared): string {
  const p = `/model/layers.${i}`;
  const a = `${p}/self_attn`;
  const hd = c.d.hiddenSize / c.d.numHeads;
  const n1 = rmsNorm(c, resid, `${p}/input_layernorm`, `model.layers.${i}.input_layernorm.weight`);
  const q = rope(c, heads(c, n1, 'q', i, c.d.numHeads), s, `${a}/rotary_q`);
  const kNew = rope(c, heads(c, n1, 'k', i, c.d.numKvHeads), s, `${a}/rotary_k`);
  const vNew = heads(c, n1, 'v', i, c.d.numKvHeads);
  const k = c.g.node('Concat', [`past_key_values.${i}.key`, kNew], { name: `${a}/Concat_k`, outputs: [`present.${i}.key`], attrs: { axis: { i: 2 } } })[0];
  const v = c.g.node('Concat', [`past_key_values.${i}.value`, vNew], { name: `${a}/Concat_v`, outputs: [`present.${i}.value`], attrs: { axis: { i: 2 } } })[0];
  const kT = c.op('Transpose', [repeatKv(c, k, `${a}/repeat_k`)], `${a}/Transpose_kT`, { perm: { ints: [0, 1, 3, 2] } });
  const scores = c.op('Div', [c.op('MatMul', [q, kT], `${a}/MatMul`), c.f16([Math.sqrt(hd)])], `${a}/Div`);
  const probs32 = c.op('Softmax', [c.cast(c.op('Add', [scores, s.mask], `${a}/Add`), DataType.FLOAT, `${a}/Cast_softmax`)], `${a}/Softmax`, { axis: { i: -1 } });
  const ctx = c.op('MatMul', [c.cast(probs32, DataType.FLOAT16, `${a}/Cast_softmax_1`), repeatKv(c, v, `${a}/repeat_v`)], `${a}/MatMul_1`);
  const merged = c.op('Reshape', [c.op('Transpose', [ctx], `${a}/Transpose_ctx`, { perm: { ints: [0, 2, 1, 3] } }), c.ints([0, 0, c.d.hiddenSize])], `${a}/Reshape_ctx`);
  const attn = linear(c, merged, c.d.hiddenSize, c.d.hiddenSize, `${a}/o_proj`, `model.layers.${i}.self_attn.o_proj.weight`);
  const mid = c.op('Add', [resid, attn], `${p}/Add`);
  const n2 = rmsNorm(c, mid, `${p}/post_attention_layernorm`, `model.layers.${i}.post_attention_layernorm.weight`);
  const m = `${p}/mlp`;
  const lin = (x: string, w: 'gate' | 'up' | 'down', K: number, N: number) => linear(c, x, K, N, `${m}/${w}_proj`, `model.layers.${i}.mlp.${w}_proj.weight`);
  const gate = lin(n2, 'gate', c.d.hiddenSize, c.d.intermediateSize);
  const act = c.op('Mul', [gate, c.op('Sigmoid', [gate], `${m}/act_fn/Sigmoid`)], `${m}/act_fn/Mul`);
  const down = lin(c.op('Mul', [act, lin(n2, 'up', c.d.hiddenSize, c.d.intermediateSize)], `${m}/Mul`), 'down', c.d.intermediateSize, c.d.hiddenSize);
  return c.op('Add', [mid, down], `${p}/Add_1`);
}

function buildGraph(d: Dims): Ctx {
  const c = new Ctx(d);
  const { g } = c;
  const hd = d.hiddenSize / d.numHeads;
  g.input('input_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  g.input('attention_mask', DataType.INT64, ['batch_size', 'total_sequence_length']);
  g.input('position_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  for (let i = 0; i < d.numLayers; i++) for (const kv of ['key', 'value']) g.input(`past_key_values.${i}.${kv}`, DataType.FLOAT16, ['batch_size', d.numKvHeads, 'past_sequence_length', hd]);
  g.output('logits', DataType.FLOAT, ['batch_size', 'sequence_length', d.vocabSize]);
  for (let i = 0; i < d.numLayers; i++) for (const kv of ['key', 'value']) g.output(`present.${i}.${kv}`, DataType.FLOAT16, ['batch_size', d.numKvHeads, 'total_sequence_length', hd]);
  const embed = c.big('model.embed_tokens.weight', DataType.FLOAT16, [d.vocabSize, d.hiddenSize], 2, 'f16');
  let resid = c.op('Gather', [embed, 'input_ids'], '/model/embed_tokens/Gather', { axis: { i: 0 } });
  const s = shared(c);
  for (let i = 0; i < d.numLayers; i++) resid = layer(c, resid, i, s);
  const normed = rmsNorm(c, resid, '/model/norm', 'model.norm.weight');
  const logits16 = linear(c, normed, d.hiddenSize, d.vocabSize, '/lm_head', 'lm_head.weight');
  g.node('Cast', [logits16], { name: '/lm_head/Cast', outputs: ['logits'], attrs: { to: { i: DataType.FLOAT } } });
  return c;
}

const varint = (n: number): Uint8Array => protobuf.Writer.create().uint32(n).finish();
const tag = (field: number): Uint8Array => varint((field << 3) | 2);

/** Fills `buf` with the bytes of a lazy tensor (random q4 nibbles, small float16 values, zero points 8). */
function fillChunk(buf: Uint8Array, kind: LazyTensor['fill']): void {
  if (kind === 'zp') return void buf.fill(0x88);
  randomFillSync(buf);
  if (kind === 'f16') {
    // sign | exponent 9..10 | random mantissa: |x| in [2^-6, 2^-4), finite and model-like.
    const u16 = new Uint16Array(buf.buffer, buf.byteOffset, buf.byteLength >> 1);
    for (let i = 0; i < u16.length; i++) u16[i] = (u16[i] & 0x87ff) | 0x2400;
  }
}

export interface WrittenModel { path: string; bytes: number; seconds: number; built: boolean }

/** Writes the model to `path` unless an identical one (same stamp) is already there. */
export function ensureLlama1b(path: string, log: (s: string) => void = () => {}, dims: Dims = LLAMA_1B): WrittenModel {
  const stampPath = `${path}.stamp.json`;
  const stamp = JSON.stringify({ version: 1, dims });
  if (existsSync(path) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp) {
    return { path, bytes: statSync(path).size, seconds: 0, built: false };
  }
  log(`writing the structure-only Llama-3.2-1B q4f16 model to ${path} (one-off)…`);
  const t0 = performance.now();
  const c = buildGraph(dims);
  const { g } = c;
  // Graph body parts in file order; lazy tensors are (header, length) pairs streamed later.
  type Part = Uint8Array | LazyTensor;
  const parts: Part[] = [];
  for (const n of g.nodes) parts.push(tag(1), ...withLen(encodeNode(n)));
  parts.push(tag(2), ...withLen(new TextEncoder().encode('main_graph')));
  for (const t of g.inits) parts.push(tag(5), ...withLen(encodeTensor(t)));
  for (const t of c.lazy) {
    const header = TensorProto.encode(TensorProto.fromObject({ name: t.name, dataType: t.dataType, dims: t.dims })).finish();
    const dataHeader = new Uint8Array([...tag(9), ...varint(t.byteLength)]);
    parts.push(tag(5), varint(header.length + dataHeader.length + t.byteLength), header, dataHeader, t);
  }
  for (const v of g.inputs) parts.push(tag(11), ...withLen(encodeValueInfo(v)));
  for (const v of g.outputs) parts.push(tag(12), ...withLen(encodeValueInfo(v)));
  const graphLen = parts.reduce((n, p) => n + (p instanceof Uint8Array ? p.length : p.byteLength), 0);
  const head = ModelProto.encode(ModelProto.fromObject({
    irVersion: 8, producerName: 'steering-lab-bench',
    opsetImport: [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }],
  })).finish();

  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.partial`;
  const fd = openSync(tmp, 'w');
  let written = 0;
  const put = (b: Uint8Array) => { writeSync(fd, b); written += b.length; };
  try {
    put(head);
    put(tag(7));
    put(varint(graphLen));
    const chunk = new Uint8Array(16 << 20);
    for (const p of parts) {
      if (p instanceof Uint8Array) { put(p); continue; }
      for (let left = p.byteLength; left > 0;) {
        const n = Math.min(left, chunk.length);
        const view = chunk.subarray(0, n);
        fillChunk(view, p.fill);
        put(view);
        left -= n;
      }
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  writeFileSync(stampPath, stamp);
  const seconds = (performance.now() - t0) / 1000;
  log(`  ${(written / 1e9).toFixed(2)} GB in ${seconds.toFixed(1)} s`);
  return { path, bytes: written, seconds, built: true };
}

function withLen(body: Uint8Array): Uint8Array[] {
  return [varint(body.length), body];
}

