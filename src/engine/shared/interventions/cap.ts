/**
 * Activation capping: clamps the projection of the residual onto a unit direction into [min, max] per
 * steered position, h += (clamp(h·u) − h·u) u, at the output of model.layers[layer].
 *
 * Order at one layer: the cap acts last, on h + add − ablation (the other kinds' result), so a cap holds
 * the projection in its band whatever an add at the same layer pushes. Positions a cap does not steer
 * get the band ±FLOAT_MAX (no clamp); rows without a cap get u = 0 (no term), as do idle layers.
 */
import { bad, checkLayer, checkPositions, checkUnit, project, toList, type InterventionKind, type Positions, type Resolved } from './kind';

export interface CapSpec {
  kind: 'cap';
  layer: number;
  direction: Float32Array | number[];
  /** Lower bound of h·u (u the unit direction); absent = unbounded. */
  min?: number;
  /** Upper bound of h·u; absent = unbounded. */
  max?: number;
  positions?: Positions;
}

export interface ResolvedCap extends Resolved { kind: 'cap'; unit: Float32Array; min: number; max: number }

/** The widest float32 band: a clamp into it changes no finite projection. */
export const OPEN = 3.4028234663852886e38;

function bound(where: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(where, `must be a finite number (a projection onto the unit direction) or left out, got ${String(v)}`);
  return v;
}

export const capKind: InterventionKind<CapSpec, ResolvedCap> = {
  kind: 'cap',
  label: 'Cap a projection',
  fields: [
    { key: 'direction', label: 'direction', type: 'vector' },
    { key: 'min', label: 'min h·u', type: 'number', optional: true },
    { key: 'max', label: 'max h·u', type: 'number', optional: true },
    { key: 'positions', label: 'positions', type: 'positions', optional: true },
  ],
  claims: (s) => s.kind === 'cap',
  resolve(spec, dims, where) {
    const layer = checkLayer(where, spec.layer, dims.numLayers);
    const unit = checkUnit(`${where}.direction`, spec.direction, dims.hiddenSize, 'a cap needs a direction');
    const min = bound(`${where}.min`, spec.min);
    const max = bound(`${where}.max`, spec.max);
    if (min === undefined && max === undefined) bad(where, 'a cap needs min, max or both (bounds on h·u with u the unit direction)');
    if (min !== undefined && max !== undefined && min > max) bad(where, `min ${min} is above max ${max}; swap them`);
    return { kind: 'cap', layer, positions: checkPositions(where, spec.positions ?? 'all'), unit, min: min ?? -OPEN, max: max ?? OPEN };
  },
  onePerLayer: true,
  inputs: [
    { key: 'capDir', suffix: 'cap_dir', shape: ['B', 'D', 1], idle: 0 },
    { key: 'capMin', suffix: 'cap_min', shape: ['B', 'S', 1], idle: 0 },
    { key: 'capMax', suffix: 'cap_max', shape: ['B', 'S', 1], idle: 0 },
  ],
  graph(f, input, h, delta) {
    const steered = delta ? f.op('Add', [h, delta]) : h;
    const { proj, uRow } = project(f, steered, input('capDir'));
    const clamped = f.op('Max', [f.op('Min', [proj, input('capMax')]), input('capMin')]);
    const term = f.op('MatMul', [f.op('Sub', [clamped, proj]), uRow]); // [B,S,D]
    return delta ? f.op('Add', [delta, term]) : term;
  },
  feed(rows, { B, S, D, steered }) {
    const capDir = new Float32Array(B * D);
    const capMin = new Float32Array(B * S).fill(-OPEN);
    const capMax = new Float32Array(B * S).fill(OPEN);
    rows.forEach((specs, r) => {
      for (const spec of specs) {
        capDir.set(spec.unit, r * D);
        for (let i = 0; i < S; i++) {
          if (!steered(spec.positions, i, r)) continue;
          capMin[r * S + i] = spec.min;
          capMax[r * S + i] = spec.max;
        }
      }
    });
    return { capDir, capMin, capMax };
  },
  cacheKey: (s) => [s.layer, s.positions, s.min, s.max, Array.from(s.unit)],
  toJSON: (s) => ({ kind: 'cap', layer: s.layer, direction: toList(s.direction), ...(s.min !== undefined ? { min: s.min } : {}), ...(s.max !== undefined ? { max: s.max } : {}), ...(s.positions ? { positions: s.positions } : {}) }),
};
