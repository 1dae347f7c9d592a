/**
 * A lazy view of an ONNX ModelProto and a byte-level editor for it.
 *
 * Real models are up to ~1.1 GB in one file, almost all of it initializer bytes. We never decode
 * those: the reader records byte spans of every graph field and decodes only nodes, graph
 * inputs/outputs and initializer headers. The writer copies untouched spans, re-emits edited
 * nodes and appends new fields, producing the new model in one allocation.
 */
import protobuf from 'protobufjs';
import { EngineError } from '../../shared/errors';
import { GraphField, ModelField, ValueInfoProto, encodeField, type Dim } from './schema';

export interface Span { start: number; end: number }

export interface GraphNode {
  index: number;
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** The whole node field (tag + length + body) in the model bytes. */
  span: Span;
  body: Span;
}

export interface GraphValue { name: string; elemType: number; dims: Dim[] }

export interface Initializer {
  name: string;
  dataType: number;
  dims: number[];
  external?: { location: string; offset: number; length: number };
}

export interface OnnxModelView {
  bytes: Uint8Array;
  opsets: { domain: string; version: number }[];
  nodes: GraphNode[];
  inputs: GraphValue[];
  outputs: GraphValue[];
  initializers: Map<string, Initializer>;
  /** Locations of external-data files named by initializers, as stored in the model. */
  externalLocations: string[];
  /** The first graph field (tag + length + body). */
  graphSpan: Span;
  /**
   * Every graph field of the model. Protobuf merges repeated occurrences of an embedded message, so a
   * graph fragment appended after the model's last byte (in-place instrumentation) is part of the one
   * graph onnxruntime sees; the reader merges them the same way.
   */
  graphSpans: Span[];
  /** Spans of every field of the graph body (of every graph field), in file order, with their field numbers. */
  graphFields: { field: number; span: Span }[];
}

const utf8 = new TextDecoder();

/** Reads field headers one by one; `fn` gets the field number, wire type and value span. */
function scan(r: protobuf.Reader, end: number, fn: (field: number, wire: number, fieldStart: number) => void): void {
  while (r.pos < end) {
    const fieldStart = r.pos;
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 0) throw new Error(`invalid field 0 at byte ${fieldStart}`);
    fn(field, wire, fieldStart);
  }
  if (r.pos !== end) throw new Error(`field overruns its message at byte ${r.pos}`);
}

function readSpan(r: protobuf.Reader): Span {
  const len = r.uint32();
  const start = r.pos;
  if (start + len > r.len) throw new Error(`a field of ${len} bytes runs past the end of the file`);
  r.pos = start + len;
  return { start, end: start + len };
}

const str = (bytes: Uint8Array, s: Span): string => utf8.decode(bytes.subarray(s.start, s.end));

function readNode(bytes: Uint8Array, r: protobuf.Reader, index: number, span: Span, body: Span): GraphNode {
  const node: GraphNode = { index, name: '', opType: '', domain: '', inputs: [], outputs: [], span, body };
  r.pos = body.start;
  scan(r, body.end, (field, wire) => {
    if (wire !== 2) return void r.skipType(wire);
    const s = readSpan(r);
    if (field === 1) node.inputs.push(str(bytes, s));
    else if (field === 2) node.outputs.push(str(bytes, s));
    else if (field === 3) node.name = str(bytes, s);
    else if (field === 4) node.opType = str(bytes, s);
    else if (field === 7) node.domain = str(bytes, s);
  });
  return node;
}

function readInitializer(bytes: Uint8Array, r: protobuf.Reader, body: Span): Initializer {
  const init: Initializer = { name: '', dataType: 0, dims: [] };
  const ext: Record<string, string> = {};
  r.pos = body.start;
  scan(r, body.end, (field, wire) => {
    if (field === 1 && wire === 0) init.dims.push(Number(r.int64()));
    else if (field === 1 && wire === 2) {
      const s = readSpan(r);
      const sub = protobuf.Reader.create(bytes.subarray(s.start, s.end));
      while (sub.pos < sub.len) init.dims.push(Number(sub.int64()));
    } else if (field === 2 && wire === 0) init.dataType = r.int32();
    else if (field === 8 && wire === 2) init.name = str(bytes, readSpan(r));
    else if (field === 13 && wire === 2) {
      const s = readSpan(r);
      const sub = protobuf.Reader.create(bytes.subarray(s.start, s.end));
      let key = '';
      let value = '';
      scan(sub, sub.len, (f, w) => {
        if (w !== 2) return void sub.skipType(w);
        const v = sub.string();
        if (f === 1) key = v;
        else if (f === 2) value = v;
      });
      ext[key] = value;
    } else r.skipType(wire);
  });
  if (ext.location !== undefined) {
    init.external = { location: ext.location, offset: Number(ext.offset ?? 0), length: Number(ext.length ?? -1) };
  }
  return init;
}

function readValue(bytes: Uint8Array, body: Span): GraphValue {
  const v = ValueInfoProto.decode(bytes.subarray(body.start, body.end)) as unknown as {
    name: string;
    type?: { tensorType?: { elemType?: number; shape?: { dim?: { dimValue?: number | { toNumber(): number }; dimParam?: string }[] } } };
  };
  const t = v.type?.tensorType;
  const dims = (t?.shape?.dim ?? []).map((d) =>
    d.dimParam ? d.dimParam : typeof d.dimValue === 'object' ? d.dimValue.toNumber() : Number(d.dimValue ?? 0),
  );
  return { name: v.name, elemType: t?.elemType ?? 0, dims };
}

function readOpset(bytes: Uint8Array, body: Span): { domain: string; version: number } {
  const r = protobuf.Reader.create(bytes.subarray(body.start, body.end));
  const o = { domain: '', version: 0 };
  scan(r, r.len, (f, w) => {
    if (f === 1 && w === 2) o.domain = r.string();
    else if (f === 2 && w === 0) o.version = Number(r.int64());
    else r.skipType(w);
  });
  return o;
}

function readGraph(bytes: Uint8Array, r: protobuf.Reader, body: Span, view: OnnxModelView): void {
  r.pos = body.start;
  scan(r, body.end, (field, wire, fieldStart) => {
    if (wire !== 2) return void r.skipType(wire);
    const inner = readSpan(r);
    const span = { start: fieldStart, end: inner.end };
    const here = r.pos;
    view.graphFields.push({ field, span });
    if (field === GraphField.node) view.nodes.push(readNode(bytes, r, view.nodes.length, span, inner));
    else if (field === GraphField.initializer) {
      const init = readInitializer(bytes, r, inner);
      view.initializers.set(init.name, init);
    } else if (field === GraphField.input) view.inputs.push(readValue(bytes, inner));
    else if (field === GraphField.output) view.outputs.push(readValue(bytes, inner));
    r.pos = here;
  });
}

/** Parses the structure of an ONNX model without decoding weights. Throws 'load-failed' on broken bytes. */
export function readModel(bytes: Uint8Array): OnnxModelView {
  const view: OnnxModelView = {
    bytes,
    opsets: [],
    nodes: [],
    inputs: [],
    outputs: [],
    initializers: new Map(),
    externalLocations: [],
    graphSpan: { start: 0, end: 0 },
    graphSpans: [],
    graphFields: [],
  };
  try {
    const r = protobuf.Reader.create(bytes);
    scan(r, bytes.length, (field, wire, fieldStart) => {
      if (wire !== 2) return void r.skipType(wire);
      const inner = readSpan(r);
      const here = r.pos;
      if (field === ModelField.graph) {
        view.graphSpans.push({ start: fieldStart, end: inner.end });
        readGraph(bytes, r, inner, view);
      } else if (field === ModelField.opsetImport) view.opsets.push(readOpset(bytes, inner));
      r.pos = here;
    });
    if (!view.graphSpans.length) throw new Error('it has no graph');
    view.graphSpan = view.graphSpans[0];
  } catch (e) {
    throw new EngineError(
      'load-failed',
      `This file is not a readable ONNX model (${(e as Error).message}). It may be truncated or not an .onnx file; download it again or pick the model's onnx/model_*.onnx file.`,
    );
  }
  const locations = new Set<string>();
  for (const init of view.initializers.values()) if (init.external) locations.add(init.external.location);
  view.externalLocations = [...locations];
  return view;
}

/** A node edit: new input/output lists (other fields are copied byte for byte). */
export interface NodeEdit { inputs?: string[]; outputs?: string[] }

function stringField(field: number, s: string): Uint8Array {
  return encodeField(field, new TextEncoder().encode(s));
}

/** Re-emits a node with new inputs/outputs, keeping every other field's bytes (attributes, unknown fields). */
export function editNodeBody(view: OnnxModelView, node: GraphNode, edit: NodeEdit): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const s of edit.inputs ?? node.inputs) parts.push(stringField(1, s));
  for (const s of edit.outputs ?? node.outputs) parts.push(stringField(2, s));
  const r = protobuf.Reader.create(view.bytes);
  r.pos = node.body.start;
  scan(r, node.body.end, (field, wire, fieldStart) => {
    r.skipType(wire);
    if (field !== 1 && field !== 2) parts.push(view.bytes.subarray(fieldStart, r.pos));
  });
  return concat(parts);
}

export interface ModelEdit {
  /** Node index → new node body (NodeProto bytes). */
  replaceNodes?: Map<number, Uint8Array>;
  /** Encoded NodeProto / ValueInfoProto / TensorProto bodies to append to the graph. */
  appendNodes?: Uint8Array[];
  appendInputs?: Uint8Array[];
  appendOutputs?: Uint8Array[];
  appendInitializers?: Uint8Array[];
}

export function varint(n: number): Uint8Array {
  return protobuf.Writer.create().uint32(n).finish();
}

/** Writes the edited model: untouched bytes are copied once, nothing else is decoded. */
export function writeModel(view: OnnxModelView, edit: ModelEdit): Uint8Array {
  const { bytes } = view;
  const graph: Uint8Array[] = [];
  const nodeAt = new Map(view.nodes.map((n) => [n.span.start, n.index]));
  for (const { field, span } of view.graphFields) {
    const index = field === GraphField.node ? nodeAt.get(span.start) : undefined;
    const replaced = index !== undefined ? edit.replaceNodes?.get(index) : undefined;
    graph.push(replaced ? encodeField(GraphField.node, replaced) : bytes.subarray(span.start, span.end));
  }
  const append = (field: number, bodies?: Uint8Array[]) => bodies?.forEach((b) => graph.push(encodeField(field, b)));
  append(GraphField.node, edit.appendNodes);
  append(GraphField.initializer, edit.appendInitializers);
  append(GraphField.input, edit.appendInputs);
  append(GraphField.output, edit.appendOutputs);
  const graphLen = graph.reduce((n, p) => n + p.length, 0);
  // The merged graph takes the first graph field's place; bytes between graph fields are kept.
  const between = view.graphSpans.slice(1).map((s, i) => bytes.subarray(view.graphSpans[i].end, s.start));
  return concat([
    bytes.subarray(0, view.graphSpan.start),
    varint((ModelField.graph << 3) | 2),
    varint(graphLen),
    ...graph,
    ...between,
    bytes.subarray(view.graphSpans[view.graphSpans.length - 1].end),
  ]);
}

/**
 * Room left after a model's bytes for the graph fragment that instrumentation appends in place
 * (`instrument(…, { inPlace: true })`). The fragment of a 36-layer model is about 100 KB.
 */
export const MODEL_SLACK = 1 << 20;

const owned = new WeakSet<ArrayBuffer>();

/**
 * A zeroed buffer of `size` bytes whose ArrayBuffer has `MODEL_SLACK` more room after them, for a model
 * file read by the loader. Only buffers made here are ever edited in place: their room is known to
 * belong to nobody else (a view into someone's larger buffer may look like it has room but does not).
 */
export function modelBuffer(size: number): Uint8Array<ArrayBuffer> {
  const buffer = new ArrayBuffer(size + MODEL_SLACK);
  owned.add(buffer);
  return new Uint8Array(buffer, 0, size);
}

/** Whether `bytes` came from `modelBuffer` (whole, from its start). */
export const isModelBuffer = (bytes: Uint8Array): boolean => bytes.byteOffset === 0 && bytes.buffer instanceof ArrayBuffer && owned.has(bytes.buffer);

/** Bytes free in `bytes.buffer` after its last byte. */
export const slackAfter = (bytes: Uint8Array): number => bytes.buffer.byteLength - bytes.byteOffset - bytes.byteLength;

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
