/**
 * Additive steering: h += coeff · v at the output of model.layers[layer]. An add may be gated by a
 * condition on the prompt (CAST-style, condition.ts): the engine evaluates it before generating and drops
 * the add from the rows where it did not fire; the graph only ever sees plain adds.
 */
import { MAX_ABS_COEFF } from '../limits';
import { bad, checkLayer, checkPositions, checkUnit, checkVector, toList, type InterventionKind, type KindField, type ModelDims, type Positions, type Resolved } from './kind';

export type Pooling = 'mean' | 'last';
export const POOLINGS: readonly Pooling[] = ['mean', 'last'];

/** Fires when the prompt's pooled projection onto unit(direction) at `layer` is above `threshold`. */
export interface Condition { layer: number; direction: Float32Array | number[]; threshold: number; pooling: Pooling }
export interface ResolvedCondition { layer: number; unit: Float32Array; threshold: number; pooling: Pooling }

/** Add coeff * vector to the output of model.layers[layer] (hook_resid_post). */
export interface AddSpec {
  kind?: 'add';
  layer: number;
  vector: Float32Array | number[];
  coeff: number;
  positions: Positions;
  /** Apply only to rows whose prompt passes this condition (see condition.ts). */
  when?: Condition;
}

export interface ResolvedAdd extends Resolved { kind: 'add'; scaled: Float32Array; when?: ResolvedCondition }

function resolveCondition(c: unknown, dims: ModelDims, where: string): ResolvedCondition {
  if (typeof c !== 'object' || c === null) bad(where, 'must be an object like {layer, direction, threshold, pooling}');
  const o = c as Record<string, unknown>;
  const layer = checkLayer(where, o.layer, dims.numLayers);
  const unit = checkUnit(`${where}.direction`, o.direction, dims.hiddenSize, 'a condition needs a direction to project onto');
  if (typeof o.threshold !== 'number' || !Number.isFinite(o.threshold)) bad(`${where}.threshold`, `must be a finite number (a projection onto the unit direction), got ${String(o.threshold)}`);
  const pooling = (o.pooling ?? 'mean') as Pooling;
  if (!POOLINGS.includes(pooling)) bad(`${where}.pooling`, `"${String(o.pooling)}" is not one of ${POOLINGS.join(', ')}`);
  return { layer, unit, threshold: o.threshold, pooling };
}

export const addKind: InterventionKind<AddSpec, ResolvedAdd> = {
  kind: 'add',
  label: 'Add a vector',
  // A getter: steering.ts (which owns the coefficient limit) imports this module through the registry.
  get fields(): KindField[] {
    return [
      { key: 'vector', label: 'vector', type: 'vector' },
      { key: 'coeff', label: 'coefficient', type: 'number', min: -MAX_ABS_COEFF, max: MAX_ABS_COEFF },
      { key: 'positions', label: 'positions', type: 'positions' },
    ];
  },
  claims: (s) => s.kind === 'add' || (s.kind === undefined && 'vector' in s),
  resolve(spec, dims, where) {
    const layer = checkLayer(where, spec.layer, dims.numLayers);
    const c = spec.coeff;
    if (typeof c !== 'number' || !Number.isFinite(c) || Math.abs(c) > MAX_ABS_COEFF) bad(`${where}.coeff`, `must be a finite number within ±${MAX_ABS_COEFF}, got ${String(c)}`);
    const v = checkVector(`${where}.vector`, spec.vector, dims.hiddenSize);
    const out: ResolvedAdd = { kind: 'add', layer, positions: checkPositions(where, spec.positions), scaled: v.map((x) => Math.fround(c * x)) };
    if (spec.when !== undefined) out.when = resolveCondition(spec.when, dims, `${where}.when`);
    return out;
  },
  onePerLayer: false,
  inputs: [{ key: 'add', suffix: 'add', shape: ['B', 'S', 'D'], idle: 0 }],
  graph: (f, input, _h, delta) => (delta ? f.op('Add', [delta, input('add')]) : input('add')),
  feed(rows, { B, S, D, steered }) {
    const add = new Float32Array(B * S * D);
    rows.forEach((specs, r) => {
      for (const spec of specs) {
        for (let i = 0; i < S; i++) {
          if (!steered(spec.positions, i, r)) continue;
          const o = (r * S + i) * D;
          for (let d = 0; d < D; d++) add[o + d] += spec.scaled[d];
        }
      }
    });
    return { add };
  },
  cacheKey: (s) => [s.layer, s.positions, Array.from(s.scaled)],
  toJSON: (s) => ({
    kind: 'add', layer: s.layer, vector: toList(s.vector), coeff: s.coeff, positions: s.positions,
    ...(s.when ? { when: { ...s.when, direction: toList(s.when.direction) } } : {}),
  }),
};
