/**
 * The generated text token by token, for the per-token heatmap. The engine streams each row's decoded text so
 * far; a token's piece is what its step added. Decoding is not always append-only (a multi-byte character is
 * shown as U+FFFD until its last byte arrives), so a step may rewrite the end: the pieces that the new text no
 * longer starts with are dropped and the rest of the text becomes this step's piece. Joined, the pieces are
 * always the text.
 */
export function appendPiece(pieces: readonly string[], text: string): string[] {
  const out = [...pieces];
  let len = out.reduce((n, p) => n + p.length, 0);
  while (out.length && !text.startsWith(out.join(''))) len -= out.pop()!.length;
  out.push(text.slice(len));
  return out;
}

/** Projections scale: the largest |h·v̂| over what is shown, so the colours of all columns compare. */
export function heatScale(rows: readonly (readonly number[])[]): number {
  let m = 0;
  for (const r of rows) for (const x of r) if (Number.isFinite(x)) m = Math.max(m, Math.abs(x));
  return m;
}

/**
 * Background for a token whose projection is `x` on a symmetric scale ±`scale`: blue below zero, amber above,
 * alpha proportional to |x| / scale. At most 0.45: over the panel's dark background the text then keeps a
 * contrast ratio above 5 (WCAG AA asks 4.5; the axe scan checks it). Transparent without a value.
 */
const MAX_ALPHA = 0.45;

export function heatColor(x: number | undefined, scale: number): string {
  if (x === undefined || !Number.isFinite(x) || scale <= 0) return 'transparent';
  const a = Math.min(1, Math.abs(x) / scale) * MAX_ALPHA;
  return x >= 0 ? `rgba(245, 165, 36, ${a.toFixed(3)})` : `rgba(110, 168, 254, ${a.toFixed(3)})`;
}
