/**
 * Instruments a decoder graph for Steering Lab (DESIGN 2.3):
 *  - taps: `hook_embed`, `blocks.{L}.hook_resid_mid`, `blocks.{L}.hook_resid_post` as float32 graph outputs;
 *  - steering: in front of the node that closes layer L we add a delta to the block's branch, so the
 *    residual sum becomes h + delta with h the un-steered output of model.layers[L]. Each intervention
 *    kind (interventions/registry.ts) adds its term to the delta in registry order, from ordinary float32
 *    inputs `steer.{L}.<suffix>` it declares (broadcastable; idle layers are fed [1,1,…] values):
 *        add:    delta = add                          steer.{L}.add [batch, seq, D]
 *        ablate: delta −= strength · (h·u) u          steer.{L}.ablate_dir [batch, D, 1], .ablate_strength [batch, seq, 1]
 *        cap:    delta += (clamp(g·c) − g·c) c,  g = h + delta   steer.{L}.cap_dir, .cap_min, .cap_max
 * The maths runs in float32 whatever the body dtype; only the final delta is cast.
 */
import { EngineError } from '../../shared/errors';
import { DataType, GraphField, ModelField, encodeField, encodeNode, encodeTensor, encodeValueInfo } from './schema';
import { concat, isModelBuffer, readModel, slackAfter, varint, type GraphNode, type GraphValue, type OnnxModelView } from './model';
import { Fragment, renameInPlace, Rewirer, type ByteEdit } from './fragment';
import { addLoraBranches, LORA_STRENGTH } from './lora';
import type { LoraAdapter } from './loraAdapter';
import { findResidualStream, type ResidualStream } from './residual';
import { splitLmHead } from './splitLmHead';
import type { TapName } from '../../shared/api';
import { KINDS } from '../../shared/interventions/registry';

/** One layer's steering input names, keyed by the kinds' input keys ("add", "ablateDir", "capDir", …). */
export type SteerInputs = Record<string, string>;

export interface InstrumentedModel {
  bytes: Uint8Array;
  layout: ResidualStream['layout'];
  numLayers: number;
  hiddenSize: number;
  bodyDtype: ResidualStream['bodyDtype'];
  taps: TapName[];
  steer: SteerInputs[];
  /** The original graph inputs and outputs (dtypes as stored). */
  inputs: GraphValue[];
  outputs: GraphValue[];
  externalLocations: string[];
  /**
   * The int64 input [B, K] that picks, per row, the K positions whose logits the graph computes (the
   * logits output is then [B, K, V]; K = 0 computes none). Absent when the graph's lm_head was not found
   * or `selectLogits` was off: then every position's logits are computed.
   */
  logitsPositions?: string;
  /**
   * With an adapter: the float32 input [B, 1, 1] of per-row adapter strengths, the projections it
   * changes, and the adapter's weights as an external-data file the session must be given.
   */
  lora?: { strengthInput: string; targets: string[]; externalData: { path: string; data: Uint8Array } };
  /** Op types present in the graph (e.g. GroupQueryAttention changes how batches may be padded). */
  opTypes: string[];
  warnings: string[];
}

export const steerInputNames = (layer: number): SteerInputs =>
  Object.fromEntries(KINDS.flatMap((k) => k.inputs.map((i) => [i.key, `steer.${layer}.${i.suffix}`])));

export const tapNames = (numLayers: number): TapName[] => [
  'hook_embed',
  ...Array.from({ length: numLayers }, (_, l) => [`blocks.${l}.hook_resid_mid`, `blocks.${l}.hook_resid_post`] as TapName[]).flat(),
];

/** The steering subgraph for one layer, writing the steered branch to `output`. */
function steerLayer(f: Fragment, names: SteerInputs, residual: string, branch: string, half: boolean, output: string): string {
  const h = f.toF32(f.op('Add', [residual, branch]), half);
  let delta32: string | null = null;
  for (const kind of KINDS) delta32 = kind.graph(f, (key) => names[key], h, delta32);
  const delta = half ? f.op('Cast', [delta32!], { to: { i: DataType.FLOAT16 } }) : delta32!;
  return f.op('Add', [branch, delta], undefined, output);
}

function tapNode(f: Fragment, tensor: string, tap: TapName, half: boolean): void {
  if (half) f.op('Cast', [tensor], { to: { i: DataType.FLOAT } }, tap);
  else f.op('Identity', [tensor], undefined, tap);
}

function checkHidden(view: OnnxModelView, stream: ResidualStream, hiddenSize: number): void {
  for (const r of stream.nodes) {
    const gamma = view.initializers.get(r.node.inputs[2] ?? '');
    if (gamma && gamma.dims.length === 1 && gamma.dims[0] !== hiddenSize) {
      throw new EngineError('unsupported-model', `config.json says hidden_size ${hiddenSize} but the norm "${r.node.name}" has ${gamma.dims[0]} weights.`);
    }
  }
}

export interface InstrumentOptions {
  numLayers: number;
  hiddenSize: number;
  /**
   * Edit the caller's bytes where they lie when they come from `modelBuffer`: rename a few tensors byte
   * by byte and write the graph fragment into the room after them, so the weights are never copied.
   * The caller's bytes then hold the instrumented model (and no longer the original graph). For any
   * other bytes, or without this option, the model is copied once into a new buffer and edited there.
   */
  inPlace?: boolean;
  /**
   * Compute logits only at the positions fed in `logits_positions` (default true): the hidden states
   * are gathered per row in front of the lm_head, so a prompt pass pays the vocabulary projection for
   * the position it reads, or for none. Off: the original graph's logits at every position.
   */
  selectLogits?: boolean;
  /** A LoRA adapter to add as parallel branches whose strength is a per-row input (onnx/lora.ts). */
  lora?: LoraAdapter;
  /**
   * With `selectLogits`, split a 4-bit lm_head into column chunks of about this many bytes of
   * dequantized weight (see splitLmHead.ts; it helps onnxruntime's wasm kernels, not WebGPU's).
   * Absent: the lm_head stays one node.
   */
  lmHeadChunkBytes?: number;
}

export const LOGITS_POSITIONS = 'logits_positions';

/** The lm_head: the MatMul/MatMulNBits that writes `logits` (through Cast/Identity), if the graph has one. */
function findLmHead(view: OnnxModelView, producer: Map<string, GraphNode>): GraphNode | null {
  let node = producer.get('logits');
  while (node && (node.opType === 'Cast' || node.opType === 'Identity')) node = producer.get(node.inputs[0]);
  if (!node || (node.opType !== 'MatMul' && node.opType !== 'MatMulNBits')) return null;
  return view.initializers.has(node.inputs[0]) ? null : node;
}

/** hidden [B, S, D] → hidden at `positions` [B, K] per row: [B, K, D] (GatherElements over expanded indices). */
function selectPositions(f: Fragment, hidden: string, positions: string, hiddenSize: number, opset: number, output: string): void {
  const i64 = (name: string, values: number[]) => f.op('Constant', [], {
    value: { t: { name, dataType: DataType.INT64, dims: [values.length], raw: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) } },
  });
  const idx = opset >= 13
    ? f.op('Unsqueeze', [positions, i64('/steer/logits/axes', [2])])
    : f.op('Unsqueeze', [positions], { axes: { ints: [2] } });
  const expanded = f.op('Expand', [idx, i64('/steer/logits/shape', [1, 1, hiddenSize])]); // [B, K, D]
  f.op('GatherElements', [hidden, expanded], { axis: { i: 1 } }, output);
}

export function instrument(bytes: Uint8Array, opts: InstrumentOptions): InstrumentedModel {
  const view = readModel(bytes);
  return instrumentView(view, opts);
}

/**
 * Instruments without rewriting the graph: for each layer the producer of the closing node's branch
 * tensor B gets its output renamed in place to B' (one byte), and a graph fragment appended after the
 * model's last byte as a second ModelProto.graph field (protobuf merges it into the one graph) computes
 * B = B' + delta, the taps, and declares the new inputs and outputs.
 */
export function instrumentView(view: OnnxModelView, opts: InstrumentOptions): InstrumentedModel {
  const { numLayers, hiddenSize, inPlace = false, selectLogits = true, lmHeadChunkBytes } = opts;
  const stream = findResidualStream(view, numLayers);
  checkHidden(view, stream, hiddenSize);
  const half = stream.bodyDtype === 'float16';
  const f = new Fragment('/steer/');
  const newInputs: Uint8Array[] = [];
  const steer: SteerInputs[] = [];
  const rw = new Rewirer(view, f);
  // LoRA first: steering then intercepts the (LoRA-adjusted) branch it adds to, so both stack.
  const lora = opts.lora ? addLoraBranches(view, f, rw, opts.lora, { numLayers, half }) : null;
  if (lora) newInputs.push(encodeValueInfo(lora.input));
  const finalSum = `/steer/layers.${numLayers - 1}/resid_post`;
  const sumOf = (i: number): string => stream.nodes[i].sum ?? finalSum;

  for (let layer = 0; layer < numLayers; layer++) {
    const names = steerInputNames(layer);
    steer.push(names);
    // Every steering input gets dimension names of its own. onnxruntime takes equal names to mean equal
    // sizes and plans buffer reuse on that; idle layers are fed [1,1,D] while a steered one gets [B,S,D],
    // and a shared name made WebGPU reuse a [1,1,D] buffer for a [B,1,D] tensor (a failed run).
    for (const kind of KINDS) {
      for (const input of kind.inputs) {
        const name = names[input.key];
        const dims = input.shape.map((a) => (a === 'B' ? `${name}.batch` : a === 'S' ? `${name}.sequence` : a === 'D' ? hiddenSize : 1));
        newInputs.push(encodeValueInfo({ name, elemType: DataType.FLOAT, dims }));
      }
    }
    const closing = stream.nodes[2 * layer + 1];
    const branch = closing.node.inputs[closing.branchInput];
    const residual = closing.node.inputs[closing.residualInput];
    const renamed = rw.intercept(branch, `the branch "${closing.node.name}" adds to the residual stream`);
    steerLayer(f, names, residual, renamed, half, branch);
    // The final Skip norm of builder exports has no residual output: the tap adds the sum itself.
    if (!closing.sum) f.op('Add', [residual, branch], undefined, finalSum);
  }

  // Logits only where read: the lm_head's input is renamed in place to H' and the fragment writes
  // H' = the hidden states at the fed positions (the final norm still runs on every position: it is
  // per position and costs D, the projection V·D).
  const lmHead = selectLogits ? findLmHead(view, rw.producer) : null;
  if (lmHead) {
    const hidden = lmHead.inputs[0];
    const renamed = rw.renameInput(lmHead, hidden);
    const opset = view.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 13;
    selectPositions(f, hidden, LOGITS_POSITIONS, hiddenSize, opset, renamed);
    if (lmHeadChunkBytes) {
      const rename = (node: GraphNode, field: 1 | 2, name: string) => renameInPlace(view, node, field, name, rw.taken);
      rw.edits.push(...(splitLmHead({ view, op: (...a) => f.op(...a), multi: (...a) => f.multi(...a), rename }, lmHead, renamed, lmHeadChunkBytes) ?? []));
    }
    newInputs.push(encodeValueInfo({ name: LOGITS_POSITIONS, elemType: DataType.INT64, dims: [`${LOGITS_POSITIONS}.batch`, `${LOGITS_POSITIONS}.count`] }));
  }

  const taps = tapNames(numLayers);
  tapNode(f, stream.embed, 'hook_embed', half);
  for (let layer = 0; layer < numLayers; layer++) {
    tapNode(f, sumOf(2 * layer), `blocks.${layer}.hook_resid_mid`, half);
    tapNode(f, sumOf(2 * layer + 1), `blocks.${layer}.hook_resid_post`, half);
  }
  const tapOutputs = taps.map((t) => encodeValueInfo({ name: t, elemType: DataType.FLOAT, dims: ['batch_size', 'sequence_length', hiddenSize] }));

  const out = appendFragment(view.bytes, inPlace, rw.edits, [
    ...f.nodes.map((n) => encodeField(GraphField.node, encodeNode(n))),
    ...f.initializers.map((t) => encodeField(GraphField.initializer, encodeTensor(t))),
    ...newInputs.map((b) => encodeField(GraphField.input, b)),
    ...tapOutputs.map((b) => encodeField(GraphField.output, b)),
  ]);
  return {
    bytes: out,
    layout: stream.layout,
    numLayers,
    hiddenSize,
    bodyDtype: stream.bodyDtype,
    taps,
    steer,
    inputs: view.inputs,
    outputs: view.outputs,
    externalLocations: view.externalLocations,
    ...(lmHead ? { logitsPositions: LOGITS_POSITIONS } : {}),
    ...(lora ? { lora: { strengthInput: LORA_STRENGTH, targets: lora.targets, externalData: f.externalData()! } } : {}),
    opTypes: [...new Set(view.nodes.map((n) => n.opType))],
    warnings: stream.warnings,
  };
}

/** The model with `edits` applied and a graph field of `parts` appended: in the room after `bytes` when allowed and there is room, else in a copy. */
function appendFragment(bytes: Uint8Array, inPlace: boolean, edits: ByteEdit[], parts: Uint8Array[]): Uint8Array {
  const bodyLength = parts.reduce((n, p) => n + p.length, 0);
  const head = concat([varint((ModelField.graph << 3) | 2), varint(bodyLength)]);
  const total = bytes.length + head.length + bodyLength;
  let out: Uint8Array;
  if (inPlace && isModelBuffer(bytes) && slackAfter(bytes) >= total - bytes.length) out = new Uint8Array(bytes.buffer, bytes.byteOffset, total);
  else {
    out = new Uint8Array(total);
    out.set(bytes);
  }
  for (const e of edits) out[e.at] = e.value;
  let o = bytes.length;
  for (const p of [head, ...parts]) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
