/**
 * Instruments a decoder graph for Steering Lab (DESIGN 2.3):
 *  - taps: `hook_embed`, `blocks.{L}.hook_resid_mid`, `blocks.{L}.hook_resid_post` as float32 graph outputs;
 *  - steering: in front of the node that closes layer L we add a delta to the block's branch, so the
 *    residual sum becomes h + delta with h the un-steered output of model.layers[L]. The delta is
 *        delta = add − strength · (h·u) u
 *    from three ordinary float32 inputs (broadcastable; feed [1,1,D] zeros when a layer is idle):
 *        steer.{L}.add             [batch, seq, D]  (coeff·v summed over specs, position-masked)
 *        steer.{L}.ablate_dir      [batch, D, 1]    (unit direction u per row)
 *        steer.{L}.ablate_strength [batch, seq, 1]  (position-masked strength)
 * The ablation maths runs in float32 whatever the body dtype; only the final delta is cast.
 */
import { EngineError } from '../errors';
import { DataType, encodeNode, encodeValueInfo, type NodeSpec } from './schema';
import { editNodeBody, readModel, writeModel, type GraphValue, type OnnxModelView } from './model';
import { findResidualStream, type ResidualStream } from './residual';
import type { TapName } from '../api';

export interface SteerInputs { add: string; ablateDir: string; ablateStrength: string }

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
  /** Op types present in the graph (e.g. GroupQueryAttention changes how batches may be padded). */
  opTypes: string[];
  warnings: string[];
}

export const steerInputNames = (layer: number): SteerInputs => ({
  add: `steer.${layer}.add`,
  ablateDir: `steer.${layer}.ablate_dir`,
  ablateStrength: `steer.${layer}.ablate_strength`,
});

export const tapNames = (numLayers: number): TapName[] => [
  'hook_embed',
  ...Array.from({ length: numLayers }, (_, l) => [`blocks.${l}.hook_resid_mid`, `blocks.${l}.hook_resid_post`] as TapName[]).flat(),
];

class Fragment {
  readonly nodes: NodeSpec[] = [];
  constructor(private readonly prefix: string) {}
  op(opType: string, inputs: string[], attrs?: NodeSpec['attrs'], output?: string): string {
    const name = `${this.prefix}${opType}_${this.nodes.length}`;
    const out = output ?? `${name}_output_0`;
    this.nodes.push({ opType, inputs, outputs: [out], name, attrs });
    return out;
  }
  toF32(x: string, half: boolean): string {
    return half ? this.op('Cast', [x], { to: { i: DataType.FLOAT } }) : x;
  }
}

/** The steering subgraph for one layer; returns the new branch tensor name. */
function steerLayer(f: Fragment, names: SteerInputs, residual: string, branch: string, half: boolean): string {
  const h = f.toF32(f.op('Add', [residual, branch]), half);
  const proj = f.op('MatMul', [h, names.ablateDir]); // [B,S,1] = h·u
  const scaled = f.op('Mul', [proj, names.ablateStrength]);
  const uRow = f.op('Transpose', [names.ablateDir], { perm: { ints: [0, 2, 1] } }); // [B,1,D]
  const ablation = f.op('MatMul', [scaled, uRow]); // [B,S,D]
  const delta32 = f.op('Sub', [names.add, ablation]);
  const delta = half ? f.op('Cast', [delta32], { to: { i: DataType.FLOAT16 } }) : delta32;
  return f.op('Add', [branch, delta]);
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

export interface InstrumentOptions { numLayers: number; hiddenSize: number }

export function instrument(bytes: Uint8Array, opts: InstrumentOptions): InstrumentedModel {
  const view = readModel(bytes);
  return instrumentView(view, opts);
}

export function instrumentView(view: OnnxModelView, { numLayers, hiddenSize }: InstrumentOptions): InstrumentedModel {
  const stream = findResidualStream(view, numLayers);
  checkHidden(view, stream, hiddenSize);
  const half = stream.bodyDtype === 'float16';
  const f = new Fragment('/steer/');
  const replace = new Map<number, Uint8Array>();
  const newInputs: Uint8Array[] = [];
  const steer: SteerInputs[] = [];
  const sumOf = (i: number): string => stream.nodes[i].sum ?? `/steer/layers.${numLayers - 1}/resid_post`;

  for (let layer = 0; layer < numLayers; layer++) {
    const names = steerInputNames(layer);
    steer.push(names);
    // Every steering input gets dimension names of its own. onnxruntime takes equal names to mean equal
    // sizes and plans buffer reuse on that; idle layers are fed [1,1,D] while a steered one gets [B,S,D],
    // and a shared name made WebGPU reuse a [1,1,D] buffer for a [B,1,D] tensor (a failed run).
    newInputs.push(
      encodeValueInfo({ name: names.add, elemType: DataType.FLOAT, dims: [`${names.add}.batch`, `${names.add}.sequence`, hiddenSize] }),
      encodeValueInfo({ name: names.ablateDir, elemType: DataType.FLOAT, dims: [`${names.ablateDir}.batch`, hiddenSize, 1] }),
      encodeValueInfo({ name: names.ablateStrength, elemType: DataType.FLOAT, dims: [`${names.ablateStrength}.batch`, `${names.ablateStrength}.sequence`, 1] }),
    );
    const closing = stream.nodes[2 * layer + 1];
    const inputs = [...closing.node.inputs];
    inputs[closing.branchInput] = steerLayer(f, names, inputs[closing.residualInput], inputs[closing.branchInput], half);
    // The final Skip norm of builder exports has no residual output: give it output 3 so the tap exists.
    const outputs = closing.sum ? undefined : [closing.node.outputs[0] ?? '', '', '', sumOf(2 * layer + 1)];
    replace.set(closing.node.index, editNodeBody(view, closing.node, { inputs, outputs }));
  }

  const taps = tapNames(numLayers);
  tapNode(f, stream.embed, 'hook_embed', half);
  for (let layer = 0; layer < numLayers; layer++) {
    tapNode(f, sumOf(2 * layer), `blocks.${layer}.hook_resid_mid`, half);
    tapNode(f, sumOf(2 * layer + 1), `blocks.${layer}.hook_resid_post`, half);
  }
  const tapOutputs = taps.map((t) => encodeValueInfo({ name: t, elemType: DataType.FLOAT, dims: ['batch_size', 'sequence_length', hiddenSize] }));

  const out = writeModel(view, {
    replaceNodes: replace,
    appendNodes: f.nodes.map(encodeNode),
    appendInputs: newInputs,
    appendOutputs: tapOutputs,
  });
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
    opTypes: [...new Set(view.nodes.map((n) => n.opType))],
    warnings: stream.warnings,
  };
}
