/** Directional ablation on the output of model.layers[layer]: h -= ablate · (h·u) u, u = direction / |direction|. */
import { MAX_ABLATE } from '../limits';
import { bad, checkLayer, checkPositions, checkUnit, toList, type InterventionKind, type Positions, type Resolved } from './kind';

export interface AblateSpec {
  kind?: 'ablate';
  layer: number;
  direction: Float32Array | number[];
  ablate: number;
  positions?: Positions;
}

export interface ResolvedAblate extends Resolved { kind: 'ablate'; unit: Float32Array; strength: number }

export const ablateKind: InterventionKind<AblateSpec, ResolvedAblate> = {
  kind: 'ablate',
  label: 'Ablate a direction',
  fields: [
    { key: 'direction', label: 'direction', type: 'vector' },
    { key: 'ablate', label: 'strength', type: 'number', min: -MAX_ABLATE, max: MAX_ABLATE },
    { key: 'positions', label: 'positions', type: 'positions', optional: true },
  ],
  claims: (s) => s.kind === 'ablate' || (s.kind === undefined && 'ablate' in s),
  resolve(spec, dims, where) {
    const layer = checkLayer(where, spec.layer, dims.numLayers);
    const unit = checkUnit(`${where}.direction`, spec.direction, dims.hiddenSize, 'an ablation needs a direction');
    const s = spec.ablate;
    if (typeof s !== 'number' || !Number.isFinite(s) || Math.abs(s) > MAX_ABLATE) bad(`${where}.ablate`, `must be a finite strength within ±${MAX_ABLATE} (1 removes the direction), got ${String(s)}`);
    return { kind: 'ablate', layer, positions: checkPositions(where, spec.positions ?? 'all'), unit, strength: s };
  },
  onePerLayer: true,
  inputs: [
    { key: 'ablateDir', suffix: 'ablate_dir', shape: ['B', 'D', 1], idle: 0 },
    { key: 'ablateStrength', suffix: 'ablate_strength', shape: ['B', 'S', 1], idle: 0 },
  ],
  // Projected on the un-steered h, as before kinds existed: ablation and add do not see each other.
  graph(f, input, h, delta) {
    const proj = f.op('MatMul', [h, input('ablateDir')]); // [B,S,1] = h·u
    const scaled = f.op('Mul', [proj, input('ablateStrength')]);
    const uRow = f.op('Transpose', [input('ablateDir')], { perm: { ints: [0, 2, 1] } }); // [B,1,D]
    const ablation = f.op('MatMul', [scaled, uRow]); // [B,S,D]
    return delta ? f.op('Sub', [delta, ablation]) : f.op('Neg', [ablation]);
  },
  feed(rows, { B, S, D, steered }) {
    const ablateDir = new Float32Array(B * D);
    const ablateStrength = new Float32Array(B * S);
    rows.forEach((specs, r) => {
      for (const spec of specs) {
        ablateDir.set(spec.unit, r * D);
        for (let i = 0; i < S; i++) if (steered(spec.positions, i, r)) ablateStrength[r * S + i] = spec.strength;
      }
    });
    return { ablateDir, ablateStrength };
  },
  cacheKey: (s) => [s.layer, s.positions, s.strength, Array.from(s.unit)],
  toJSON: (s) => ({ kind: 'ablate', layer: s.layer, direction: toList(s.direction), ablate: s.ablate, ...(s.positions ? { positions: s.positions } : {}) }),
};

