/**
 * Splits a wide 4-bit lm_head (MatMulNBits) into column chunks, for the wasm backend.
 *
 * Why: onnxruntime-web's wasm build has no packed n-bit GEMM kernel, so MatMulNBits dequantizes its
 * whole weight into a float32 scratch buffer on every run and then multiplies. For an lm_head that
 * buffer is vocabulary × hidden × 4 bytes (131 MB for a 32k × 1k head) and falls out of every cache
 * between the write and the read. Column chunks of a few MB each stay in cache: measured on the bench's
 * 32000 × 1024 head, one decode step's lm_head went from 174 ms to 129 ms, bit for bit the same logits
 * (each column is the same dot product; only which columns share the scratch buffer changes).
 *
 * How, without copying weights or deleting nodes (instrumentation edits the model in place): the
 * original node becomes chunk 0. Its N attribute is rewritten in place to the chunk width (as a
 * varint of the same byte length, padded with continuation bytes), its weight inputs are renamed by
 * one byte to the first pieces of the original initializers, which the graph fragment defines, and its output is
 * renamed; the fragment adds the other chunks and a Concat that writes the original output. One Split
 * per weight tensor cuts it into the chunks' pieces; it reads an initializer only, so onnxruntime folds
 * it at session creation, and the original initializers are then unused and not kept.
 */
import protobuf from 'protobufjs';
import type { GraphNode, OnnxModelView } from './model';
import type { AttrValue, NodeSpec } from './schema';
import { DataType } from './schema';
import type { ByteEdit } from './fragment';


/** What the splitter needs from the instrumenter's graph fragment. */
export interface SplitContext {
  view: OnnxModelView;
  /** Appends a node to the fragment; returns its output name. */
  op(opType: string, inputs: string[], attrs?: NodeSpec['attrs'], output?: string, domain?: string): string;
  /** Appends a node with `count` outputs (the first named `first`); returns their names. */
  multi(opType: string, inputs: string[], count: number, first: string, attrs?: NodeSpec['attrs']): string[];
  /** Renames string field `field` (1 input, 2 output) equal to `name` of `node` in place; returns the new name. */
  rename(node: GraphNode, field: 1 | 2, name: string): { name: string; edit: ByteEdit };
}

/**
 * The scratch-buffer size per chunk that the split aims at (bytes of float32 weights). 4 MB measured
 * best on the bench machine (1 MB chunks were as fast, 16 MB clearly slower).
 */
export const WASM_LM_HEAD_CHUNK_BYTES = 4 << 20;

interface IntAttr { value: number; at: number; length: number }

/** The node's attributes when all are ints (MatMulNBits has only ints), with where each value's varint lies. */
function intAttributes(bytes: Uint8Array, node: GraphNode): Map<string, IntAttr> | null {
  const out = new Map<string, IntAttr>();
  const r = protobuf.Reader.create(bytes);
  r.pos = node.body.start;
  while (r.pos < node.body.end) {
    const tag = r.uint32();
    if (tag >>> 3 !== 5 || (tag & 7) !== 2) {
      r.skipType(tag & 7);
      continue;
    }
    const end = r.uint32() + r.pos;
    let name = '';
    let value: IntAttr | null = null;
    while (r.pos < end) {
      const t = r.uint32();
      if (t >>> 3 === 1 && (t & 7) === 2) name = r.string();
      else if (t >>> 3 === 3 && (t & 7) === 0) {
        const at = r.pos;
        const v = r.int64();
        value = { value: typeof v === 'number' ? v : Number(v.toString()), at, length: r.pos - at };
      } else if (t >>> 3 === 20 && (t & 7) === 0) {
        if (r.uint32() !== 2) return null; // not an INT attribute
      } else r.skipType(t & 7);
    }
    if (!value) return null;
    out.set(name, value);
  }
  return out;
}

/** `value` as a varint of exactly `length` bytes (continuation bits pad a shorter one; protobuf readers accept it). */
function paddedVarint(value: number, length: number): number[] | null {
  const out: number[] = [];
  let v = value;
  for (let i = 0; i < length; i++) {
    out.push((v & 0x7f) | (i < length - 1 ? 0x80 : 0));
    v = Math.floor(v / 128);
  }
  return v === 0 ? out : null;
}

/**
 * Splits `lmHead` (already fed `input`, the selected hidden states) into chunks of about `chunkBytes`
 * of dequantized weight. Returns the byte edits to apply, or null (graph untouched) when the node is
 * not a plain 4-bit MatMulNBits on initializers, is narrow enough already, or shares its weight with
 * another node (tied embeddings: the slices would then be a second copy of the weight).
 */
export function splitLmHead(c: SplitContext, lmHead: GraphNode, input: string, chunkBytes: number): ByteEdit[] | null {
  const { view } = c;
  if (lmHead.opType !== 'MatMulNBits' || lmHead.domain !== 'com.microsoft') return null;
  const weights = lmHead.inputs.slice(1).filter(Boolean);
  if (lmHead.inputs.length > 4 || weights.length < 2) return null; // g_idx or bias: not split
  const inits = weights.map((w) => view.initializers.get(w));
  if (inits.some((i) => !i)) return null;
  if (weights.some((w) => view.nodes.some((n) => n !== lmHead && n.inputs.includes(w)))) return null;
  const opset = view.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;
  if (opset < 13) return null; // Split takes its sizes as an input from opset 13 (exports are newer)
  const attrs = intAttributes(view.bytes, lmHead);
  const N = attrs?.get('N')?.value;
  const K = attrs?.get('K')?.value;
  if (!attrs || !N || !K) return null;
  const width = Math.max(1, Math.floor(chunkBytes / (4 * K)));
  if (width >= N) return null;
  // Every weight tensor is laid out column by column (N outermost): a column range is a row range of dim 0.
  const perColumn = inits.map((i) => i!.dims[0] / N);
  if (perColumn.some((p) => !Number.isInteger(p) || p < 1)) return null;
  const nField = attrs.get('N')!;
  const padded = paddedVarint(width, nField.length);
  if (!padded) return null;

  const edits: ByteEdit[] = padded.map((value, i) => ({ at: nField.at + i, value }));
  const widths: number[] = [];
  for (let from = 0; from < N; from += width) widths.push(Math.min(width, N - from));
  // Chunk 0 is the original node, now reading each weight's first piece and writing a renamed output.
  const pieces = weights.map((w, k) => {
    const renamed = c.rename(lmHead, 1, w);
    edits.push(renamed.edit);
    const sizes = widths.map((n) => n * perColumn[k]);
    const split = c.op('Constant', [], { value: { t: { name: '', dataType: DataType.INT64, dims: [sizes.length], raw: new Uint8Array(BigInt64Array.from(sizes.map(BigInt)).buffer) } } });
    return c.multi('Split', [w, split], sizes.length, renamed.name, { axis: { i: 0 } });
  });
  const output = lmHead.outputs[0];
  const renamedOut = c.rename(lmHead, 2, output);
  edits.push(renamedOut.edit);
  const parts = [renamedOut.name];
  for (let j = 1; j < widths.length; j++) {
    const chunkAttrs: Record<string, AttrValue> = Object.fromEntries([...attrs].map(([k, a]) => [k, { i: k === 'N' ? widths[j] : a.value }]));
    parts.push(c.op('MatMulNBits', [input, ...pieces.map((p) => p[j])], chunkAttrs, undefined, 'com.microsoft'));
  }
  c.op('Concat', parts, { axis: { i: -1 } }, output);
  return edits;
}
