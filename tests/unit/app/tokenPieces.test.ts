import { describe, expect, it } from 'vitest';
import { appendPiece, heatColor, heatScale } from '../../../src/app/tokenPieces';

describe('appendPiece', () => {
  it('splits streamed text into what each step added', () => {
    let p: string[] = [];
    for (const t of ['Be', 'Behold', 'Behold,', 'Behold, thou']) p = appendPiece(p, t);
    expect(p).toEqual(['Be', 'hold', ',', ' thou']);
  });
  it('drops the pieces a rewrite of the end replaced, and the join is always the text', () => {
    let p: string[] = [];
    for (const t of ['a', 'a\uFFFD', 'aé', 'aé!']) p = appendPiece(p, t);
    expect(p).toEqual(['a', 'é', '!']);
    expect(p.join('')).toBe('aé!');
  });
});

describe('heatScale and heatColor', () => {
  it('scales by the largest |x| over every row and tints by sign', () => {
    expect(heatScale([[0.5, -2], [1.5], []])).toBe(2);
    expect(heatScale([[NaN]])).toBe(0);
    expect(heatColor(-2, 2)).toBe('rgba(110, 168, 254, 0.450)');
    expect(heatColor(1, 2)).toBe('rgba(245, 165, 36, 0.225)');
    expect(heatColor(9, 2)).toBe('rgba(245, 165, 36, 0.450)');
    expect(heatColor(undefined, 2)).toBe('transparent');
    expect(heatColor(1, 0)).toBe('transparent');
  });
});
