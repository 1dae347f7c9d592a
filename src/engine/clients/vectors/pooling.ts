/**
 * Pool a captured residual [B, S, D] into one vector per row.
 * Rows may be left-padded in the batch, so each row says where its token 0 sits (offset);
 * spans are [start, end) in the row's own (unpadded) token positions.
 */
import type { Capture } from '../../shared/api';
import { EngineError } from '../../shared/errors';
import type { PoolingKind } from './meta';

export type Span = [start: number, end: number];

export interface RowSpans {
  /** Index along S of the row's first real token (number of left-pad positions). */
  offset: number;
  prompt: Span;
  response: Span;
}

const bad = (m: string): EngineError => new EngineError('bad-input', m);

/** The positions (along S) that a pooling kind averages for one row. */
function positionsFor(kind: PoolingKind, r: RowSpans, b: number): Span {
  const [ps, pe] = r.prompt;
  const [rs, re] = r.response;
  let span: Span;
  if (kind === 'response-mean') span = [rs, re];
  else if (kind === 'prompt-mean') span = [ps, pe];
  else span = [pe - 1, pe];
  if (span[1] <= span[0] || span[0] < 0) {
    const which = kind === 'response-mean' ? 'response' : 'prompt';
    // Name the row's own span (prompt-last would otherwise show its derived [pe - 1, pe), e.g. "[-1, 0)").
    const [a, z] = kind === 'response-mean' ? r.response : r.prompt;
    throw bad(`Row ${b}: the ${which} span [${a}, ${z}) is empty, so "${kind}" pooling has nothing to average.`);
  }
  return [span[0] + r.offset, span[1] + r.offset];
}

/** Returns [B, D]: per row, the float64 mean of the selected positions, stored as float32. */
export function poolCapture(capture: Capture, rows: RowSpans[], kind: PoolingKind): Float32Array {
  const [B, S, D] = capture.shape;
  if (capture.data.length !== B * S * D) throw bad(`Capture data has ${capture.data.length} values; shape [${B}, ${S}, ${D}] needs ${B * S * D}.`);
  if (rows.length !== B) throw bad(`Got spans for ${rows.length} rows but the capture has ${B}.`);
  const out = new Float32Array(B * D);
  const acc = new Float64Array(D);
  for (let b = 0; b < B; b++) {
    const [s0, s1] = positionsFor(kind, rows[b], b);
    if (s1 > S) throw bad(`Row ${b}: positions up to ${s1} requested but the capture has only ${S}.`);
    acc.fill(0);
    for (let s = s0; s < s1; s++) {
      const base = (b * S + s) * D;
      // Stryker disable next-line EqualityOperator: j = D writes past the end of a Float64Array of length D, which is dropped
      for (let j = 0; j < D; j++) acc[j] += capture.data[base + j];
    }
    // Stryker disable next-line EqualityOperator: at j = D the loop only touches index D of a typed array, where a write is dropped past the end or overwritten by the next row
    for (let j = 0; j < D; j++) out[b * D + j] = acc[j] / (s1 - s0);
  }
  return out;
}

