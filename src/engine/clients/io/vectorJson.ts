/**
 * Our JSON vector format: full metadata plus the matrix as base64 of little-endian float32
 * (bit-exact, and ~4x smaller than a number array).
 */
import { EngineError } from '../../shared/errors';
import { type VectorSet, checkVectorSet, parseVectorMeta } from '../vectors/meta';
import { base64ToBytes, bytesToBase64, float32FromLE, float32ToLE } from './base64';

export const VECTOR_JSON_FORMAT = 'steering-lab.vectors';
export const VECTOR_JSON_VERSION = 1;

export interface VectorJson {
  format: typeof VECTOR_JSON_FORMAT;
  version: number;
  meta: VectorSet['meta'];
  dtype: 'float32';
  byteOrder: 'little';
  shape: [number, number];
  data: string;
}

export function toVectorJson(set: VectorSet): VectorJson {
  checkVectorSet(set, 'Vector export');
  return {
    format: VECTOR_JSON_FORMAT,
    version: VECTOR_JSON_VERSION,
    meta: set.meta,
    dtype: 'float32',
    byteOrder: 'little',
    shape: [set.meta.numLayers, set.meta.hiddenSize],
    data: bytesToBase64(float32ToLE(set.vectors)),
  };
}

export const exportVectorJson = (set: VectorSet): string => JSON.stringify(toVectorJson(set), null, 1);

const bad = (m: string): EngineError => new EngineError('bad-input', `Vector JSON: ${m}`);

export function importVectorJson(input: string | unknown): VectorSet {
  let j: unknown = input;
  if (typeof input === 'string') {
    try {
      j = JSON.parse(input);
    } catch (e) {
      throw bad(`not valid JSON (${e instanceof Error ? e.message : String(e)}).`);
    }
  }
  const o = j as Partial<VectorJson> | null;
  if (typeof o !== 'object' || o === null) throw bad('expected an object.');
  if (o.format !== VECTOR_JSON_FORMAT) throw bad(`"format" must be "${VECTOR_JSON_FORMAT}" (found ${JSON.stringify(o.format)}).`);
  if (o.version !== VECTOR_JSON_VERSION) throw bad(`version ${JSON.stringify(o.version)} is not supported (this build reads version ${VECTOR_JSON_VERSION}).`);
  if (o.dtype !== 'float32' || o.byteOrder !== 'little') throw bad('only dtype "float32" with byteOrder "little" is supported.');
  const meta = parseVectorMeta(o.meta, 'Vector JSON');
  const shape = o.shape;
  if (!Array.isArray(shape) || shape[0] !== meta.numLayers || shape[1] !== meta.hiddenSize) {
    throw bad(`shape ${JSON.stringify(shape)} does not match metadata [${meta.numLayers}, ${meta.hiddenSize}].`);
  }
  if (typeof o.data !== 'string') throw bad('"data" must be a base64 string.');
  const bytes = base64ToBytes(o.data, 'Vector JSON "data"');
  if (bytes.length !== meta.numLayers * meta.hiddenSize * 4) {
    throw bad(`"data" holds ${bytes.length} bytes; ${meta.numLayers} x ${meta.hiddenSize} float32 needs ${meta.numLayers * meta.hiddenSize * 4}.`);
  }
  const set = { vectors: float32FromLE(bytes, 0, bytes.length / 4), meta };
  checkVectorSet(set, 'Vector JSON');
  return set;
}
