/**
 * The compute worker's message handler: runs vectors/compute.ts's in-process maths for each request and posts
 * one answer with its id. Free of worker globals so tests drive it over a real MessageChannel.
 */
import { inProcessCompute, type Compute } from '../src/engine/clients/vectors/compute';
import { toErrorData } from '../src/engine/shared/errors';
import { isComputeRequest, transferablesOf, type ComputeRequest, type ComputeResponse } from './protocol';

export type ComputePost = (msg: ComputeResponse, transfer: ArrayBuffer[]) => void;

function run(c: Compute, m: ComputeRequest): Promise<unknown> {
  switch (m.type) {
    case 'detectionTable': return c.detectionTable(m.a, m.b, m.vectors, m.probe);
    case 'cosineMatrix': return c.cosineMatrix(m.vectors);
    case 'layerCosineMatrix': return c.layerCosineMatrix(m.set, m.hiddenSize);
  }
}

export function createComputeHandler(post: ComputePost, compute: Compute = inProcessCompute): (raw: unknown) => void {
  return (raw) => {
    if (!isComputeRequest(raw)) {
      const id = Number.isInteger((raw as { id?: unknown } | null)?.id) ? (raw as { id: number }).id : -1;
      post({ type: 'error', id, error: { code: 'bad-input', message: 'Malformed message sent to the compute worker: a type of detectionTable, cosineMatrix or layerCosineMatrix and an integer id are needed.' } }, []);
      return;
    }
    run(compute, raw).then(
      (value) => {
        // The detection table's direction set is the one large array in an answer: move it, do not copy it.
        const moved = raw.type === 'detectionTable' ? transferablesOf([(value as { vectors: { vectors: Float32Array } }).vectors.vectors]) : [];
        post({ type: 'result', id: raw.id, op: raw.type, value } as ComputeResponse, moved);
      },
      (e: unknown) => post({ type: 'error', id: raw.id, error: toErrorData(e) }, []),
    );
  };
}
