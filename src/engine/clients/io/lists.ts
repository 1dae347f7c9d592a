/** Parsers for the short lists users type (coefficients, layer ranges), shared by the lab's forms and the CLI's flags. */
import { MAX_ABS_COEFF } from '../../shared/limits';

/**
 * "-8, -4, 0 4 8" → [-8, -4, 0, 4, 8] (commas, spaces or semicolons; duplicates dropped, order kept).
 * Returns an error message instead when a token is not a finite number, is beyond ±maxAbs, or the list is empty.
 */
export function parseNumberList(text: string, { max = 64, maxAbs = MAX_ABS_COEFF }: { max?: number; maxAbs?: number } = {}): number[] | string {
  const tokens = text.split(/[\s,;]+/).filter(Boolean);
  if (!tokens.length) return 'Give at least one number.';
  const out: number[] = [];
  for (const t of tokens) {
    const x = Number(t);
    if (!Number.isFinite(x)) return `"${t.slice(0, 20)}" is not a number.`;
    if (Math.abs(x) > maxAbs) return `${t} is out of range (|x| ≤ ${maxAbs}).`;
    if (!out.includes(x)) out.push(x);
  }
  if (out.length > max) return `At most ${max} values.`;
  return out;
}

/** "12-15" / "3" / "2..5" → [lo, hi] (0-based, inclusive) within the model's layers, or an error message. */
export function parseLayerRange(text: string, numLayers: number): [number, number] | string {
  const m = /^\s*(\d+)\s*(?:(?:-|\.\.|–|to)\s*(\d+))?\s*$/.exec(text);
  if (!m) return 'Write a layer or a range like 2-3.';
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (hi < lo) return 'The range must go from low to high.';
  if (hi >= numLayers) return `The model has layers 0..${numLayers - 1}.`;
  return [lo, hi];
}
