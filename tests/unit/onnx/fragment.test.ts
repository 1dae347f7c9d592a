/**
 * The graph fragment and the Rewirer that instrumentation edits share: intercepting a tensor renames its
 * producer's output by one byte, intercepting it again chains through the fragment's own node (never the
 * same bytes twice), and float32 initializers go to one external-data file at offsets that tile it.
 */
import { describe, expect, it } from 'vitest';
import { fixtureConfig } from '../../fixtures/weights';
import { buildFixture } from '../../fixtures/hubRepo';
import { Fragment, Rewirer } from '../../../src/engine/core/onnx/fragment';
import { readModel } from '../../../src/engine/core/onnx/model';

const view = () => {
  const cfg = fixtureConfig({ layout: 'decomposed', dtype: 'fp32' });
  const repo = buildFixture(cfg);
  return readModel(repo.files[repo.modelPath]);
};

describe('Rewirer', () => {
  it('renames a producer output in place once, then chains later intercepts through the fragment', () => {
    const v = view();
    const f = new Fragment('/t/');
    const rw = new Rewirer(v, f);
    const y = v.nodes.find((n) => n.name === '/model/layers.1/mlp/down_proj/MatMul')!.outputs[0];
    const first = rw.intercept(y, 'test');
    expect(first).toBe(`#${y.slice(1)}`);
    expect(rw.edits).toHaveLength(1);
    const at = rw.edits[0].at;
    expect(new TextDecoder().decode(v.bytes.subarray(at, at + y.length))).toBe(y); // the byte that changes starts the name
    f.op('Add', [first, 'delta_a'], undefined, y);
    const second = rw.intercept(y, 'test');
    expect(rw.edits).toHaveLength(1); // no second edit of the model's bytes
    expect(f.nodes[0].outputs).toEqual([second]);
    expect(second).not.toBe(y);
    f.op('Add', [second, 'delta_b'], undefined, y);
    // y is now written once, by the last fragment node, from the chain model → first Add → second Add.
    expect(f.nodes.filter((n) => n.outputs.includes(y))).toHaveLength(1);
    expect(f.nodes[1].inputs[0]).toBe(f.nodes[0].outputs[0]);
  });

  it('refuses a tensor nothing produces, saying which', () => {
    const v = view();
    const f = new Fragment('/t/');
    expect(() => new Rewirer(v, f).intercept('input_ids', 'the ids')).toThrow('The tensor "input_ids" (the ids) has no producing node.');
  });
});

describe('Fragment.f32', () => {
  it('writes headers that point into one external file, tiled in order', () => {
    const f = new Fragment('/t/', 'weights.bin');
    f.f32('a', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]));
    f.f32('b', [1], Float32Array.from([-0.5]));
    expect(f.initializers.map((t) => [t.name, t.dims, t.raw.length, t.external])).toEqual([
      ['a', [2, 3], 0, { location: 'weights.bin', offset: 0, length: 24 }],
      ['b', [1], 0, { location: 'weights.bin', offset: 24, length: 4 }],
    ]);
    const ext = f.externalData()!;
    expect(ext.path).toBe('weights.bin');
    expect(Array.from(new Float32Array(ext.data.buffer))).toEqual([1, 2, 3, 4, 5, 6, -0.5]);
    expect(new Fragment('/t/').externalData()).toBeNull();
  });
});
