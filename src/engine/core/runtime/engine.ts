/**
 * The in-process engine: loads a model (files → instrumented graph → session + tokenizer) and
 * runs steering requests. The worker wraps exactly this; tests and the CLI use it directly.
 */
import type {
  AdapterInfo, CallOptions, Capture, ChatMessage, Engine, GenerateRequest, GenerateResult, LoadOptions, ModelInfo, ModelSource, TapName, TokenizedPrompt,
} from '../../shared/api';
import { EngineError } from '../../shared/errors';
import { instrument } from '../onnx/instrument';
import { baseModelNote, readLoraAdapter, type LoraAdapter } from '../onnx/loraAdapter';
import { resolveSpec, type ResolvedSpec } from '../../shared/steering';
import { conditionTaps, evaluateConditions, hasConditions, isGated, type ConditionOutcome } from '../../shared/interventions/condition';
import { createDecoder, deviceInstrumentOptions, type Decoder } from './decoder';
import { PrefixCache, runLoop } from './generate';
import { loadModelFiles } from './modelFiles';
import { createTokenizer, type Tokenizer } from './tokenizer';
import { chooseDevice, probeWebGPU } from './device';
import { readModelConfig, type ModelConfig } from './config';
import { validateRequest } from './request';
import { makePicker, topLogprobs } from './pick';
import { runStage } from './progress';
import { dot, unit as unitVector } from '../../shared/linalg';
import { configureRuntime, type RuntimeConfig } from './ort';
import { measureMemory } from './memory';
import { TextStream } from './textStream';

interface Loaded {
  info: ModelInfo; decoder: Decoder; tokenizer: Tokenizer; config: ModelConfig; cache: PrefixCache;
  /** The adapter strengths the cached prefix KV was computed with (it depends on them). */
  cacheStrengths?: string;
}

export type EngineOptions = RuntimeConfig;

export function createEngine(options: EngineOptions = {}): Engine {
  configureRuntime(options);
  let loaded: Loaded | null = null;
  let busy: Promise<unknown> = Promise.resolve();

  /** One model call at a time: a session must not run two requests at once. */
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = busy.then(fn, fn);
    busy = next.catch(() => undefined);
    return next;
  }

  const need = (): Loaded => {
    if (!loaded) throw new EngineError('not-loaded', 'No model is loaded yet; load one first.');
    return loaded;
  };

  return {
    load: (source, opts, call) => serial(async () => {
      const next = await loadModel(source, opts ?? {}, call ?? {});
      if (loaded) await release(loaded);
      loaded = next;
      return next.info;
    }),
    info: () => loaded?.info ?? null,
    generate: (req, call) => serial(() => generate(need(), req, call ?? {})),
    tokenize: async (prompt, opts) => tokenizePrompt(need(), prompt, opts?.continueFinal),
    dispose: () => serial(async () => {
      if (loaded) await release(loaded);
      loaded = null;
    }),
  };
}

async function release(l: Loaded): Promise<void> {
  l.cache.clear();
  await l.decoder.release();
}

async function loadModel(source: ModelSource, opts: LoadOptions, call: CallOptions): Promise<Loaded> {
  const gpu = await probeWebGPU();
  const files = await loadModelFiles(source, {
    dtype: opts.dtype,
    remoteHost: opts.remoteHost,
    onProgress: call.onProgress,
    signal: call.signal,
    pickDtype: (available) => chooseDevice({ preference: opts.device ?? 'auto', gpu, requestedDtype: opts.dtype, availableDtypes: available }),
  });
  const config = readModelConfig(files.config, files.generationConfig);
  // The files as they came, before instrument edits the graph in place.
  const fileBytes = files.externalData.reduce((n, e) => n + e.data.byteLength, files.onnx.byteLength);
  const adapter = opts.adapter ? readLoraAdapter(opts.adapter) : undefined;
  const inst = await runStage('instrument', call.onProgress, async () => instrument(files.onnx, { numLayers: config.numLayers, hiddenSize: config.hiddenSize, inPlace: true, lora: adapter, ...deviceInstrumentOptions(files.device) }), 'adding taps and steering inputs to the graph');
  const decoder = await runStage('session', call.onProgress, () => createDecoder(inst, { device: files.device, externalData: files.externalData, vocabSize: config.vocabSize }), `creating the ${files.device} session`);
  const tokenizer = await createTokenizer(files.tokenizerJson, files.tokenizerConfig);
  const info: ModelInfo = {
    id: files.id,
    layout: inst.layout,
    architecture: config.architecture,
    modelType: config.modelType,
    numLayers: config.numLayers,
    hiddenSize: config.hiddenSize,
    vocabSize: config.vocabSize,
    maxPositions: config.maxPositions,
    dtype: files.dtype,
    bodyDtype: inst.bodyDtype,
    device: files.device,
    deviceReason: files.deviceReason,
    taps: inst.taps,
    hasChatTemplate: tokenizer.hasChatTemplate,
    eosTokenIds: config.eosTokenIds,
    ...(adapter ? { adapter: adapterInfo(adapter, files.id) } : {}),
    memory: measureMemory(fileBytes, files.device),
  };
  return { info, decoder, tokenizer, config, cache: new PrefixCache() };
}

function adapterInfo(a: LoraAdapter, modelId: string): AdapterInfo {
  const { name, baseModel, rank, alpha, rslora, scale, modules } = a;
  const note = baseModelNote(baseModel, modelId);
  return {
    name, ...(baseModel ? { baseModel } : {}), rank, alpha, rslora, scale, modules: [...modules], layers: [...new Set(a.weights.map((w) => w.layer))],
    ...(note ? { note } : {}),
  };
}

/** The decoder for a group of rows, fed their adapter strengths; a prefix cached under other strengths is dropped. */
function decoderFor(l: Loaded, req: GenerateRequest, group: number[]): Decoder {
  if (!l.info.adapter) return l.decoder;
  const strengths = group.map((r) => req.rows[r].adapterStrength ?? 1);
  const key = JSON.stringify(strengths);
  if (l.cacheStrengths !== key) l.cache.clear();
  l.cacheStrengths = key;
  return l.decoder.withAdapterStrength(strengths);
}

function tokenizePrompt(l: Loaded, prompt: string | ChatMessage[], continueFinal = false): TokenizedPrompt {
  if (typeof prompt === 'string') return { ids: l.tokenizer.encode(prompt) };
  if (!l.tokenizer.hasChatTemplate) throw new EngineError('bad-input', 'This model has no chat template; send the prompt as raw text.');
  const endsWithAssistant = prompt[prompt.length - 1]?.role === 'assistant';
  if (continueFinal && !endsWithAssistant) throw new EngineError('bad-input', 'continueFinal needs messages that end with an assistant message to continue.');
  const { ids, spans } = l.tokenizer.chat(prompt, { addGenerationPrompt: !endsWithAssistant });
  if (!continueFinal) return { ids, spans };
  // Cut the closing of the final turn (end-of-turn token, newline) so generation continues its content.
  const end = spans![spans!.length - 1].end;
  return { ids: ids.slice(0, end), spans };
}

async function generate(l: Loaded, req: GenerateRequest, call: CallOptions): Promise<GenerateResult> {
  validateRequest(req, l.info, l.config);
  const dims = { numLayers: l.info.numLayers, hiddenSize: l.info.hiddenSize };
  let steering: ResolvedSpec[][] = req.rows.map((row, r) => (row.steering ?? []).map((s, i) => resolveSpec(s, dims, `${row.label ?? `Row ${r + 1}`}, steering ${i + 1}`)));
  let conditions: ConditionOutcome[][] | undefined;
  if (hasConditions(steering)) ({ steering, conditions } = await gate(l, req, steering, call));
  const ids = req.rows.map((row) => tokenizePrompt(l, row.prompt, row.continueFinal).ids);
  for (const [r, row] of ids.entries()) {
    const what = req.rows[r].label ?? (ids.length > 1 ? `Prompt ${r + 1} of ${ids.length}` : 'The prompt');
    if (row.length + req.maxNewTokens > l.config.maxPositions) {
      throw new EngineError('bad-input', `${what} has ${row.length} tokens and ${req.maxNewTokens} more were asked for, beyond this model's ${l.config.maxPositions} positions; shorten it or lower max tokens.`);
    }
    if (row.length === 0) throw new EngineError('bad-input', `${what} is empty.`);
  }
  const result: GenerateResult = {
    tokens: ids.map(() => []), text: ids.map(() => ''), promptLengths: ids.map((r) => r.length),
    padLeft: ids.map(() => 0), captures: {}, prefixReused: true,
  };
  if (conditions) result.conditions = conditions;
  if (req.monitor) result.projections = ids.map(() => []);
  if (req.topLogprobs) result.logprobs = ids.map(() => []);
  const monitorTap = req.monitor ? (`blocks.${req.monitor.layer}.${req.monitor.tap ?? 'hook_resid_post'}` as TapName) : null;
  const unit = req.monitor ? unitVector(req.monitor.direction) : null;
  const taps = [...new Set([...(req.captures ?? []), ...(monitorTap ? [monitorTap] : [])])];
  const streams = ids.map(() => new TextStream((t) => l.tokenizer.decode(t, { skipSpecialTokens: true })));
  for (const group of rowGroups(l.decoder, ids)) {
    const picker = makePicker(group.map(() => req.sampling ?? {}));
    const pick = (gr: number, logits: Float32Array) => {
      if (req.topLogprobs) result.logprobs![group[gr]].push(topLogprobs(logits, req.topLogprobs).map((t) => ({ ...t, text: l.tokenizer.decode([t.token]) })));
      return picker(gr, logits);
    };
    const out = await runLoop(decoderFor(l, req, group), l.cache, {
      ids: group.map((r) => ids[r]),
      padRight: usesGqa(l.decoder),
      steering: group.map((r) => steering[r]),
      drafts: group.map((r) => req.rows[r].draft ?? []),
      maxNewTokens: req.maxNewTokens,
      pick,
      eos: new Set(l.config.eosTokenIds),
      padId: l.config.padTokenId,
      stopAtEos: req.stopAtEos ?? true,
      taps,
      captures: req.captures ?? [],
      signal: call.signal,
      onToken: (gr, step, token, last) => {
        const r = group[gr];
        result.tokens[r].push(token);
        result.text[r] = streams[r].push(token);
        const projection = monitorTap && unit ? dot(last[monitorTap], unit) : undefined;
        if (projection !== undefined) result.projections![r].push(projection);
        call.onToken?.({ row: r, step, token, text: result.text[r], projection });
      },
    });
    result.prefixReused &&= out.prefixReused;
    if (req.rows.some((row) => row.draft)) {
      result.draftKept ??= ids.map(() => 0);
      // runLoop drafts for a one-row group only, so its count belongs to that row.
      if (group.length === 1) result.draftKept[group[0]] = out.draftAccepted;
    }
    group.forEach((r, gr) => (result.padLeft[r] = out.padLeft[gr]));
    mergeCaptures(result, out.captures, group, ids.length, req.captures ?? []);
  }
  // Once per row at the end: the whole text, including a character still incomplete in the stream.
  result.text = result.tokens.map((t) => l.tokenizer.decode(t, { skipSpecialTokens: true }));
  return result;
}

/** Conditional adds (interventions/condition.ts): one prompt pass without them decides, per row, which apply. */
async function gate(l: Loaded, req: GenerateRequest, steering: ResolvedSpec[][], call: CallOptions): Promise<{ steering: ResolvedSpec[][]; conditions: ConditionOutcome[][] }> {
  const pass = await generate(l, {
    // Resolution maps specs one to one, so spec i of a row is resolved spec i.
    rows: req.rows.map((row, r) => ({ ...row, steering: (row.steering ?? []).filter((_, i) => !isGated(steering[r][i])) })),
    maxNewTokens: 0, captures: conditionTaps(steering),
  }, { signal: call.signal });
  const out = evaluateConditions(steering, pass.captures, pass.padLeft, pass.promptLengths);
  return { steering: out.steering, conditions: out.outcomes };
}

/** GroupQueryAttention reads each row's length from the mask and expects its tokens from position 0. */
const usesGqa = (dec: Decoder): boolean => dec.model.opTypes.includes('GroupQueryAttention');

/**
 * Rows that run as one batch. Always one batch, except on WebGPU with GroupQueryAttention and a prompt
 * longer than one prefill pass: the prompt must then run in passes (`Decoder.prefillChunk`), and
 * onnxruntime's GQA refuses a multi-token pass on top of a KV cache for more than one row ("batch_size
 * must be 1 when sequence_length > 1 and past context is given"), so those rows run one at a time.
 */
function rowGroups(dec: Decoder, ids: number[][]): number[][] {
  const chunked = usesGqa(dec) && ids.some((r) => r.length > dec.prefillChunk);
  return chunked ? ids.map((_, i) => [i]) : [ids.map((_, i) => i)];
}

/** Captures of one row group placed into the whole batch (groups only differ when rows were split). */
function mergeCaptures(result: GenerateResult, caps: Record<string, Capture>, group: number[], B: number, wanted: TapName[]): void {
  for (const tap of wanted) {
    const c = caps[tap];
    if (group.length === B) {
      result.captures[tap] = c;
      continue;
    }
    // Split groups have different lengths: right-pad each group's rows to the longest with zeros.
    const [, S, D] = c.shape;
    const prev = result.captures[tap];
    const S2 = Math.max(S, prev?.shape[1] ?? 0);
    const data = new Float32Array(B * S2 * D);
    if (prev) for (let r = 0; r < B; r++) data.set(prev.data.subarray(r * prev.shape[1] * D, (r + 1) * prev.shape[1] * D), r * S2 * D);
    group.forEach((r, gr) => data.set(c.data.subarray(gr * S * D, (gr + 1) * S * D), r * S2 * D));
    result.captures[tap] = { shape: [B, S2, D], data };
  }
}
