/**
 * One forward pass of an instrumented decoder: builds the feeds (ids, mask, positions, past KV,
 * steering), runs the session and returns last-position logits, the new KV and requested taps.
 */
import { createSession, disposeTensor, readData, tensor, type Session, type Tensor } from './ort';
import { idleFeed, layerFeed, type Pass } from './steerFeeds';
import { toFloat32 } from '../../shared/f16';
import { EngineError } from '../../shared/errors';
import type { InstrumentedModel, InstrumentOptions } from '../onnx/instrument';
import { WASM_LM_HEAD_CHUNK_BYTES } from '../onnx/splitLmHead';
import type { ResolvedSpec } from '../../shared/steering';
import type { Device, TapName } from '../../shared/api';

export interface KvLayout { names: string[]; kvHeads: number; headDim: number; dtype: 'float32' | 'float16' }

/** What the decoder keeps of the instrumented model: everything but the graph bytes. */
export type ModelLayout = Omit<InstrumentedModel, 'bytes'>;

export interface Decoder {
  readonly model: ModelLayout;
  readonly kv: KvLayout;
  readonly device: Device;
  /** True when the KV cache lives in host memory (wasm), so it can be cut cheaply. */
  readonly kvOnCpu: boolean;
  readonly vocabSize: number;
  /**
   * The most prompt positions one pass may hold. onnxruntime-web's WebGPU MultiHeadAttention and
   * GroupQueryAttention kernels returned wrong values for 32 or more query positions in one run
   * (measured on SwiftShader, onnxruntime-web 1.30: 28 exact, 32 wrong; any number of past keys is
   * fine), so on WebGPU graphs with those ops the prompt runs in passes of 16. Infinity elsewhere.
   */
  readonly prefillChunk: number;
  forward(step: StepInput): Promise<StepOutput>;
  /**
   * The same decoder feeding `strengths` (one per batch row) to the LoRA adapter's strength input; the
   * plain decoder feeds 1 to every row (the fine-tuned model). Models without an adapter refuse it.
   */
  withAdapterStrength(strengths: number[]): Decoder;
  release(): Promise<void>;
}

export interface StepInput {
  ids: number[][]; // [B, S] token ids of this pass
  mask: number[][]; // [B, past + S]
  positions: number[][]; // [B, S]
  past: Record<string, Tensor> | null; // null = empty cache
  steering: Map<number, ResolvedSpec[][]>; // layer → per-row specs
  pass: Pass;
  taps: TapName[];
  /** Skip logits (a prefix pass whose logits nobody reads). */
  noLogits?: boolean;
  /** Per row, the position of this pass whose logits are read (default: the last; right-padded rows end earlier). */
  lastIndex?: number[];
  /**
   * Also read the logits of every position from this one to the pass's end (drafted tokens being checked,
   * generate.ts): returned in `spans`. Not with `lastIndex`.
   */
  logitsFrom?: number;
}

export interface StepOutput {
  logits: Float32Array[] | null; // per row, last position
  /** With `logitsFrom`: per row, the logits of positions logitsFrom … S − 1 (views, no copy). */
  spans?: Float32Array[][];
  present: Record<string, Tensor>;
  taps: Record<string, Float32Array>; // [B, S, D]
}

/** See `Decoder.prefillChunk`. */
export const WEBGPU_ATTENTION_CHUNK = 16;

/**
 * Instrumentation options that depend on the device the session will run on: on wasm a wide 4-bit
 * lm_head is split into column chunks (onnx/splitLmHead.ts: same logits, less time per token); WebGPU
 * runs MatMulNBits in its own kernel and gets the graph unsplit.
 */
export const deviceInstrumentOptions = (device: Device): Pick<InstrumentOptions, 'lmHeadChunkBytes'> =>
  (device === 'wasm' ? { lmHeadChunkBytes: WASM_LM_HEAD_CHUNK_BYTES } : {});

const ELEM: Record<number, KvLayout['dtype']> = { 1: 'float32', 10: 'float16' };

function kvLayout(model: ModelLayout): KvLayout {
  const past = model.inputs.filter((i) => i.name.startsWith('past_key_values.'));
  if (!past.length) throw new EngineError('unsupported-model', 'This graph has no past_key_values inputs; a decoder with a KV cache is needed.');
  const [, heads, , dim] = past[0].dims;
  const dtype = ELEM[past[0].elemType];
  if (typeof heads !== 'number' || typeof dim !== 'number' || !dtype) {
    throw new EngineError('unsupported-model', `Cannot read the KV-cache shape from "${past[0].name}" (dims ${past[0].dims.join(', ')}, type ${past[0].elemType}).`);
  }
  return { names: past.map((p) => p.name.slice('past_key_values.'.length)), kvHeads: heads, headDim: dim, dtype };
}

const i64 = (rows: number[][]): Tensor =>
  tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);

function emptyPast(kv: KvLayout, batch: number): Record<string, Tensor> {
  const dims = [batch, kv.kvHeads, 0, kv.headDim];
  const empty = () => (kv.dtype === 'float16' ? new Uint16Array(0) : new Float32Array(0));
  return Object.fromEntries(kv.names.map((n) => [`past_key_values.${n}`, tensor(kv.dtype, empty(), dims)]));
}

function steeringFeeds(d: { model: ModelLayout; zero: Record<string, Tensor> }, s: StepInput): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  d.model.steer.forEach((names, layer) => {
    const rows = s.steering.get(layer);
    const f = rows ? layerFeed(rows, s.pass, d.model.hiddenSize) : null;
    for (const [key, name] of Object.entries(names)) feeds[name] = f ? tensor('float32', f[key].data, f[key].dims) : d.zero[key];
  });
  return feeds;
}

/** Per row, the logits at `lastIndex[r]` (default the last position) of [B, S, V] logits, as views (no copy). */
function lastLogits(data: Float32Array, dims: readonly number[], lastIndex?: number[]): Float32Array[] {
  const [B, S, V] = dims;
  return Array.from({ length: B }, (_, r) => {
    const i = lastIndex?.[r] ?? S - 1;
    return data.subarray((r * S + i) * V, (r * S + i + 1) * V);
  });
}

/** Per row, the last `K` positions' logits of [B, S, V] logits, as views (no copy). */
function trailingLogits(data: Float32Array, dims: readonly number[], K: number): Float32Array[][] {
  const [B, S, V] = dims;
  return Array.from({ length: B }, (_, r) => Array.from({ length: K }, (_, j) => data.subarray((r * S + S - K + j) * V, (r * S + S - K + j + 1) * V)));
}

export async function createDecoder(instrumented: InstrumentedModel, opts: { device: Device; externalData: { path: string; data: Uint8Array }[]; vocabSize: number }): Promise<Decoder> {
  // The graph bytes (up to ~1 GB) live on in the session; holding them here too would double memory.
  const { bytes, ...model } = instrumented;
  const kv = kvLayout(model);
  const presentNames = kv.names.map((n) => `present.${n}`);
  // The adapter's weights travel as one more external-data file of the instrumented graph.
  const externalData = model.lora ? [...opts.externalData, model.lora.externalData] : opts.externalData;
  const session: Session = await createSession(bytes, { device: opts.device, externalData, keepOnDevice: presentNames });
  const D = model.hiddenSize;
  const zero = Object.fromEntries(Object.entries(idleFeed(D)).map(([key, f]) => [key, tensor('float32', f.data, f.dims)]));
  const inputNames = new Set(model.inputs.map((i) => i.name));
  const d = { model, zero };

  async function forward(s: StepInput, strengths?: number[]): Promise<StepOutput> {
    const B = s.ids.length;
    const feeds: Record<string, Tensor> = {
      input_ids: i64(s.ids),
      attention_mask: i64(s.mask),
      ...(s.past ?? emptyPast(kv, B)),
      ...steeringFeeds(d, s),
    };
    if (model.lora) {
      if (strengths && strengths.length !== B) throw new EngineError('internal', `${strengths.length} adapter strengths for a batch of ${B} rows.`);
      feeds[model.lora.strengthInput] = tensor('float32', Float32Array.from(strengths ?? s.ids.map(() => 1)), [B, 1, 1]);
    }
    if (inputNames.has('position_ids')) feeds.position_ids = i64(s.positions);
    const S = s.ids[0].length;
    const select = model.logitsPositions;
    // How many trailing positions' logits are read per row: one, or the span being checked.
    const K = s.logitsFrom === undefined ? 1 : S - s.logitsFrom;
    if (select) {
      // The graph projects only the selected positions of each row (none for a pass nobody reads).
      const rowPos = (r: number) => (K > 1 ? Array.from({ length: K }, (_, j) => BigInt(S - K + j)) : [BigInt(s.lastIndex?.[r] ?? S - 1)]);
      const pos = s.noLogits ? [] : s.ids.flatMap((_, r) => rowPos(r));
      feeds[select] = tensor('int64', BigInt64Array.from(pos), [B, s.noLogits ? 0 : K]);
    }
    // Rows that end before the pass does (right padding) need every position's logits; so does a
    // selection inside the graph (its indices count from the pass's first position).
    const keep = s.lastIndex || select ? S : K;
    if (inputNames.has('num_logits_to_keep')) feeds.num_logits_to_keep = tensor('int64', BigInt64Array.from([BigInt(keep)]), []);
    const fetches = [...(s.noLogits ? [] : ['logits']), ...presentNames, ...s.taps];
    const out = await session.run(feeds, fetches).catch((e: unknown) => {
      throw new EngineError('internal', `The model failed to run on ${opts.device}. Try again with the wasm device; if it fails there too, the model is not one this lab can run.`, e instanceof Error ? e.message : String(e));
    });
    const taps: Record<string, Float32Array> = {};
    for (const t of s.taps) taps[t] = toFloat32(await readData(out[t]));
    const logitData = s.noLogits ? null : toFloat32(await readData(out.logits));
    const logits = logitData ? lastLogits(logitData, out.logits.dims, select ? undefined : s.lastIndex) : null;
    const present = Object.fromEntries(kv.names.map((n) => [`past_key_values.${n}`, out[`present.${n}`]]));
    if (logitData && K > 1) return { logits, present, taps, spans: trailingLogits(logitData, out.logits.dims, K) };
    return { logits, present, taps };
  }

  const fusedAttention = model.opTypes.some((t) => t === 'MultiHeadAttention' || t === 'GroupQueryAttention');
  const decoder = (strengths?: number[]): Decoder => ({
    model, kv, device: opts.device, kvOnCpu: opts.device === 'wasm', vocabSize: opts.vocabSize,
    forward: (s) => forward(s, strengths),
    withAdapterStrength: (next) => {
      if (!model.lora) throw new EngineError('bad-input', 'An adapter strength was given but no LoRA adapter is loaded with this model.');
      return decoder([...next]);
    },
    prefillChunk: opts.device === 'webgpu' && fusedAttention ? WEBGPU_ATTENTION_CHUNK : Infinity,
    release: async () => { await session.release(); },
  });
  return decoder();
}

export function disposeKv(kv: Record<string, Tensor> | null): void {
  if (kv) for (const t of Object.values(kv)) disposeTensor(t);
}

/** The first `keep` positions of a host-memory KV cache ([B, H, S, D] per tensor), as new tensors. */
export function sliceKv(kv: Record<string, Tensor>, keep: number): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(kv).map(([name, t]) => {
    const [B, H, S, D] = t.dims;
    const src = t.data as Float32Array | Uint16Array;
    const out = new (src.constructor as Float32ArrayConstructor | Uint16ArrayConstructor)(B * H * keep * D);
    for (let bh = 0; bh < B * H; bh++) out.set(src.subarray(bh * S * D, (bh * S + keep) * D), bh * keep * D);
    return [name, tensor(t.type as 'float32' | 'float16', out, [B, H, keep, D])];
  }));
}
