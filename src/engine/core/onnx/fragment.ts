/**
 * What every graph edit of instrumentation shares: a fragment of new nodes and initializers appended to
 * the model (DESIGN 2.3), and the one way to put a subgraph between an existing node and the tensor it
 * writes without rewriting that node: rename its output in place (one byte) and let the fragment write
 * the old name. Several edits may intercept the same tensor (a LoRA branch and steering on the MLP output
 * that closes a layer); `Rewirer` chains them instead of renaming the same bytes twice.
 */
import protobuf from 'protobufjs';
import { EngineError } from '../../shared/errors';
import { DataType, type NodeSpec, type TensorSpec } from './schema';
import type { GraphNode, OnnxModelView } from './model';

export class Fragment {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: TensorSpec[] = [];
  private readonly external: Uint8Array[] = [];
  private externalLength = 0;
  constructor(private readonly prefix: string, private readonly externalLocation = 'steer-lab.fragment.data') {}
  op(opType: string, inputs: string[], attrs?: NodeSpec['attrs'], output?: string, domain?: string): string {
    const name = `${this.prefix}${opType}_${this.nodes.length}`;
    const out = output ?? `${name}_output_0`;
    this.nodes.push({ opType, inputs, outputs: [out], name, attrs, ...(domain ? { domain } : {}) });
    return out;
  }
  /** A node with `count` outputs, the first named `first`. */
  multi(opType: string, inputs: string[], count: number, first: string, attrs?: NodeSpec['attrs']): string[] {
    const name = `${this.prefix}${opType}_${this.nodes.length}`;
    const outputs = Array.from({ length: count }, (_, i) => (i === 0 ? first : `${name}_output_${i}`));
    this.nodes.push({ opType, inputs, outputs, name, attrs });
    return outputs;
  }
  toF32(x: string, half: boolean): string {
    return half ? this.op('Cast', [x], { to: { i: DataType.FLOAT } }) : x;
  }
  /**
   * A float32 initializer whose data goes to the fragment's external-data file (`externalData()`), not
   * into the graph: a model loaded into a buffer with little room after it (in-place instrumentation)
   * then still has room for the fragment, however large the weights.
   */
  f32(name: string, dims: number[], values: Float32Array): string {
    const raw = new Uint8Array(values.length * 4);
    const dv = new DataView(raw.buffer);
    values.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    this.initializers.push({ name, dataType: DataType.FLOAT, dims, raw: new Uint8Array(0), external: { location: this.externalLocation, offset: this.externalLength, length: raw.length } });
    this.external.push(raw);
    this.externalLength += raw.length;
    return name;
  }
  /** The bytes of every `f32` initializer, under the location their headers name; null when there are none. */
  externalData(): { path: string; data: Uint8Array } | null {
    if (!this.external.length) return null;
    const data = new Uint8Array(this.externalLength);
    let o = 0;
    for (const p of this.external) {
      data.set(p, o);
      o += p.length;
    }
    return { path: this.externalLocation, data };
  }
}

/** One byte of the model to overwrite. */
export interface ByteEdit { at: number; value: number }

/**
 * Renames, in place, the string `name` stored as field `field` (1 input, 2 output) of `node` to a name
 * of the same length (its first character changed) that no tensor uses: one byte changes, no field
 * changes length, so nothing around it moves.
 */
export function renameInPlace(view: OnnxModelView, node: GraphNode, field: 1 | 2, name: string, taken: Set<string>): { name: string; edit: ByteEdit } {
  const enc = new TextEncoder().encode(name);
  const r = protobuf.Reader.create(view.bytes);
  r.pos = node.body.start;
  while (r.pos < node.body.end) {
    const tag = r.uint32();
    if (tag >>> 3 !== field || (tag & 7) !== 2) {
      r.skipType(tag & 7);
      continue;
    }
    const len = r.uint32();
    const at = r.pos;
    r.pos += len;
    if (len !== enc.length || !enc.every((b, i) => view.bytes[at + i] === b)) continue;
    for (const c of '#$%&~^') {
      const renamed = c + name.slice(1);
      if (taken.has(renamed)) continue;
      taken.add(renamed);
      return { name: renamed, edit: { at, value: c.charCodeAt(0) } };
    }
  }
  throw new EngineError('unsupported-model', `Cannot rename "${name}" in node "${node.name}" to add the steering inputs.`);
}

/** Intercepts tensors written by the model's nodes, collecting the byte edits that does. */
export class Rewirer {
  readonly edits: ByteEdit[] = [];
  readonly taken: Set<string>;
  readonly producer = new Map<string, GraphNode>();
  private count = 0;
  constructor(private readonly view: OnnxModelView, private readonly f: Fragment) {
    this.taken = new Set(view.nodes.flatMap((n) => [...n.inputs, ...n.outputs]));
    for (const v of [...view.inputs, ...view.outputs]) this.taken.add(v.name);
    for (const name of view.initializers.keys()) this.taken.add(name);
    for (const n of view.nodes) for (const o of n.outputs) if (o) this.producer.set(o, n);
  }

  /**
   * Makes whatever writes `tensor` write a new name instead, and returns that name: the caller must then
   * write `tensor` itself (from the returned one). A tensor already intercepted by the fragment is
   * intercepted again from the fragment's node, so edits stack in the order they were made.
   */
  intercept(tensor: string, why: string): string {
    const ours = this.f.nodes.find((n) => n.outputs.includes(tensor));
    if (ours) {
      const fresh = `${tensor}/pre_${this.count++}`;
      ours.outputs = ours.outputs.map((o) => (o === tensor ? fresh : o));
      return fresh;
    }
    const from = this.producer.get(tensor);
    if (!from) throw new EngineError('unsupported-model', `The tensor "${tensor}" (${why}) has no producing node.`);
    const renamed = renameInPlace(this.view, from, 2, tensor, this.taken);
    this.edits.push(renamed.edit);
    return renamed.name;
  }

  /** Renames input `tensor` of `node` in place (the fragment must then write the new name). */
  renameInput(node: GraphNode, tensor: string): string {
    const renamed = renameInPlace(this.view, node, 1, tensor, this.taken);
    this.edits.push(renamed.edit);
    return renamed.name;
  }
}
