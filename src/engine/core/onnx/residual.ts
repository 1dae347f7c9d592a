/**
 * Finds the residual stream of a decoder graph by walking it from the embedding (DESIGN 2.2),
 * whatever the export layout: plain `Add` residuals (Optimum/torch) or the residual sums of
 * `Skip*LayerNormalization` nodes (onnxruntime-genai builder). Names are only a cross-check.
 */
import { EngineError } from '../../shared/errors';
import { DataType } from './schema';
import type { GraphNode, OnnxModelView } from './model';

export interface ResidualNode {
  node: GraphNode;
  /** Which input carries the incoming residual stream, and which the block's branch. */
  residualInput: number;
  branchInput: number;
  /** The tensor holding residual + branch; null for a final Skip norm that never materialises it. */
  sum: string | null;
}

export interface ResidualStream {
  layout: 'decomposed' | 'builder';
  /** The embedding output (hook_embed). */
  embed: string;
  /** 2 per layer: node 2i closes attention (resid_mid), node 2i+1 closes the MLP (resid_post). */
  nodes: ResidualNode[];
  bodyDtype: 'float32' | 'float16';
  /** Name cross-check findings; not fatal. */
  warnings: string[];
}

const SKIP_NORMS = new Set(['SkipSimplifiedLayerNormalization', 'SkipLayerNormalization']);
const PASS_THROUGH = new Set(['Cast', 'Identity']);

interface GraphIndex { consumers: Map<string, GraphNode[]>; constants: Set<string>; producer: Map<string, GraphNode> }

function indexGraph(view: OnnxModelView): GraphIndex {
  const consumers = new Map<string, GraphNode[]>();
  const producer = new Map<string, GraphNode>();
  const constants = new Set<string>(view.initializers.keys());
  for (const n of view.nodes) {
    for (const i of n.inputs) if (i) (consumers.get(i) ?? consumers.set(i, []).get(i)!).push(n);
    for (const o of n.outputs) if (o) producer.set(o, n);
    if (n.opType === 'Constant') n.outputs.forEach((o) => constants.add(o));
  }
  return { consumers, constants, producer };
}

/** The tensor and every Cast/Identity copy of it, transitively: all are "the same" residual. */
function aliases(g: GraphIndex, tensor: string): Set<string> {
  const set = new Set([tensor]);
  const queue = [tensor];
  while (queue.length) {
    for (const c of g.consumers.get(queue.pop()!) ?? []) {
      if (PASS_THROUGH.has(c.opType) && c.outputs[0] && !set.has(c.outputs[0])) {
        set.add(c.outputs[0]);
        queue.push(c.outputs[0]);
      }
    }
  }
  return set;
}

function findEmbedding(view: OnnxModelView, g: GraphIndex): GraphNode {
  if (!view.inputs.some((i) => i.name === 'input_ids')) {
    throw new EngineError('unsupported-model', `This graph has no "input_ids" input (inputs: ${view.inputs.map((i) => i.name).join(', ') || 'none'}); it is not a decoder language model we can instrument.`);
  }
  const gathers = [...aliases(g, 'input_ids')].flatMap((t) => g.consumers.get(t) ?? [])
    .filter((n) => n.opType === 'Gather' || n.opType === 'GatherBlockQuantized');
  if (gathers.length !== 1) {
    throw new EngineError('unsupported-model', `Expected exactly one embedding lookup (Gather or GatherBlockQuantized) reading input_ids, found ${gathers.length}.`);
  }
  return gathers[0];
}

/** The residual node that consumes the current stream, if any (exactly one is allowed). */
function nextResidual(g: GraphIndex, stream: Set<string>): ResidualNode | null {
  const found: ResidualNode[] = [];
  for (const t of stream) {
    for (const n of g.consumers.get(t) ?? []) {
      if (n.opType === 'Add' && n.inputs.length === 2 && n.inputs.every((i) => !g.constants.has(i))) {
        const r = stream.has(n.inputs[0]) ? 0 : 1;
        found.push({ node: n, residualInput: r, branchInput: 1 - r, sum: n.outputs[0] });
      } else if (SKIP_NORMS.has(n.opType) && (stream.has(n.inputs[0]) || stream.has(n.inputs[1]))) {
        const r = stream.has(n.inputs[0]) ? 0 : 1;
        found.push({ node: n, residualInput: r, branchInput: 1 - r, sum: n.outputs[3] || null });
      }
    }
  }
  const unique = [...new Map(found.map((f) => [f.node.index, f])).values()];
  if (unique.length > 1) {
    throw new EngineError('unsupported-model', `The residual stream forks: ${unique.map((f) => `${f.node.opType} "${f.node.name}"`).join(' and ')} both add to it. Only sequential decoders are supported.`);
  }
  return unique[0] ?? null;
}

function bodyDtype(view: OnnxModelView, embed: GraphNode): 'float32' | 'float16' {
  const table = view.initializers.get(embed.inputs[0]);
  const scales = view.initializers.get(embed.inputs[2] ?? '');
  const type = table && (table.dataType === DataType.FLOAT || table.dataType === DataType.FLOAT16) ? table.dataType : scales?.dataType;
  if (type === DataType.FLOAT) return 'float32';
  if (type === DataType.FLOAT16) return 'float16';
  throw new EngineError('unsupported-model', `Cannot tell the residual stream's dtype from the embedding "${embed.name}" (data type ${type ?? 'unknown'}); expected float32 or float16.`);
}

/** Checks the walk against `/model/layers.N/` names when present; mismatches become warnings. */
function crossCheck(nodes: ResidualNode[]): string[] {
  const warnings: string[] = [];
  nodes.forEach((r, i) => {
    const m = /\/layers\.(\d+)\//.exec(r.node.name);
    if (!m) return;
    const layer = Number(m[1]);
    const isSkip = SKIP_NORMS.has(r.node.opType);
    // Builder layout: the norm that closes layer i's MLP is named after layer i+1.
    const expected = isSkip && i % 2 === 1 ? (i + 1) / 2 : Math.floor(i / 2);
    if (layer !== expected) warnings.push(`residual node ${i} "${r.node.name}" is named for layer ${layer}, the walk puts it in layer ${Math.floor(i / 2)}`);
  });
  return warnings;
}

export function findResidualStream(view: OnnxModelView, numLayers: number): ResidualStream {
  const g = indexGraph(view);
  const embedNode = findEmbedding(view, g);
  const embed = embedNode.outputs[0];
  const nodes: ResidualNode[] = [];
  let stream = aliases(g, embed);
  for (;;) {
    const r = nextResidual(g, stream);
    if (!r) break;
    nodes.push(r);
    if (!r.sum) break; // a final Skip norm without output 3 ends the stream
    stream = aliases(g, r.sum);
  }
  if (nodes.length !== 2 * numLayers) {
    throw new EngineError('unsupported-model', `Expected 2 residual additions per decoder layer (${2 * numLayers} for ${numLayers} layers), found ${nodes.length} walking from the embedding. This graph's layout is not one we can instrument.`);
  }
  const layout = nodes.some((n) => SKIP_NORMS.has(n.node.opType)) ? 'builder' : 'decomposed';
  return { layout, embed, nodes, bodyDtype: bodyDtype(view, embedNode), warnings: crossCheck(nodes) };
}
