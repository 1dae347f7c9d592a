/**
 * The wasm lm_head split (splitLmHead.ts): on every 4-bit fixture layout the split graph gives the same
 * logits bit for bit as the unsplit instrumented graph (prefill with per-row positions, then a decode step
 * on the KV), its MatMulNBits nodes cover the vocabulary exactly once in chunks of the asked width, and
 * graphs it must not touch (no MatMulNBits head, a head already narrow) come out unchanged. (A head
 * whose weight another node reads is covered in tests/unit/onnx/splitLmHead.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { fixtureModel, VARIANTS, variantName } from '../helpers/fixtureModel';
import { seededIds } from '../helpers/compare';
import { instrument } from '../../src/engine/core/onnx/instrument';
import { readModel, type OnnxModelView } from '../../src/engine/core/onnx/model';
import { NodeProto } from '../../src/engine/core/onnx/schema';
import { createDecoder, disposeKv, type Decoder } from '../../src/engine/core/runtime/decoder';
import type { Pass } from '../../src/engine/core/runtime/steerFeeds';

const WIDTH = 100; // 512-token fixture vocabulary: five chunks of 100 and one of 12

/** N of each MatMulNBits whose output reaches `logits` (through Concat/Cast/Identity). */
function headWidths(view: OnnxModelView): number[] {
  const producer = new Map(view.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const widths: number[] = [];
  const walk = (tensor: string): void => {
    const n = producer.get(tensor);
    if (!n) return;
    if (n.opType === 'MatMulNBits') {
      const attrs = NodeProto.decode(view.bytes.subarray(n.body.start, n.body.end)) as unknown as { attribute: { name: string; i: number | { toString(): string } }[] };
      widths.push(Number(String(attrs.attribute.find((a) => a.name === 'N')!.i)));
    } else if (['Concat', 'Cast', 'Identity'].includes(n.opType)) n.inputs.forEach(walk);
  };
  walk('logits');
  return widths;
}

const IDS = [seededIds(7, 11, 500), seededIds(7, 12, 500)];
const LAST = [4, 6];

async function logitsOf(d: Decoder): Promise<Float32Array[]> {
  const S = IDS[0].length;
  const pass: Pass = { phase: 'prefill', start: 0, length: S, padLeft: [0, 0], promptLength: S };
  const pre = await d.forward({ ids: IDS, mask: IDS.map((r) => r.map(() => 1)), positions: IDS.map((r) => r.map((_, i) => i)), past: null, steering: new Map(), pass, taps: [], lastIndex: LAST });
  const step = await d.forward({
    ids: [[5], [9]], mask: IDS.map(() => Array(S + 1).fill(1)), positions: [[S], [S]], past: pre.present, steering: new Map(),
    pass: { ...pass, phase: 'decode', start: S, length: 1 }, taps: [],
  });
  const out = [...pre.logits!, ...step.logits!].map((l) => l.slice());
  disposeKv(pre.present);
  disposeKv(step.present);
  return out;
}

const Q4 = VARIANTS.filter((v) => v.dtype === 'q4' || v.dtype === 'q4f16');

describe.each(Q4.map((v) => [variantName(v), v] as const))('%s', (_name, variant) => {
  it('splits an unshared head into chunks covering the vocabulary; same logits bit for bit', async () => {
    const m = await fixtureModel(variant);
    const { numLayers, hiddenSize: D, vocabSize: V } = m.cfg;
    const split = instrument(m.model, { numLayers, hiddenSize: D, lmHeadChunkBytes: 4 * D * WIDTH });
    const view = readModel(split.bytes);
    expect(headWidths(view).sort((a, b) => b - a)).toEqual([...Array(Math.floor(V / WIDTH)).fill(WIDTH), V % WIDTH]);
    const d = await createDecoder(split, { device: 'wasm', externalData: m.externalData, vocabSize: V });
    const [a, b] = [await logitsOf(m.decoder), await logitsOf(d)];
    expect(b.map((l) => l.length)).toEqual(a.map(() => V));
    b.forEach((l, r) => expect(l.every((x, i) => Object.is(x, a[r][i])), `logits ${r} identical`).toBe(true));
    await d.release();
  });
});

describe('graphs the split leaves alone', () => {
  it('no MatMulNBits head (fp32), or a head no wider than one chunk: the same bytes as without the option', async () => {
    for (const v of [VARIANTS.find((x) => x.dtype === 'fp32')!, Q4.find((x) => x.family === 'llama')!]) {
      const m = await fixtureModel(v);
      const { numLayers, hiddenSize: D, vocabSize: V } = m.cfg;
      const plain = instrument(m.model, { numLayers, hiddenSize: D });
      const chunk = v.dtype === 'fp32' ? 4 * D * WIDTH : 4 * D * V;
      expect(instrument(m.model, { numLayers, hiddenSize: D, lmHeadChunkBytes: chunk }).bytes).toEqual(plain.bytes);
    }
  });
});
