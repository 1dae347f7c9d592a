/**
 * EXPERIMENT (not used by the benchmarks): zero-copy instrumentation, the change recommended for
 * src/engine/onnx/{model,instrument}.ts. Decomposed layout only, to measure and validate the idea:
 *  1. for each layer, the producer of the closing node's branch tensor B gets its output renamed IN
 *     PLACE to a same-length unique name B' (one byte changes; no node changes length);
 *  2. the fragment computes B = B' + delta (the steering subgraph of instrument.ts) and the taps;
 *  3. the fragment is appended after the model's last byte as a SECOND ModelProto.graph field (tag 7):
 *     protobuf merges repeated embedded-message fields, so onnxruntime sees one graph.
 * The bytes must sit in an ArrayBuffer with room for the fragment (the loader allocates size + slack).
 *
 *   npx tsx bench/experiments/inplace.ts            validate against instrument() on fixtures, then time the 1B file
 */
import { statSync, openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { readModel, type OnnxModelView } from '../../src/engine/onnx/model';
import { findResidualStream } from '../../src/engine/onnx/residual';
import { instrument, steerInputNames, tapNames, type InstrumentedModel } from '../../src/engine/onnx/instrument';
import { DataType, encodeField, encodeNode, encodeValueInfo, type NodeSpec } from '../../src/engine/onnx/schema';
import { createDecoder } from '../../src/engine/runtime/decoder';
import { PrefixCache, runLoop } from '../../src/engine/runtime/generate';
import { argmax } from '../../src/engine/runtime/sampling';
import { resolveSpec } from '../../src/engine/steering';
import { buildDecomposed } from '../../tests/fixtures/decomposedLayout';
import { fixtureConfig, makeWeights } from '../../tests/fixtures/weights';
import { LLAMA_1B } from '../llama1b';
import { CACHE_DIR } from '../models';

const varint = (n: number) => protobuf.Writer.create().uint32(n).finish();

function renameOutputInPlace(view: OnnxModelView, tensor: string, taken: Set<string>): string {
  const producer = view.nodes.find((n) => n.outputs.includes(tensor));
  if (!producer) throw new Error(`no producer for ${tensor}`);
  const enc = new TextEncoder().encode(tensor);
  const r = protobuf.Reader.create(view.bytes);
  r.pos = producer.body.start;
  while (r.pos < producer.body.end) {
    const tag = r.uint32();
    if ((tag >>> 3) === 2 && (tag & 7) === 2) {
      const len = r.uint32();
      const at = r.pos;
      r.pos += len;
      if (len === enc.length && enc.every((b, i) => view.bytes[at + i] === b)) {
        for (const c of '#$%&~') {
          const name = c + tensor.slice(1);
          if (!taken.has(name)) {
            view.bytes[at] = c.charCodeAt(0);
            taken.add(name);
            return name;
          }
        }
      }
    } else r.skipType(tag & 7);
  }
  throw new Error(`output ${tensor} not found in its producer`);
}

export function instrumentInPlace(buffer: Uint8Array, length: number, opts: { numLayers: number; hiddenSize: number }): Uint8Array {
  const view = readModel(buffer.subarray(0, length));
  const { numLayers, hiddenSize } = opts;
  const stream = findResidualStream(view, numLayers);
  if (stream.layout !== 'decomposed') throw new Error('experiment: decomposed layout only');
  const half = stream.bodyDtype === 'float16';
  const taken = new Set(view.nodes.flatMap((n) => [...n.inputs, ...n.outputs]));
  const nodes: NodeSpec[] = [];
  const op = (opType: string, inputs: string[], attrs?: NodeSpec['attrs'], output?: string) => {
    const name = `/steer/${opType}_${nodes.length}`;
    const out = output ?? `${name}_output_0`;
    nodes.push({ opType, inputs, outputs: [out], name, attrs });
    return out;
  };
  const inputs: Uint8Array[] = [];
  for (let layer = 0; layer < numLayers; layer++) {
    const n = steerInputNames(layer);
    inputs.push(
      encodeValueInfo({ name: n.add, elemType: DataType.FLOAT, dims: ['steer_batch', 'steer_sequence', hiddenSize] }),
      encodeValueInfo({ name: n.ablateDir, elemType: DataType.FLOAT, dims: ['steer_batch', hiddenSize, 1] }),
      encodeValueInfo({ name: n.ablateStrength, elemType: DataType.FLOAT, dims: ['steer_batch', 'steer_sequence', 1] }),
    );
    const closing = stream.nodes[2 * layer + 1];
    const branch = closing.node.inputs[closing.branchInput];
    const residual = closing.node.inputs[closing.residualInput];
    const renamed = renameOutputInPlace(view, branch, taken);
    // instrument.ts's steerLayer, with the original branch name as the output
    let h = op('Add', [residual, renamed]);
    if (half) h = op('Cast', [h], { to: { i: DataType.FLOAT } });
    const scaled = op('Mul', [op('MatMul', [h, n.ablateDir]), n.ablateStrength]);
    const ablation = op('MatMul', [scaled, op('Transpose', [n.ablateDir], { perm: { ints: [0, 2, 1] } })]);
    let delta = op('Sub', [n.add, ablation]);
    if (half) delta = op('Cast', [delta], { to: { i: DataType.FLOAT16 } });
    op('Add', [renamed, delta], undefined, branch);
  }
  const tap = (t: string, name: string) => (half ? op('Cast', [t], { to: { i: DataType.FLOAT } }, name) : op('Identity', [t], undefined, name));
  tap(stream.embed, 'hook_embed');
  for (let l = 0; l < numLayers; l++) {
    tap(stream.nodes[2 * l].sum!, `blocks.${l}.hook_resid_mid`);
    tap(stream.nodes[2 * l + 1].sum!, `blocks.${l}.hook_resid_post`);
  }
  const outputs = tapNames(numLayers).map((t) => encodeValueInfo({ name: t, elemType: DataType.FLOAT, dims: ['batch_size', 'sequence_length', hiddenSize] }));
  const parts = [...nodes.map((n) => encodeField(1, encodeNode(n))), ...inputs.map((b) => encodeField(11, b)), ...outputs.map((b) => encodeField(12, b))];
  const body = parts.reduce((k, p) => k + p.length, 0);
  const head = [...varint((7 << 3) | 2), ...varint(body)];
  const total = length + head.length + body;
  if (total > buffer.length) throw new Error(`needs ${total - length} bytes of slack, has ${buffer.length - length}`);
  let o = length;
  buffer.set(head, o); o += head.length;
  for (const p of parts) { buffer.set(p, o); o += p.length; }
  return buffer.subarray(0, total);
}

async function validate(dtype: 'fp32' | 'q4f16'): Promise<void> {
  const cfg = fixtureConfig({ dtype, layout: 'decomposed' });
  const { model } = buildDecomposed(cfg, makeWeights(cfg)).toModel();
  const dims = { numLayers: cfg.numLayers, hiddenSize: cfg.hiddenSize };
  const ref = instrument(model, dims);
  const slack = new Uint8Array(model.length + 65536);
  slack.set(model);
  const bytes = instrumentInPlace(slack, model.length, dims);
  const mine: InstrumentedModel = { ...ref, bytes };
  const spec = resolveSpec({ layer: 2, vector: Array.from({ length: cfg.hiddenSize }, (_, i) => Math.cos(i)), coeff: 3, positions: 'all' }, dims);
  const abl = resolveSpec({ layer: 1, direction: Array.from({ length: cfg.hiddenSize }, (_, i) => Math.sin(i + 1)), ablate: 1 }, dims);
  const out: string[] = [];
  for (const m of [ref, mine]) {
    const d = await createDecoder(m, { device: 'wasm', externalData: [], vocabSize: cfg.vocabSize });
    const r = await runLoop(d, new PrefixCache(), { ids: [[5, 6, 7, 8, 9]], steering: [[spec, abl]], maxNewTokens: 8, pick: (_r, l) => argmax(l), eos: new Set(), padId: 0, stopAtEos: false, taps: ['blocks.2.hook_resid_post', 'blocks.3.hook_resid_mid'] });
    out.push(JSON.stringify([r.tokens, Array.from(r.captures['blocks.2.hook_resid_post'].data), Array.from(r.captures['blocks.3.hook_resid_mid'].data)]));
    await d.release();
  }
  console.log(`${dtype}: in-place instrumentation gives ${out[0] === out[1] ? 'IDENTICAL' : 'DIFFERENT'} tokens and taps to instrument()`);
}

async function main(): Promise<void> {
  await validate('fp32');
  await validate('q4f16');
  const file = join(CACHE_DIR, 'llama-3.2-1b-structure-q4f16.onnx');
  const size = statSync(file).size;
  const buf = new Uint8Array(size + (1 << 20)); // what the loader would allocate: file + 1 MiB slack
  const fd = openSync(file, 'r');
  for (let o = 0; o < size;) o += readSync(fd, buf, o, Math.min(1 << 26, size - o), o);
  closeSync(fd);
  const m0 = process.memoryUsage();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = instrumentInPlace(buf, size, { numLayers: LLAMA_1B.numLayers, hiddenSize: LLAMA_1B.hiddenSize });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const m1 = process.memoryUsage();
  console.log(`1B in place: ${ms.toFixed(0)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU, ${out.length - size} bytes appended, rss +${((m1.rss - m0.rss) / 1e6).toFixed(1)} MB, arrayBuffers +${((m1.arrayBuffers - m0.arrayBuffers) / 1e6).toFixed(1)} MB`);
}

main().catch((e) => { console.error(e); process.exit(1); });
