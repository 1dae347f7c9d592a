/**
 * vectors/compute.ts's Compute over postMessage to the compute worker (workers/compute.worker.ts): probe training
 * and cosine matrices run there, not on the page's thread. Inputs are copied (the page keeps its vectors); an
 * error comes back as {code, message} and is thrown as an EngineError, as the engine's are.
 */
import type { Compute } from '../engine/clients/vectors/compute';
import { EngineError, isErrorCode } from '../engine/shared/errors';
import type { ComputeOp, ComputeRequest, ComputeResponse, ComputeValues } from '../../workers/protocol';
import type { PortLike } from './workerEngine';

export interface ComputeClient extends Compute {
  /** Requests still waiting for an answer (for tests and diagnostics). */
  pendingCount(): number;
}

export function createComputeClient(port: PortLike): ComputeClient {
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: EngineError): void }>();
  port.addEventListener('message', (e) => {
    const msg = e.data as ComputeResponse;
    const p = pending.get(msg?.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.type === 'result') p.resolve(msg.value);
    else p.reject(new EngineError(isErrorCode(msg.error?.code) ? msg.error.code : 'internal', String(msg.error?.message ?? 'Unknown compute error.')));
  });
  // A worker that fails to start or crashes would otherwise leave every promise hanging.
  port.addEventListener('error', (e) => {
    const message = (e as { message?: string })?.message || 'The compute worker failed.';
    for (const [id, p] of [...pending]) { pending.delete(id); p.reject(new EngineError('internal', message)); }
  });
  port.start?.();

  const send = <K extends ComputeOp>(op: K, body: Omit<Extract<ComputeRequest, { type: K }>, 'id' | 'type'>): Promise<ComputeValues[K]> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      port.postMessage({ type: op, id, ...body } as unknown as ComputeRequest, []);
    });

  return {
    pendingCount: () => pending.size,
    detectionTable: (a, b, vectors, probe) => send('detectionTable', { a, b, vectors, probe }),
    cosineMatrix: (vectors) => send('cosineMatrix', { vectors }),
    layerCosineMatrix: (set, hiddenSize) => send('layerCosineMatrix', { set, hiddenSize }),
  };
}
