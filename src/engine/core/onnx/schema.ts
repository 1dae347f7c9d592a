/**
 * The subset of onnx.proto (proto2) that Steering Lab reads and writes, as a protobufjs descriptor.
 * Used to encode graph fragments (instrumentation) and whole fixture models. Field numbers are
 * ONNX's; unknown fields are simply never produced by us.
 */
import protobuf from 'protobufjs';

const rep = 'repeated';
const descriptor = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        TensorProto: {
          fields: {
            dims: { rule: rep, type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            floatData: { rule: rep, type: 'float', id: 4, options: { packed: true } },
            int32Data: { rule: rep, type: 'int32', id: 5, options: { packed: true } },
            int64Data: { rule: rep, type: 'int64', id: 7, options: { packed: true } },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
            externalData: { rule: rep, type: 'StringStringEntryProto', id: 13 },
            dataLocation: { type: 'int32', id: 14 },
          },
        },
        TensorShapeProto: {
          fields: { dim: { rule: rep, type: 'Dimension', id: 1 } },
          nested: {
            Dimension: { fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } } },
          },
        },
        TypeProto: {
          fields: { tensorType: { type: 'Tensor', id: 1 } },
          nested: { Tensor: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } } },
        },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: { rule: rep, type: 'float', id: 7 },
            ints: { rule: rep, type: 'int64', id: 8 },
            type: { type: 'int32', id: 20 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: rep, type: 'string', id: 1 },
            output: { rule: rep, type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: rep, type: 'AttributeProto', id: 5 },
            domain: { type: 'string', id: 7 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: rep, type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: rep, type: 'TensorProto', id: 5 },
            input: { rule: rep, type: 'ValueInfoProto', id: 11 },
            output: { rule: rep, type: 'ValueInfoProto', id: 12 },
            valueInfo: { rule: rep, type: 'ValueInfoProto', id: 13 },
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: rep, type: 'OperatorSetIdProto', id: 8 },
            metadataProps: { rule: rep, type: 'StringStringEntryProto', id: 14 },
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);
export const ModelProto = root.lookupType('onnx.ModelProto');
export const GraphProto = root.lookupType('onnx.GraphProto');
export const NodeProto = root.lookupType('onnx.NodeProto');
export const TensorProto = root.lookupType('onnx.TensorProto');
export const ValueInfoProto = root.lookupType('onnx.ValueInfoProto');

/** ONNX TensorProto.DataType values we use. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10 } as const;
/** ONNX AttributeProto.AttributeType values we use. */
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** Graph field numbers (GraphProto), used by the lazy reader/editor. */
export const GraphField = { node: 1, name: 2, initializer: 5, input: 11, output: 12, valueInfo: 13 } as const;
export const ModelField = { graph: 7, opsetImport: 8 } as const;

export type Dim = number | string;

export interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attrs?: Record<string, AttrValue>;
}
export type AttrValue =
  | { f: number }
  | { i: number }
  | { s: string }
  | { floats: number[] }
  | { ints: number[] }
  | { t: TensorSpec };

export interface TensorSpec {
  name: string;
  dataType: number;
  dims: number[];
  /** Little-endian bytes of the data (empty when `external` says where they are). */
  raw: Uint8Array;
  /** Data kept outside the model (onnxruntime-web takes it as `externalData` under this location). */
  external?: { location: string; offset: number; length: number };
}

export interface ValueSpec { name: string; elemType: number; dims: Dim[] }

function attrProto(name: string, v: AttrValue): Record<string, unknown> {
  if ('f' in v) return { name, f: v.f, type: AttrType.FLOAT };
  if ('i' in v) return { name, i: v.i, type: AttrType.INT };
  if ('s' in v) return { name, s: new TextEncoder().encode(v.s), type: AttrType.STRING };
  if ('floats' in v) return { name, floats: v.floats, type: AttrType.FLOATS };
  if ('ints' in v) return { name, ints: v.ints, type: AttrType.INTS };
  return { name, t: tensorProto(v.t), type: AttrType.TENSOR };
}

export function nodeProto(n: NodeSpec): Record<string, unknown> {
  return {
    input: n.inputs,
    output: n.outputs,
    name: n.name ?? `${n.opType}_${n.outputs[0]}`,
    opType: n.opType,
    domain: n.domain ?? '',
    attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attrProto(k, v)),
  };
}

export function tensorProto(t: TensorSpec): Record<string, unknown> {
  if (t.external) {
    const { location, offset, length } = t.external;
    const externalData = [{ key: 'location', value: location }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(length) }];
    return { name: t.name, dataType: t.dataType, dims: t.dims, externalData, dataLocation: 1 };
  }
  return { name: t.name, dataType: t.dataType, dims: t.dims, rawData: t.raw };
}

export function valueInfoProto(v: ValueSpec): Record<string, unknown> {
  const dim = v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name: v.name, type: { tensorType: { elemType: v.elemType, shape: { dim } } } };
}

/** Encodes one message as a length-delimited field of its parent (tag + length + bytes). */
export function encodeField(fieldNumber: number, body: Uint8Array): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((fieldNumber << 3) | 2).bytes(body);
  return w.finish();
}

export const encodeNode = (n: NodeSpec): Uint8Array => NodeProto.encode(NodeProto.fromObject(nodeProto(n))).finish();
export const encodeValueInfo = (v: ValueSpec): Uint8Array =>
  ValueInfoProto.encode(ValueInfoProto.fromObject(valueInfoProto(v))).finish();
export const encodeTensor = (t: TensorSpec): Uint8Array => TensorProto.encode(TensorProto.fromObject(tensorProto(t))).finish();
