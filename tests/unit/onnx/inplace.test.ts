/**
 * In-place instrumentation (issue 14): the graph is edited where it lies — one renamed byte per layer
 * and a graph fragment written into the room `modelBuffer` leaves after the file — and the model reader
 * accepts what that produces. That the instrumented graph computes the right thing is
 * tests/integration/instrument.test.ts's job (it runs the same edit on a copy); here: the bytes.
 */
import { describe, expect, it } from 'vitest';
import { fixtureConfig } from '../../fixtures/weights';
import { buildFixture } from '../../fixtures/hubRepo';
import { instrument } from '../../../src/engine/core/onnx/instrument';
import { MODEL_SLACK, isModelBuffer, modelBuffer, readModel, writeModel } from '../../../src/engine/core/onnx/model';
import type { FixtureConfig } from '../../fixtures/spec';
import { readNodeFile } from '../../../src/engine/core/runtime/modelFiles';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LAYOUTS: Partial<FixtureConfig>[] = [
  { family: 'llama', layout: 'decomposed', dtype: 'q4f16' },
  { family: 'qwen2', layout: 'builder', attention: 'gqa', dtype: 'fp32' },
];

function fixture(overrides: Partial<FixtureConfig>) {
  const cfg = fixtureConfig(overrides);
  const repo = buildFixture(cfg);
  return { cfg, model: repo.files[repo.modelPath], dims: { numLayers: cfg.numLayers, hiddenSize: cfg.hiddenSize } };
}

const inModelBuffer = (bytes: Uint8Array) => {
  const b = modelBuffer(bytes.length);
  b.set(bytes);
  return b;
};

describe.each(LAYOUTS.map((l) => [`${l.layout}/${l.dtype}`, l] as const))('%s', (_name, layout) => {
  it('edits a modelBuffer where it lies, with the same bytes as the copying path', () => {
    const { model, dims } = fixture(layout);
    const copied = instrument(model, dims);
    const bytes = inModelBuffer(model);
    const inPlace = instrument(bytes, { ...dims, inPlace: true });
    expect(inPlace.bytes.buffer).toBe(bytes.buffer);
    expect(inPlace.bytes.byteOffset).toBe(0);
    expect(Buffer.from(inPlace.bytes).equals(Buffer.from(copied.bytes))).toBe(true);
    // The original bytes keep their place: only one byte per layer (a renamed branch tensor) and one for the lm_head input differ.
    let changed = 0;
    for (let i = 0; i < model.length; i++) if (model[i] !== inPlace.bytes[i]) changed++;
    expect(inPlace.logitsPositions).toBe('logits_positions');
    expect(changed).toBe(dims.numLayers + 1); // and the lm_head's input, for the logits selection
  });

  it('never edits bytes it does not own: without inPlace, or a view into a larger buffer', () => {
    const { model, dims } = fixture(layout);
    const before = Buffer.from(model);
    const out = instrument(model, dims);
    expect(out.bytes.buffer).not.toBe(model.buffer);
    expect(Buffer.from(model).equals(before)).toBe(true);
    // A view with free-looking room after it belongs to someone else: copied, nothing written there.
    const big = new Uint8Array(model.length + MODEL_SLACK + 16).fill(0xab);
    const view = big.subarray(8, 8 + model.length);
    view.set(model);
    expect(isModelBuffer(view)).toBe(false);
    const out2 = instrument(view, { ...dims, inPlace: true });
    expect(out2.bytes.buffer).not.toBe(big.buffer);
    expect(Buffer.from(view).equals(before)).toBe(true);
    expect(big.subarray(8 + model.length).every((b) => b === 0xab)).toBe(true);
    // A modelBuffer without inPlace is not touched either.
    const owned = inModelBuffer(model);
    instrument(owned, dims);
    expect(Buffer.from(owned).equals(before)).toBe(true);
  });

  it('the reader merges the appended graph field: the original graph plus steering inputs, taps and nodes', () => {
    const { model, dims } = fixture(layout);
    const orig = readModel(model);
    const inst = instrument(inModelBuffer(model), { ...dims, inPlace: true });
    const view = readModel(inst.bytes);
    expect(view.graphSpans).toHaveLength(2);
    expect(view.initializers.size).toBe(orig.initializers.size);
    expect(view.inputs.map((i) => i.name)).toEqual([...orig.inputs.map((i) => i.name), ...inst.steer.flatMap((s) => Object.values(s)), inst.logitsPositions]);
    expect(view.outputs.map((o) => o.name)).toEqual([...orig.outputs.map((o) => o.name), ...inst.taps]);
    expect(view.nodes.length).toBeGreaterThan(orig.nodes.length);
    // Every tensor any node reads is produced by a node, an initializer or a graph input (the renames left no dangling name).
    const produced = new Set([...view.nodes.flatMap((n) => n.outputs), ...view.initializers.keys(), ...view.inputs.map((i) => i.name), '']);
    for (const n of view.nodes) for (const i of n.inputs) expect(produced.has(i), `${n.name} reads ${i}`).toBe(true);
    for (const t of inst.taps) expect(produced.has(t), t).toBe(true);
    // Exactly one producer per tensor: the fragment re-creates each renamed branch under its old name.
    const outs = view.nodes.flatMap((n) => n.outputs).filter(Boolean);
    expect(new Set(outs).size).toBe(outs.length);
    // writeModel folds the two graph fields back into one.
    const folded = readModel(writeModel(view, {}));
    expect(folded.graphSpans).toHaveLength(1);
    expect(folded.nodes.map((n) => n.name)).toEqual(view.nodes.map((n) => n.name));
    expect(folded.outputs.map((o) => o.name)).toEqual(view.outputs.map((o) => o.name));
  });
});

describe('the loader', () => {
  it('reads a model graph from disk into a modelBuffer, which the engine then instruments in place', async () => {
    const { model, dims } = fixture(LAYOUTS[0]);
    const dir = await mkdtemp(join(tmpdir(), 'inplace-'));
    try {
      await writeFile(join(dir, 'model.onnx'), model);
      await writeFile(join(dir, 'config.json'), '{}');
      const bytes = (await readNodeFile(join(dir, 'model.onnx')))!;
      expect(Buffer.from(bytes).equals(Buffer.from(model))).toBe(true);
      expect(isModelBuffer(bytes)).toBe(true);
      expect(instrument(bytes, { ...dims, inPlace: true }).bytes.buffer).toBe(bytes.buffer);
      expect(isModelBuffer((await readNodeFile(join(dir, 'config.json')))!)).toBe(false); // only graphs get the room
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
