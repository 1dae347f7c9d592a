/**
 * Steering specs are plain data sent with each request; nothing outlives a call.
 * Position semantics follow the persona-vectors steerer:
 *  - 'all': every position of every forward pass;
 *  - 'prompt': every position during prefill, none during generation;
 *  - 'response': the last position of every forward pass (last prompt token at prefill, then each generated token).
 */
import { EngineError } from './errors';
import { MAX_ABLATE, MAX_ABS_COEFF } from './limits';
import { assertFinite, norm } from './linalg';

export type Positions = 'all' | 'prompt' | 'response';

/** Add coeff * vector to the output of model.layers[layer] (hook_resid_post). */
export interface AddSpec {
  layer: number;
  vector: Float32Array | number[];
  coeff: number;
  positions: Positions;
}

/** Directional ablation on the output of model.layers[layer]: h -= ablate * (h·u) u, u = direction / |direction|. */
export interface AblateSpec {
  layer: number;
  direction: Float32Array | number[];
  ablate: number;
  positions?: Positions;
}

export type SteeringSpec = AddSpec | AblateSpec;

export const isAblate = (s: SteeringSpec): s is AblateSpec => 'direction' in s;


/** A validated spec with a float32 payload: `scaled` = fround(coeff·v) for adds, the unit u for ablations. */
export type ResolvedSpec =
  | { kind: 'add'; layer: number; positions: Positions; scaled: Float32Array }
  | { kind: 'ablate'; layer: number; positions: Positions; unit: Float32Array; strength: number };

export interface ModelDims { numLayers: number; hiddenSize: number }

const POSITIONS: readonly Positions[] = ['all', 'prompt', 'response'];

function bad(where: string, what: string): never {
  throw new EngineError('bad-input', `${where}: ${what}`);
}

function checkVector(where: string, v: unknown, hiddenSize: number): Float32Array {
  if (!(v instanceof Float32Array) && !Array.isArray(v)) bad(where, 'must be an array of numbers');
  const arr = v as ArrayLike<number>;
  if (arr.length !== hiddenSize) bad(where, `has ${arr.length} values but this model's hidden size is ${hiddenSize}; was it made for another model?`);
  assertFinite(arr, where);
  return Float32Array.from(arr);
}

function checkLayer(where: string, layer: unknown, numLayers: number): number {
  if (!Number.isInteger(layer) || (layer as number) < 0 || (layer as number) >= numLayers) {
    bad(where, `layer ${String(layer)} is out of range; this model has layers 0..${numLayers - 1} (0-based into model.layers)`);
  }
  return layer as number;
}

function checkPositions(where: string, p: unknown): Positions {
  if (!POSITIONS.includes(p as Positions)) bad(where, `positions "${String(p)}" is not one of ${POSITIONS.join(', ')}`);
  return p as Positions;
}

export function resolveSpec(spec: SteeringSpec, dims: ModelDims, where = 'steering'): ResolvedSpec {
  if (typeof spec !== 'object' || spec === null) bad(where, 'must be an object like {layer, vector, coeff, positions} or {layer, direction, ablate}');
  const layer = checkLayer(where, spec.layer, dims.numLayers);
  if (isAblate(spec)) {
    const u = checkVector(`${where}.direction`, spec.direction, dims.hiddenSize);
    const length = norm(u);
    if (!(length > 0)) bad(`${where}.direction`, 'is all zeros; an ablation needs a direction');
    const s = spec.ablate;
    if (typeof s !== 'number' || !Number.isFinite(s) || Math.abs(s) > MAX_ABLATE) bad(`${where}.ablate`, `must be a finite strength within ±${MAX_ABLATE} (1 removes the direction), got ${String(s)}`);
    return { kind: 'ablate', layer, positions: checkPositions(where, spec.positions ?? 'all'), unit: u.map((x) => x / length), strength: s };
  }
  const c = (spec as AddSpec).coeff;
  if (typeof c !== 'number' || !Number.isFinite(c) || Math.abs(c) > MAX_ABS_COEFF) bad(`${where}.coeff`, `must be a finite number within ±${MAX_ABS_COEFF}, got ${String(c)}`);
  const v = checkVector(`${where}.vector`, (spec as AddSpec).vector, dims.hiddenSize);
  return { kind: 'add', layer, positions: checkPositions(where, (spec as AddSpec).positions), scaled: v.map((x) => Math.fround(c * x)) };
}
