/**
 * LoRA by graph edit: for each projection an adapter targets, the projection's output Y becomes
 *     Y + ((x · Aᵀ) ⊙ strength) · (scale · Bᵀ)
 * a float32 branch beside the original weight, whatever that weight is (float MatMul or a 4-bit
 * MatMulNBits): the base weights are never touched, so strength 0 is exactly the base model. The strength
 * is one float32 input [B, 1, 1], one value per batch row: base (0), fine-tuned (1) and blends run as rows
 * of one batch. Builder exports that pack q/k/v into one projection get one branch with the three
 * adapters side by side (A stacked by rank, B block-diagonal, zeros where a module has no adapter).
 */
import protobuf from 'protobufjs';
import { EngineError } from '../../shared/errors';
import { DataType, type ValueSpec } from './schema';
import type { Fragment, Rewirer } from './fragment';
import type { GraphNode, OnnxModelView } from './model';
import type { LoraAdapter, LoraModule, LoraWeight } from './loraAdapter';

export const LORA_STRENGTH = 'lora.strength';

/** `/model/layers.N/self_attn/q_proj/MatMul` (Optimum) or `/model/layers.N/attn/qkv_proj/MatMul` (builder); q4 exports add suffixes. */
const PROJECTION = /\/layers\.(\d+)\/(?:self_attn|attn|mlp)\/(\w+_proj)\/MatMul/;

interface Projection { node: GraphNode; inFeatures: number; outFeatures: number }

/** An int attribute of a node, read from its bytes (GraphNode keeps no attributes). */
function intAttr(view: OnnxModelView, node: GraphNode, name: string): number | undefined {
  const r = protobuf.Reader.create(view.bytes.subarray(node.body.start, node.body.end));
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 !== 5 || (tag & 7) !== 2) {
      r.skipType(tag & 7);
      continue;
    }
    const end = r.uint32() + r.pos;
    let attr = '';
    let value: number | undefined;
    while (r.pos < end) {
      const t = r.uint32();
      if (t >>> 3 === 1 && (t & 7) === 2) attr = r.string();
      else if (t >>> 3 === 3 && (t & 7) === 0) value = Number(r.int64());
      else r.skipType(t & 7);
    }
    if (attr === name) return value;
  }
  return undefined;
}

/** [in, out] of a projection node, from its float weight or from MatMulNBits' K and N. */
function projectionOf(view: OnnxModelView, node: GraphNode): Projection | null {
  if (node.opType === 'MatMulNBits') {
    const K = intAttr(view, node, 'K');
    const N = intAttr(view, node, 'N');
    return K && N ? { node, inFeatures: K, outFeatures: N } : null;
  }
  const w = view.initializers.get(node.inputs[1] ?? '');
  return node.opType === 'MatMul' && w?.dims.length === 2 ? { node, inFeatures: w.dims[0], outFeatures: w.dims[1] } : null;
}

function findProjections(view: OnnxModelView): Map<string, Projection> {
  const out = new Map<string, Projection>();
  for (const node of view.nodes) {
    const m = PROJECTION.exec(node.name);
    if (!m || (node.opType !== 'MatMul' && node.opType !== 'MatMulNBits')) continue;
    const p = projectionOf(view, node);
    if (p) out.set(`${m[1]}.${m[2]}`, p);
  }
  return out;
}

/** [rows, cols] → [cols, rows], times `scale`. */
function transposed(m: Float32Array, rows: number, cols: number, scale = 1): Float32Array {
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c] * scale;
  return out;
}

interface Branch { aT: Float32Array; bT: Float32Array; rank: number; inFeatures: number; outFeatures: number }

const single = (w: LoraWeight, scale: number): Branch => ({
  aT: transposed(w.a, w.rank, w.inFeatures), // [in, r]
  bT: transposed(w.b, w.outFeatures, w.rank, scale), // [r, out]
  rank: w.rank, inFeatures: w.inFeatures, outFeatures: w.outFeatures,
});

/** q, k, v adapters of one packed qkv projection as one branch: output columns [q | k | v]. */
function packed(ws: Partial<Record<LoraModule, LoraWeight>>, scale: number, p: Projection, where: string): Branch {
  const kv = ws.k_proj?.outFeatures ?? ws.v_proj?.outFeatures;
  const q = ws.q_proj?.outFeatures ?? (kv === undefined ? undefined : p.outFeatures - 2 * kv);
  const kvSize = kv ?? (p.outFeatures - q!) / 2;
  if (q === undefined || q <= 0 || !Number.isInteger(kvSize) || q + 2 * kvSize !== p.outFeatures) {
    throw new EngineError('bad-input', `LoRA adapter: ${where}: the adapter's q/k/v sizes do not add up to the packed qkv projection's ${p.outFeatures} outputs.`);
  }
  const parts = (['q_proj', 'k_proj', 'v_proj'] as const).map((m, i) => ({ w: ws[m], offset: [0, q, q + kvSize][i] }));
  const rank = parts.reduce((n, x) => n + (x.w?.rank ?? 0), 0);
  const aT = new Float32Array(p.inFeatures * rank);
  const bT = new Float32Array(rank * p.outFeatures);
  let r0 = 0;
  for (const { w, offset } of parts) {
    if (!w) continue;
    const b = single(w, scale);
    for (let k = 0; k < p.inFeatures; k++) aT.set(b.aT.subarray(k * w.rank, (k + 1) * w.rank), k * rank + r0);
    for (let r = 0; r < w.rank; r++) bT.set(b.bT.subarray(r * w.outFeatures, (r + 1) * w.outFeatures), (r0 + r) * p.outFeatures + offset);
    r0 += w.rank;
  }
  return { aT, bT, rank, inFeatures: p.inFeatures, outFeatures: p.outFeatures };
}

function checkShape(w: LoraWeight, p: Projection, adapter: LoraAdapter, outFeatures = p.outFeatures): void {
  if (w.inFeatures === p.inFeatures && w.outFeatures === outFeatures) return;
  const what = adapter.baseModel ? `; it was trained for ${adapter.baseModel}, is that the model loaded?` : '; it was trained for another base model.';
  throw new EngineError('bad-input', `LoRA adapter: layers.${w.layer}.${w.module} maps ${w.inFeatures} → ${w.outFeatures} features but the model's ${w.module} maps ${p.inFeatures} → ${outFeatures}${what}`);
}

/**
 * Adds the adapter's branches to `f` (intercepting each projection's output through `rw`). Returns the
 * strength input to declare and the projections changed (node names).
 */
export function addLoraBranches(view: OnnxModelView, f: Fragment, rw: Rewirer, adapter: LoraAdapter, opts: { numLayers: number; half: boolean }): { input: ValueSpec; targets: string[] } {
  const projections = findProjections(view);
  const base = adapter.baseModel ? ` (trained for ${adapter.baseModel})` : '';
  const byNode = new Map<GraphNode, { p: Projection; weights: LoraWeight[]; packed: boolean }>();
  for (const w of adapter.weights) {
    if (w.layer >= opts.numLayers) throw new EngineError('bad-input', `LoRA adapter${base}: it has weights for layer ${w.layer}, but this model has ${opts.numLayers} layers (0..${opts.numLayers - 1}); it belongs to another base model.`);
    const own = projections.get(`${w.layer}.${w.module}`);
    const qkv = ['q_proj', 'k_proj', 'v_proj'].includes(w.module) ? projections.get(`${w.layer}.qkv_proj`) : undefined;
    const p = own ?? qkv;
    if (!p) {
      const found = [...projections.keys()].filter((k) => k.startsWith(`${w.layer}.`)).map((k) => k.split('.')[1]);
      throw new EngineError('bad-input', `LoRA adapter${base}: it targets ${w.module} in layer ${w.layer}, but the graph has no such projection there (found: ${found.join(', ') || 'none'}).`);
    }
    if (!own) {
      if (w.inFeatures !== p.inFeatures) checkShape(w, p, adapter, w.outFeatures);
    } else checkShape(w, p, adapter);
    const entry = byNode.get(p.node) ?? { p, weights: [], packed: !own };
    entry.weights.push(w);
    byNode.set(p.node, entry);
  }
  const targets: string[] = [];
  for (const { p, weights, packed: isPacked } of byNode.values()) {
    const where = `layers.${weights[0].layer}.qkv_proj`;
    const b = isPacked ? packed(Object.fromEntries(weights.map((w) => [w.module, w])), adapter.scale, p, where) : single(weights[0], adapter.scale);
    const prefix = `lora.${p.node.name.replace(/^\//, '').replace(/\//g, '.')}`;
    const aT = f.f32(`${prefix}.A_T`, [b.inFeatures, b.rank], b.aT);
    const bT = f.f32(`${prefix}.B_T_scaled`, [b.rank, b.outFeatures], b.bT);
    const y = p.node.outputs[0];
    const low = f.op('MatMul', [f.toF32(p.node.inputs[0], opts.half), aT]); // [B, S, r]
    const weighted = f.op('Mul', [low, LORA_STRENGTH]); // per-row strength [B, 1, 1]
    const up = f.op('MatMul', [weighted, bT]); // [B, S, out]
    const delta = opts.half ? f.op('Cast', [up], { to: { i: DataType.FLOAT16 } }) : up;
    f.op('Add', [rw.intercept(y, `the output of ${p.node.name}`), delta], undefined, y);
    targets.push(p.node.name);
  }
  return { input: { name: LORA_STRENGTH, elemType: DataType.FLOAT, dims: [`${LORA_STRENGTH}.batch`, 1, 1] }, targets };
}
