import { describe, expect, it } from 'vitest';
import { poolCapture } from '../../../src/engine/clients/vectors/pooling';
import { EngineError } from '../../../src/engine/shared/errors';

// B=2, S=4, D=2. Row 0 is left-padded by 1 (prompt 2 tokens), row 1 unpadded (prompt 3 tokens).
// Value at (b, s, d) = 100*b + 10*s + d, so every mean is checkable by hand.
const B = 2, S = 5, D = 2;
const data = new Float32Array(B * S * D);
for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) for (let d = 0; d < D; d++) data[(b * S + s) * D + d] = 100 * b + 10 * s + d;
const capture = { shape: [B, S, D] as [number, number, number], data };
const rows = [
  { offset: 1, prompt: [0, 2] as [number, number], response: [2, 4] as [number, number] }, // positions 1,2 | 3,4
  { offset: 0, prompt: [0, 3] as [number, number], response: [3, 4] as [number, number] }, // positions 0,1,2 | 3
];

describe('poolCapture', () => {
  it('averages response tokens per row, honouring the left-pad offset', () => {
    // row 0: positions 3,4 -> s mean 3.5 -> 35, 36 ; row 1: position 3 -> 130, 131
    expect(Array.from(poolCapture(capture, rows, 'response-mean'))).toEqual([35, 36, 130, 131]);
  });
  it('averages prompt tokens per row', () => {
    // row 0: positions 1,2 -> 15, 16 ; row 1: positions 0,1,2 -> 110, 111
    expect(Array.from(poolCapture(capture, rows, 'prompt-mean'))).toEqual([15, 16, 110, 111]);
  });
  it('takes the last prompt token', () => {
    // row 0: position 2 -> 20, 21 ; row 1: position 2 -> 120, 121
    expect(Array.from(poolCapture(capture, rows, 'prompt-last'))).toEqual([20, 21, 120, 121]);
  });
  it('refuses an empty response span with a clear message', () => {
    const r = [rows[0], { ...rows[1], response: [3, 3] as [number, number] }];
    expect(() => poolCapture(capture, r, 'response-mean')).toThrow(/Row 1: the response span \[3, 3\) is empty/);
  });
  it('refuses spans past the capture and mismatched row counts', () => {
    expect(() => poolCapture(capture, [rows[0], { ...rows[1], response: [3, 9] as [number, number] }], 'response-mean')).toThrow(EngineError);
    expect(() => poolCapture(capture, [rows[0]], 'prompt-mean')).toThrow(/spans for 1 rows/);
  });
});


