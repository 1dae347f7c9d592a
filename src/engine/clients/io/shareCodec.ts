/**
 * Interventions in a share link: each spec as its kind writes it (`toJSON`), with every number array (a
 * vector, a direction, a condition's direction) packed as float16 scaled by its largest magnitude, in
 * base64 — the precision of the link's main vector at half the size of plain JSON numbers. Decoding checks
 * the kind against the registry and the array lengths; the engine validates the rest when it resolves.
 */
import { EngineError } from '../../shared/errors';
import { f16BitsToF32, f32ToF16Bits } from '../../shared/f16';
import { base64ToBytes, bytesToBase64 } from './base64';
import { kindOf, type SteeringSpec } from '../../shared/interventions/registry';

/** At most this many interventions travel in one link (a link is capped in size anyway). */
export const MAX_SHARED_SPECS = 8;

interface Packed { f16: string; scale: number; n: number }

const isPacked = (x: unknown): x is Packed =>
  typeof x === 'object' && x !== null && typeof (x as Packed).f16 === 'string' && typeof (x as Packed).scale === 'number' && Number.isInteger((x as Packed).n);

function pack(v: number[]): Packed {
  let scale = 0;
  for (const x of v) scale = Math.max(scale, Math.abs(x));
  const bytes = new Uint8Array(2 * v.length);
  const dv = new DataView(bytes.buffer);
  v.forEach((x, i) => dv.setUint16(2 * i, f32ToF16Bits(scale > 0 ? x / scale : 0), true));
  return { f16: bytesToBase64(bytes), scale, n: v.length };
}

function unpack(p: Packed, where: string): Float32Array {
  const bytes = base64ToBytes(p.f16, where);
  if (bytes.length !== 2 * p.n || !Number.isFinite(p.scale)) throw new EngineError('bad-input', `${where}: its data does not hold ${p.n} values.`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: p.n }, (_, i) => f16BitsToF32(dv.getUint16(2 * i, true)) * p.scale);
}

const isNumbers = (x: unknown): x is number[] => Array.isArray(x) && x.length > 0 && x.every((y) => typeof y === 'number');

function walk(x: unknown, leaf: (v: unknown, path: string) => unknown, path: string): unknown {
  const done = leaf(x, path);
  if (done !== undefined) return done;
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return x;
  return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, walk(v, leaf, `${path}.${k}`)]));
}

export function packSpecs(specs: SteeringSpec[]): unknown[] {
  if (specs.length > MAX_SHARED_SPECS) throw new EngineError('bad-input', `A share link carries at most ${MAX_SHARED_SPECS} interventions; this state has ${specs.length}.`);
  return specs.map((s, i) => walk(kindOf(s, `interventions[${i}]`).toJSON(s as never), (v) => {
    if (!isNumbers(v)) return undefined;
    if (!v.every(Number.isFinite)) throw new EngineError('bad-input', `interventions[${i}] holds NaN or infinite values and cannot be shared.`);
    return pack(v);
  }, ''));
}

/** The specs of a link; every packed array must have `dims` values. */
export function unpackSpecs(packed: unknown, dims: number): SteeringSpec[] {
  if (!Array.isArray(packed) || packed.length > MAX_SHARED_SPECS) throw new EngineError('bad-input', `This share link's interventions are not a list of at most ${MAX_SHARED_SPECS}.`);
  return packed.map((p, i) => {
    const where = `This share link's intervention ${i + 1}`;
    const spec = walk(p, (v, path) => {
      if (!isPacked(v)) return undefined;
      if (v.n !== dims) throw new EngineError('bad-input', `${where}: ${path.slice(1)} has ${v.n} values, not the link's ${dims}.`);
      const out = unpack(v, where);
      if (!out.every(Number.isFinite)) throw new EngineError('bad-input', `${where}: non-finite values.`);
      return out;
    }, '') as SteeringSpec;
    kindOf(spec, where);
    return spec;
  });
}
