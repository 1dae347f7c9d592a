/**
 * What one intervention kind owns (issue 16): its spec, validation/resolution, the per-layer graph inputs
 * it needs, its contribution to the layer's delta in the graph, its feeds, its prefix-cache key part and
 * the metadata a form or a CLI needs to offer it. Kinds are listed once, in registry.ts; the engine,
 * instrumentation and feeds iterate that list and know no kind by name.
 */
import { EngineError } from '../errors';
import { assertFinite } from '../linalg';

/**
 * What a kind writes its graph nodes with: the instrumenter's fragment (onnx/fragment.ts) implements it.
 * Declared here so the kinds, which the clients also read (validation, share links, forms), never import
 * the graph code.
 */
export interface GraphBuilder {
  op(opType: string, inputs: string[], attrs?: Record<string, { i: number } | { ints: number[] }>): string;
}

export type Positions = 'all' | 'prompt' | 'response';
export const POSITIONS: readonly Positions[] = ['all', 'prompt', 'response'];

export interface ModelDims { numLayers: number; hiddenSize: number }

/** Every resolved spec names its kind, its layer and where it acts. */
export interface Resolved { kind: string; layer: number; positions: Positions }

/**
 * One float32 graph input per layer. Shapes use 'B' (batch), 'S' (sequence) and 'D' (hidden); an idle
 * layer is fed the same rank with every symbolic axis 1 and every value `idle` (the graph broadcasts).
 */
export interface KindInput { key: string; suffix: string; shape: ('B' | 'S' | 'D' | 1)[]; idle: number }

/** Is position i of row r (in this pass) steered under `mode`? Given to feed builders by steerFeeds.ts. */
export type Steered = (mode: Positions, i: number, r: number) => boolean;

export interface FeedArgs { B: number; S: number; D: number; steered: Steered }

/** A field of the spec as a form shows it (ranges are what the lab allows; resolve() is the rule). */
export interface KindField { key: string; label: string; type: 'vector' | 'number' | 'positions'; min?: number; max?: number; optional?: boolean }

export interface InterventionKind<S = unknown, R extends Resolved = Resolved> {
  kind: R['kind'];
  label: string;
  fields: KindField[];
  /** Whether a plain spec object is of this kind (explicit `kind`, or the shape older specs had). */
  claims(spec: Record<string, unknown>): boolean;
  resolve(spec: S, dims: ModelDims, where: string): R;
  /** At most one spec of this kind per row per layer (the graph has one direction input per row). */
  onePerLayer: boolean;
  inputs: KindInput[];
  /**
   * Adds this kind's term to the layer's float32 delta. `h` is the un-steered residual (float32), `delta`
   * the terms of the kinds before it (null for the first), `input(key)` the name of one of its inputs.
   */
  graph(f: GraphBuilder, input: (key: string) => string, h: string, delta: string | null): string;
  /** The values of each input for one pass, keyed by `inputs[].key`, in the shapes `inputs` declare. */
  feed(rows: R[][], a: FeedArgs): Record<string, Float32Array>;
  /** What a cached prompt prefix depends on (JSON-able). */
  cacheKey(r: R): unknown;
  /** The spec as plain JSON (vectors as number arrays), e.g. for share links and spec files. */
  toJSON(spec: S): Record<string, unknown>;
}

export function bad(where: string, what: string): never {
  throw new EngineError('bad-input', `${where}: ${what}`);
}

export function checkVector(where: string, v: unknown, hiddenSize: number): Float32Array {
  if (!(v instanceof Float32Array) && !Array.isArray(v)) bad(where, 'must be an array of numbers');
  const arr = v as ArrayLike<number>;
  if (arr.length !== hiddenSize) bad(where, `has ${arr.length} values but this model's hidden size is ${hiddenSize}; was it made for another model?`);
  assertFinite(arr, where);
  return Float32Array.from(arr);
}

export function checkLayer(where: string, layer: unknown, numLayers: number): number {
  if (!Number.isInteger(layer) || (layer as number) < 0 || (layer as number) >= numLayers) {
    bad(where, `layer ${String(layer)} is out of range; this model has layers 0..${numLayers - 1} (0-based into model.layers)`);
  }
  return layer as number;
}

export function checkPositions(where: string, p: unknown): Positions {
  if (!POSITIONS.includes(p as Positions)) bad(where, `positions "${String(p)}" is not one of ${POSITIONS.join(', ')}`);
  return p as Positions;
}

/** direction / |direction| as float32; refuses a zero direction. */
export function checkUnit(where: string, v: unknown, hiddenSize: number, why: string): Float32Array {
  const u = checkVector(where, v, hiddenSize);
  let s = 0;
  for (const x of u) s += x * x;
  const length = Math.sqrt(s);
  if (!(length > 0)) bad(where, `is all zeros; ${why}`);
  return u.map((x) => x / length);
}

/** h·u per position as [B,S,1] and u as a row [B,1,D], from a [B,D,1] direction input. */
export function project(f: GraphBuilder, h: string, dir: string): { proj: string; uRow: string } {
  return { proj: f.op('MatMul', [h, dir]), uRow: f.op('Transpose', [dir], { perm: { ints: [0, 2, 1] } }) };
}

export const toList = (v: Float32Array | number[]): number[] => Array.from(v);
