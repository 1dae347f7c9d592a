/**
 * Engine over postMessage: the UI gets the same interface as the in-process engine. Calls do not cancel each
 * other here (which call runs, waits or ends is the scheduler's decision, src/engine/clients/scheduler.ts); an aborted
 * signal rejects its call with 'cancelled' at once and tells the worker, and events for ids no longer pending
 * are dropped.
 */
import type {
  CallOptions, ChatMessage, Engine, GenerateRequest, GenerateResult, LoadOptions, ModelInfo, ModelSource, TokenizedPrompt,
} from '../engine/shared/api';
import { EngineError, isErrorCode } from '../engine/shared/errors';
import { CancelFlags, markCancelled, transferablesOf, type Op, type ResultValues, type WorkerRequest, type WorkerResponse } from '../../workers/protocol';

/** The part of Worker / MessagePort we use (Node's MessagePort fits too, for tests). */
export interface PortLike {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
  addEventListener(type: 'error', listener: (e: unknown) => void): void;
  start?(): void;
}

export interface WorkerEngine extends Engine {
  /** Requests still waiting for an answer (for tests and diagnostics). */
  pendingCount(): number;
}

interface Pending {
  op: Op;
  resolve(v: unknown): void;
  reject(e: EngineError): void;
  call?: CallOptions;
  detach(): void;
}

const cancelled = () => new EngineError('cancelled', 'The request was superseded or cancelled.');

export function createWorkerEngine(port: PortLike): WorkerEngine {
  let nextId = 1;
  let info: ModelInfo | null = null;
  const pending = new Map<number, Pending>();
  const flags = attachCancelFlags(port, nextId++);

  function settle(id: number): Pending | undefined {
    const p = pending.get(id);
    if (!p) return undefined;
    pending.delete(id);
    p.detach();
    return p;
  }

  port.addEventListener('message', (e) => {
    const msg = e.data as WorkerResponse;
    const p = pending.get(msg?.id);
    if (!p) return; // stale: superseded, cancelled or unknown
    switch (msg.type) {
      case 'progress': p.call?.onProgress?.(msg.event); return;
      case 'token': p.call?.onToken?.(msg.event); return;
      case 'result':
        settle(msg.id);
        if (msg.op === 'load') info = msg.value;
        if (msg.op === 'dispose') info = null;
        p.resolve(msg.value);
        return;
      case 'error': {
        settle(msg.id);
        const code = isErrorCode(msg.error?.code) ? msg.error.code : 'internal';
        p.reject(new EngineError(code, String(msg.error?.message ?? 'Unknown engine error.'), typeof msg.error?.detail === 'string' ? msg.error.detail : undefined));
        return;
      }
    }
  });
  // A worker that fails to start or crashes would otherwise leave every promise hanging.
  port.addEventListener('error', (e) => {
    const message = (e as { message?: string })?.message || 'The engine worker failed.';
    for (const id of [...pending.keys()]) settle(id)?.reject(new EngineError('internal', message));
  });
  port.start?.();

  function send<K extends Op>(op: K, body: Omit<Extract<WorkerRequest, { type: K }>, 'id' | 'type'>, transfer: ArrayBuffer[], call?: CallOptions): Promise<ResultValues[K]> {
    const id = nextId++;
    const signal = call?.signal;
    if (signal?.aborted) return Promise.reject(cancelled());
    return new Promise<ResultValues[K]>((resolve, reject) => {
      const onAbort = () => {
        if (!settle(id)) return;
        if (op === 'generate' && flags) markCancelled(flags, id);
        port.postMessage({ type: 'cancel', id: nextId++, target: id } satisfies WorkerRequest, []);
        reject(cancelled());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      pending.set(id, {
        op, call, resolve: resolve as (v: unknown) => void, reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      });
      port.postMessage({ type: op, id, ...body } as WorkerRequest, transfer);
    });
  }

  return {
    info: () => info,
    pendingCount: () => pending.size,
    load(source: ModelSource, options?: LoadOptions, call?: CallOptions): Promise<ModelInfo> {
      // Model files can be a gigabyte: hand them over instead of copying. The caller must not reuse them.
      const transfer = source.kind === 'files' ? transferablesOf(Object.values(source.files)) : [];
      return send('load', { source, options }, transfer, call);
    },
    // Requests are copied, not transferred: the UI keeps using its vectors after the call.
    generate: (request: GenerateRequest, call?: CallOptions): Promise<GenerateResult> => send('generate', { request }, [], call),
    tokenize: (prompt: string | ChatMessage[], options?: { continueFinal?: boolean }): Promise<TokenizedPrompt> => send('tokenize', { prompt, options }, []),
    async dispose(): Promise<void> {
      await send('dispose', {}, []);
      info = null;
    },
  };
}

/** Shared cancel flags (workers/protocol.ts), when this page may share memory with the worker; else null. */
function attachCancelFlags(port: PortLike, id: number): Int32Array | null {
  if (typeof SharedArrayBuffer === 'undefined' || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return null;
  try {
    const flags = new Int32Array(new SharedArrayBuffer(4 * CancelFlags.length));
    port.postMessage({ type: 'attach', id, flags: flags.buffer as SharedArrayBuffer } satisfies WorkerRequest, []);
    return flags;
  } catch {
    return null; // the port cannot carry shared memory: cancel messages alone still work, between engine yields
  }
}
