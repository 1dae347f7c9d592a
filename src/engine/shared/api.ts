/**
 * The one engine interface. The UI, the CLI and the tests talk to this; it is implemented
 * in-process (src/engine/core/runtime/engine.ts) and behind the Web Worker (workers/ + src/app/workerEngine.ts),
 * and a caller cannot tell which. Everything that crosses it is plain, structured-cloneable data.
 */
import type { SteeringSpec } from './steering';
import type { ConditionOutcome } from './interventions/condition';
export type { SteeringSpec, AddSpec, AblateSpec, CapSpec, Condition, Positions } from './steering';
export type { ConditionOutcome } from './interventions/condition';

/** Tap names follow TransformerLens. Layer indices are 0-based into model.layers. */
export type TapName = 'hook_embed' | `blocks.${number}.hook_resid_mid` | `blocks.${number}.hook_resid_post`;

export type Device = 'webgpu' | 'wasm';
export type DevicePreference = 'auto' | Device;
export type ModelDtype = 'fp32' | 'fp16' | 'q4' | 'q4f16' | 'q8' | 'int8' | 'uint8' | 'bnb4' | 'quantized';

/** Where a model comes from: a hub id (downloaded and cached through transformers.js) or files in hand. */
export type ModelSource =
  | { kind: 'hub'; id: string; revision?: string }
  /** A folder in hub layout; keys are paths relative to the folder ("config.json", "onnx/model_q4.onnx"). */
  | { kind: 'files'; name: string; files: Record<string, Uint8Array> }
  /** A folder on disk (Node only: CLI and tests). */
  | { kind: 'path'; path: string };

export interface LoadOptions {
  dtype?: ModelDtype;
  device?: DevicePreference;
  /** Remote host serving the hub URL layout; tests point it at a local server. */
  remoteHost?: string;
  /**
   * A PEFT LoRA adapter applied in the graph. Each request row then says how strongly
   * (`GenerateRow.adapterStrength`), so base and fine-tuned run as rows of one batch.
   */
  adapter?: AdapterFiles;
}

/** The loaded LoRA adapter, as ModelInfo reports it. */
export interface AdapterInfo {
  name: string;
  baseModel?: string;
  rank: number;
  alpha: number;
  rslora: boolean;
  /** alpha / rank (alpha / √rank with rslora). */
  scale: number;
  modules: string[];
  /** Layers (0-based) the adapter changes. */
  layers: number[];
  /** Present when the adapter's base model is unknown or named differently from the loaded model. */
  note?: string;
}

export interface ModelInfo {
  id: string;
  layout: 'decomposed' | 'builder';
  /** The Hugging Face class name (config architectures[0], e.g. Qwen2ForCausalLM). */
  architecture: string;
  /** config.json's model_type (e.g. qwen2, llama): what other tools write as a vector's model hint. */
  modelType?: string;
  numLayers: number;
  hiddenSize: number;
  vocabSize: number;
  /** Positions the model can attend over (config max_position_embeddings): prompt + generated tokens must fit. */
  maxPositions: number;
  dtype: ModelDtype;
  /** dtype of the residual stream inside the graph. */
  bodyDtype: 'float32' | 'float16';
  device: Device;
  /** Why this device / variant was chosen, in words for the user. */
  deviceReason: string;
  taps: TapName[];
  hasChatTemplate: boolean;
  eosTokenIds: number[];
  /** Present when the model was loaded with a LoRA adapter. */
  adapter?: AdapterInfo;
  /** What the model costs in memory, measured when its load finished (core/runtime/memory.ts). */
  memory?: ModelMemory;
}

/**
 * Memory figures of a loaded model. The runtime's figures cover everything its host runs: one model per
 * worker in the lab, every engine of the process in Node.
 */
export interface ModelMemory {
  /** Bytes of the model's files: the graph and its external data, as downloaded or read. */
  fileBytes: number;
  /** onnxruntime's wasm linear memory (weights on wasm, activations, KV cache); a high-water mark. Null when not seen. */
  wasmHeapBytes: number | null;
  /** WebGPU buffers alive (created and not destroyed) on the webgpu device; null on wasm. */
  gpuBufferBytes: number | null;
  measuredAt: 'load';
}

export interface ChatMessage { role: 'system' | 'user' | 'assistant'; content: string }

/** One batch row: its prompt and its own steering. */
export interface GenerateRow {
  /** A string is tokenized as-is (special tokens added as the tokenizer does by default); messages go through the chat template with the generation prompt. */
  prompt: string | ChatMessage[];
  steering?: SteeringSpec[];
  /** With messages ending in an assistant message: leave that turn open so the model continues it (HF continue_final_message). */
  continueFinal?: boolean;
  /** What this prompt is, in the user's words ("the judge prompt", "trait question 3"): errors about it name it so. */
  label?: string;
  /**
   * With a LoRA adapter loaded: how much of it this row gets, 0 = the base model, 1 = the fine-tuned
   * model (the default), anything between or beyond a blend. Refused when no adapter is loaded.
   */
  adapterStrength?: number;
  /**
   * Tokens this row is likely to generate, e.g. the previous slider position's result. The engine checks
   * them in the prompt pass and keeps those the model picks anyway: the same tokens, fewer decode passes
   * (used for a single row on wasm; ignored elsewhere).
   */
  draft?: number[];
}

export interface Sampling {
  /** 0 or absent means greedy. */
  temperature?: number;
  topP?: number;
  seed?: number;
}

/** Project each generated token's residual at `layer` onto `direction` (live monitoring). */
export interface Monitor { layer: number; direction: Float32Array; tap?: 'hook_resid_post' | 'hook_resid_mid' }

export interface GenerateRequest {
  rows: GenerateRow[];
  /** 0 runs the prompt only (activation collection: captures cover the prompt positions). */
  maxNewTokens: number;
  sampling?: Sampling;
  /** Taps to return for every prompt and generated position, shape [B, S, D]. */
  captures?: TapName[];
  monitor?: Monitor;
  /** Stop a row at an end-of-sequence token (default true). */
  stopAtEos?: boolean;
  /** Return the k most likely next tokens (log-probabilities) at every generated step (judges). */
  topLogprobs?: number;
}

export interface TopLogprob { token: number; text: string; logprob: number }

export interface Capture { shape: [number, number, number]; data: Float32Array }

export interface GenerateResult {
  tokens: number[][];
  text: string[];
  /** Number of prompt tokens per row (unpadded). */
  promptLengths: number[];
  /** Left padding per row in `captures` (row r's prompt starts at position padLeft[r]). */
  padLeft: number[];
  captures: Record<string, Capture>;
  /** Per row, per generated token: projection onto the monitor direction. */
  projections?: number[][];
  /** True when the prompt KV came from the prefix cache instead of a full prefill. */
  prefixReused: boolean;
  /** With conditional adds (`when`): per row, each gated spec's prompt score and whether it fired (interventions/condition.ts). */
  conditions?: ConditionOutcome[][];
  /** With topLogprobs: per row, per generated step, the top-k of the distribution the token was drawn from. */
  logprobs?: TopLogprob[][][];
  /** When a row sent a draft: per row, how many of its drafted tokens were kept (0 when a draft was not used). */
  draftKept?: number[];
}

export interface TokenEvent {
  row: number;
  /** Index of the generated token in this row (0-based). */
  step: number;
  token: number;
  /** The row's decoded text so far. */
  text: string;
  projection?: number;
}

/** The one progress event. Rules (tested): `loaded` never decreases per stage, and the last event has done=true with loaded=total. */
export interface ProgressEvent {
  stage: string;
  loaded: number;
  total: number;
  done: boolean;
  detail?: string;
}

export interface CallOptions {
  signal?: AbortSignal;
  onToken?: (e: TokenEvent) => void;
  onProgress?: (e: ProgressEvent) => void;
}

export interface Engine {
  load(source: ModelSource, options?: LoadOptions, call?: CallOptions): Promise<ModelInfo>;
  info(): ModelInfo | null;
  generate(request: GenerateRequest, call?: CallOptions): Promise<GenerateResult>;
  /** Token ids for a row's prompt, as generate would build them; spans of the chat parts when messages are given. */
  tokenize(prompt: string | ChatMessage[], options?: { continueFinal?: boolean }): Promise<TokenizedPrompt>;
  dispose(): Promise<void>;
}

export interface TokenizedPrompt {
  ids: number[];
  /** For chat prompts: [start, end) token spans of each message's content, in message order. */
  spans?: { role: ChatMessage['role']; start: number; end: number }[];
}

/** An adapter folder's two files, as plain data (crosses the worker boundary). */
export interface AdapterFiles {
  name?: string;
  /** adapter_config.json's text. */
  config: string;
  /** adapter_model.safetensors. */
  weights: Uint8Array;
}
