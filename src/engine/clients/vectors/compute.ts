/**
 * The clients' heavy pure maths behind one asynchronous interface, so a host can run it off its main thread:
 * the lab sends it to a worker (workers/compute.worker.ts), whose answers are these same functions run there;
 * the CLI, tests and workflows without a host choice call `inProcessCompute`. Probe training (a logistic fit per
 * layer) and cosine matrices over full-width vectors take long enough on real models to freeze a page.
 */
import type { VectorSet } from './meta';
import type { ProbeOptions } from './probe';
import { detectionTable, type DetectionReport } from './detection';
import { cosineMatrix, layerCosineMatrix } from './projection';

export interface Compute {
  /** detection.ts detectionTable: per layer, separation, detection-score AUROC and a held-out logistic probe. */
  detectionTable(a: Float32Array[], b: Float32Array[], vectors: VectorSet, probe?: ProbeOptions): Promise<DetectionReport>;
  /** projection.ts cosineMatrix: pairwise cosine between vectors. */
  cosineMatrix(vectors: Float32Array[]): Promise<number[][]>;
  /** projection.ts layerCosineMatrix: cosine between the layers of one [numLayers, D] set. */
  layerCosineMatrix(set: Float32Array, hiddenSize: number): Promise<number[][]>;
}

export const inProcessCompute: Compute = {
  detectionTable: async (a, b, vectors, probe) => detectionTable(a, b, vectors, probe),
  cosineMatrix: async (vectors) => cosineMatrix(vectors),
  layerCosineMatrix: async (set, D) => layerCosineMatrix(set, D),
};
