/**
 * Steering specs are plain data sent with each request; nothing outlives a call.
 * Position semantics follow the persona-vectors steerer:
 *  - 'all': every position of every forward pass;
 *  - 'prompt': every position during prefill, none during generation;
 *  - 'response': the last position of every forward pass (last prompt token at prefill, then each generated token).
 */
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
