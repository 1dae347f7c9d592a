/**
 * splitLmHead's refusals on hand-built graphs (the fixtures have no such heads): a weight another node
 * reads (tied embeddings through GatherBlockQuantized) and a head with a bias input stay whole; the same
 * graph without them is split, with N rewritten in place as a varint of its original length.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../fixtures/graph';
import { DataType } from '../../../src/engine/core/onnx/schema';
import { readModel, type GraphNode } from '../../../src/engine/core/onnx/model';
import { splitLmHead } from '../../../src/engine/core/onnx/splitLmHead';

const K = 64;
const N = 300; // needs a two-byte varint; the chunk width 100 fits one, so it must be padded

function head(opts: { sharedWith?: string; bias?: boolean; opset?: number }): Uint8Array {
  const g = new GraphBuilder();
  g.input('h', DataType.FLOAT, [1, 1, K]);
  const b = g.init('W_Q4', DataType.UINT8, [N, K / 32, 16], new Uint8Array(N * K / 2));
  const s = g.f32('W_scales', [N * (K / 32)], new Float32Array(N * (K / 32)).fill(1));
  const inputs = ['h', b, s, ''];
  if (opts.bias) inputs.push('', g.f32('W_bias', [N], new Float32Array(N)));
  g.node('MatMulNBits', inputs, { name: '/lm_head/MatMul_Q4', domain: 'com.microsoft', outputs: ['logits'], attrs: { K: { i: K }, N: { i: N }, bits: { i: 4 }, block_size: { i: 32 } } });
  if (opts.sharedWith) g.node(opts.sharedWith, [b], { outputs: ['shared'] });
  g.output('logits', DataType.FLOAT, [1, 1, N]);
  return g.toModel(opts.opset ? { opsets: { '': opts.opset } } : {}).model;
}

function trySplit(bytes: Uint8Array) {
  const view = readModel(bytes);
  const node = view.nodes.find((n) => n.opType === 'MatMulNBits')!;
  const ops: string[] = [];
  const edits = splitLmHead({
    view,
    op: (opType, _inputs, _attrs, output) => { ops.push(opType); return output ?? `${opType}_${ops.length}`; },
    multi: (opType, _inputs, count, first) => { ops.push(opType); return Array.from({ length: count }, (_, i) => (i ? `${opType}_${ops.length}_${i}` : first)); },
    rename: (_n: GraphNode, _field, name) => ({ name: `#${name.slice(1)}`, edit: { at: -1, value: 0 } }), // renames are instrument.ts's
  }, node, 'h', 4 * K * 100);
  return { edits, ops, view, node };
}

describe('splitLmHead', () => {
  it('splits a plain head: N rewritten as a padded varint, one Split per weight, two more chunks, one Concat', () => {
    const { edits, ops, view, node } = trySplit(head({}));
    expect(edits).not.toBeNull();
    expect(ops.filter((o) => o === 'Split')).toHaveLength(2); // weight and scales (no zero points here)
    expect(ops.filter((o) => o === 'MatMulNBits')).toHaveLength(2);
    expect(ops.filter((o) => o === 'Concat')).toHaveLength(1);
    // The two bytes that held 300 now hold 100 as [0x80 | 100, 0x00].
    const nEdits = edits!.filter((e) => e.at >= 0);
    expect(nEdits.map((e) => e.value)).toEqual([0x80 | 100, 0]);
    const at = nEdits[0].at;
    expect([view.bytes[at], view.bytes[at + 1]]).toEqual([0x80 | (300 & 0x7f), 300 >> 7]);
    expect(at > node.body.start && at < node.body.end).toBe(true);
  });

  it('leaves a head whose weight another node reads (tied embeddings) whole', () => {
    expect(trySplit(head({ sharedWith: 'Identity' })).edits).toBeNull();
  });

  it('leaves a head in an opset-12 graph whole (Split takes its sizes as an input from opset 13)', () => {
    expect(trySplit(head({ opset: 12 })).edits).toBeNull();
    expect(trySplit(head({ opset: 13 })).edits).not.toBeNull();
  });

  it('leaves a head with a bias (or g_idx) input whole', () => {
    expect(trySplit(head({ bias: true })).edits).toBeNull();
  });
});
