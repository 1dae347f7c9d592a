/**
 * The one message union across the worker boundary. Every request carries a client-chosen id; every
 * response/event echoes the id of the request it belongs to, so the client can drop anything stale.
 * Everything here is structured-cloneable (no class instances: errors travel as {code, message}).
 */
import type {
  ChatMessage,
  GenerateRequest,
  GenerateResult,
  LoadOptions,
  ModelInfo,
  ModelSource,
  ProgressEvent,
  TokenEvent,
  TokenizedPrompt,
} from '../src/engine/shared/api';
import type { ErrorData } from '../src/engine/shared/errors';
import type { DetectionReport } from '../src/engine/clients/vectors/detection';
import type { VectorSet } from '../src/engine/clients/vectors/meta';
import type { ProbeOptions } from '../src/engine/clients/vectors/probe';

export type WorkerRequest =
  | { type: 'load'; id: number; source: ModelSource; options?: LoadOptions }
  | { type: 'generate'; id: number; request: GenerateRequest }
  | { type: 'tokenize'; id: number; prompt: string | ChatMessage[]; options?: { continueFinal?: boolean } }
  /** Abort request `target` (a no-op when it already finished). Needs no answer of its own. */
  | { type: 'cancel'; id: number; target: number }
  | { type: 'dispose'; id: number }
  /**
   * Sent once by the client when it can share memory (cross-origin isolated). Cancel messages only reach the
   * worker when it returns to its event loop, which a generation on wasm may not do until it ends; the
   * client also writes cancellations here, and the worker reads them between tokens. See markCancelled.
   */
  | { type: 'attach'; id: number; flags: SharedArrayBuffer };

/**
 * Shared cancel flags: a ring of Int32 slots; cancelling request `id` writes `id` into slot `id % SLOTS`.
 * Which request to cancel is decided by the client's scheduler (src/engine/clients/scheduler.ts); these only carry
 * the decision across to a worker that is too busy to read messages. A ring, not one slot, so that a second
 * cancellation cannot overwrite the first before the worker has read it.
 */
export const CancelFlags = { slots: 64, length: 64 } as const;

export function markCancelled(flags: Int32Array, id: number): void {
  Atomics.store(flags, id % CancelFlags.slots, id);
}

export function isCancelled(flags: Int32Array, id: number): boolean {
  return Atomics.load(flags, id % CancelFlags.slots) === id;
}

export type RequestType = WorkerRequest['type'];

/** The value each operation resolves to, keyed by op. */
export interface ResultValues {
  load: ModelInfo;
  generate: GenerateResult;
  tokenize: TokenizedPrompt;
  dispose: null;
}
export type Op = keyof ResultValues;

export type ResultMessage = { [K in Op]: { type: 'result'; id: number; op: K; value: ResultValues[K] } }[Op];

export type WorkerResponse =
  | { type: 'progress'; id: number; event: ProgressEvent }
  | { type: 'token'; id: number; event: TokenEvent }
  | ResultMessage
  | { type: 'error'; id: number; error: ErrorData };

const REQUEST_TYPES: readonly RequestType[] = ['load', 'generate', 'tokenize', 'cancel', 'dispose', 'attach'];

/** Cheap shape check for what arrives from postMessage; the engine validates the payloads themselves. */
export function isWorkerRequest(x: unknown): x is WorkerRequest {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as { type?: unknown; id?: unknown; target?: unknown; flags?: unknown };
  if (!REQUEST_TYPES.includes(m.type as RequestType) || !Number.isInteger(m.id)) return false;
  if (m.type === 'attach') return typeof SharedArrayBuffer !== 'undefined' && m.flags instanceof SharedArrayBuffer && m.flags.byteLength >= 4 * CancelFlags.length;
  return m.type !== 'cancel' || Number.isInteger(m.target);
}

/**
 * Buffers worth transferring instead of copying. Deduplicated (listing a buffer twice throws) and only
 * plain ArrayBuffers (a SharedArrayBuffer cannot be transferred).
 */
export function transferablesOf(views: Iterable<ArrayBufferView | null | undefined>): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of views) {
    if (v && v.buffer instanceof ArrayBuffer && v.buffer.byteLength > 0) out.add(v.buffer);
  }
  return [...out];
}

/**
 * The compute worker's messages (workers/compute.worker.ts): the clients' heavy pure maths (vectors/compute.ts)
 * off the page's thread. One request, one answer with its id; errors as {code, message} like the engine's.
 */
export type ComputeRequest =
  | { type: 'detectionTable'; id: number; a: Float32Array[]; b: Float32Array[]; vectors: VectorSet; probe?: ProbeOptions }
  | { type: 'cosineMatrix'; id: number; vectors: Float32Array[] }
  | { type: 'layerCosineMatrix'; id: number; set: Float32Array; hiddenSize: number };

export type ComputeOp = ComputeRequest['type'];

/** The value each compute operation resolves to, keyed by op. */
export interface ComputeValues {
  detectionTable: DetectionReport;
  cosineMatrix: number[][];
  layerCosineMatrix: number[][];
}

export type ComputeResponse =
  | { [K in ComputeOp]: { type: 'result'; id: number; op: K; value: ComputeValues[K] } }[ComputeOp]
  | { type: 'error'; id: number; error: ErrorData };

const COMPUTE_TYPES: readonly ComputeOp[] = ['detectionTable', 'cosineMatrix', 'layerCosineMatrix'];

/** Shape check of what arrives at the compute worker: a known op and an integer id (the maths validates the rest). */
export function isComputeRequest(x: unknown): x is ComputeRequest {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as { type?: unknown; id?: unknown };
  return COMPUTE_TYPES.includes(m.type as ComputeOp) && Number.isInteger(m.id);
}
