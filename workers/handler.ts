/**
 * Worker-side message handler: wraps any Engine and speaks workers/protocol.ts. Kept free of worker
 * globals so tests can drive it in-process over a real MessageChannel.
 *
 * It cancels nothing on its own: which request ends early is the client's scheduler's decision
 * (src/engine/clients/scheduler.ts), carried here as a 'cancel' message and, when attached, through shared flags.
 * Rules it enforces (the engine does not have to):
 *  - with shared cancel flags attached, a cancelled generate is aborted at its next token even while the
 *    engine keeps the worker busy (messages wait until the worker returns to its event loop);
 *  - once a request is aborted, none of its token/progress events are posted, and it ends with a
 *    'cancelled' error even if the engine finished anyway;
 *  - progress is monotonic per stage and a successful request that reported progress ends with done=true.
 */
import type { Engine, ProgressEvent } from '../src/engine/shared/api';
import { EngineError, toErrorData } from '../src/engine/shared/errors';
import { CancelFlags, isCancelled, isWorkerRequest, transferablesOf, type Op, type ResultValues, type WorkerResponse } from './protocol';

export type Post = (msg: WorkerResponse, transfer: ArrayBuffer[]) => void;

export function createHandler(engine: Engine, post: Post): (raw: unknown) => void {
  const controllers = new Map<number, AbortController>();
  let flags: Int32Array | null = null;
  /** Read from shared memory: the client has cancelled request `id`. */
  const cancelledByClient = (id: number) => !!flags && isCancelled(flags, id);

  async function run<K extends Op>(op: K, id: number, work: (signal: AbortSignal, onProgress: (e: ProgressEvent) => void) => Promise<ResultValues[K]>): Promise<void> {
    const ctl = new AbortController();
    controllers.set(id, ctl);
    const progress = progressGuard((event) => post({ type: 'progress', id, event }, []));
    const onProgress = (e: ProgressEvent) => { if (!ctl.signal.aborted) progress.push(e); };
    try {
      const value = await work(ctl.signal, onProgress);
      if (ctl.signal.aborted) throw new EngineError('cancelled', 'The request was superseded or cancelled.');
      progress.finish();
      post({ type: 'result', id, op, value } as WorkerResponse, op === 'generate' ? resultTransfers(value as ResultValues['generate']) : []);
    } catch (e) {
      const error = ctl.signal.aborted ? { code: 'cancelled' as const, message: 'The request was superseded or cancelled.' } : toErrorData(e);
      post({ type: 'error', id, error }, []);
    } finally {
      controllers.delete(id);
    }
  }

  return (raw: unknown) => {
    if (!isWorkerRequest(raw)) {
      const id = typeof raw === 'object' && raw !== null && Number.isInteger((raw as { id?: unknown }).id) ? (raw as { id: number }).id : -1;
      post({ type: 'error', id, error: { code: 'bad-input', message: 'Malformed message sent to the engine worker.' } }, []);
      return;
    }
    const msg = raw;
    switch (msg.type) {
      case 'cancel':
        controllers.get(msg.target)?.abort();
        return;
      case 'load':
        void run('load', msg.id, (signal, onProgress) => engine.load(msg.source, msg.options, { signal, onProgress }));
        return;
      case 'attach':
        flags = new Int32Array(msg.flags, 0, CancelFlags.length);
        return;
      case 'generate':
        void run('generate', msg.id, (signal, onProgress) => {
          // Queued behind a busy engine, this message may already be cancelled: do not let it start.
          if (cancelledByClient(msg.id)) controllers.get(msg.id)?.abort();
          return engine.generate(msg.request, {
            signal,
            onProgress,
            onToken: (event) => {
              // The engine checks the signal before its next step; this is what stops it when it never yields.
              if (!signal.aborted && cancelledByClient(msg.id)) controllers.get(msg.id)?.abort();
              if (!signal.aborted) post({ type: 'token', id: msg.id, event }, []);
            },
          });
        });
        return;
      case 'tokenize':
        void run('tokenize', msg.id, () => engine.tokenize(msg.prompt, msg.options));
        return;
      case 'dispose':
        for (const c of controllers.values()) c.abort();
        void run('dispose', msg.id, async () => { await engine.dispose(); return null; });
        return;
    }
  };
}

/** Capture tensors are big and the worker no longer needs them: move them, do not copy. */
function resultTransfers(r: ResultValues['generate']): ArrayBuffer[] {
  return transferablesOf(Object.values(r.captures ?? {}).map((c) => c.data));
}

/** Clamps regressions per stage and closes the sequence with a done event. */
export function progressGuard(emit: (e: ProgressEvent) => void): { push(e: ProgressEvent): void; finish(): void } {
  const maxByStage = new Map<string, number>();
  let last: ProgressEvent | null = null;
  return {
    push(e) {
      const total = Math.max(0, e.total);
      let loaded = Math.max(e.loaded, maxByStage.get(e.stage) ?? 0);
      if (total > 0) loaded = Math.min(loaded, total);
      if (e.done && total > 0) loaded = total;
      maxByStage.set(e.stage, loaded);
      last = { ...e, loaded, total };
      emit(last);
    },
    finish() {
      if (last && !last.done) {
        const total = Math.max(last.total, last.loaded);
        last = { ...last, loaded: total, total, done: true };
        emit(last);
      }
    },
  };
}
