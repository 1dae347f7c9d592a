/**
 * Steering specs are plain data sent with each request; nothing outlives a call. Each kind of
 * intervention lives in interventions/ (one module per kind, listed in interventions/registry.ts).
 * Position semantics follow the persona-vectors steerer:
 *  - 'all': every position of every forward pass;
 *  - 'prompt': every position during prefill, none during generation;
 *  - 'response': the last position of every forward pass (last prompt token at prefill, then each generated token).
 */
import type { AblateSpec } from './interventions/ablate';
import type { SteeringSpec } from './interventions/registry';

export type { Positions, ModelDims } from './interventions/kind';
export type { AddSpec, Condition, Pooling } from './interventions/add';
export type { AblateSpec } from './interventions/ablate';
export type { CapSpec } from './interventions/cap';
export type { SteeringSpec, ResolvedSpec } from './interventions/registry';
export { resolveSpec } from './interventions/registry';

export const isAblate = (s: SteeringSpec): s is AblateSpec => 'direction' in s && 'ablate' in s;

export { MAX_ABLATE, MAX_ABS_COEFF } from './limits';
