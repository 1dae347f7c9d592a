/** The list parsers shared by the lab's forms and the CLI's flags; expected values written by hand. */
import { describe, expect, it } from 'vitest';
import { parseLayerRange, parseNumberList } from '../../../src/engine/clients/io/lists';
import { MAX_ABS_COEFF } from '../../../src/engine/shared/limits';

describe('parseNumberList', () => {
  it('reads commas, spaces and semicolons, keeps order, drops duplicates', () => {
    expect(parseNumberList('-8, -4 0;4  8 4')).toEqual([-8, -4, 0, 4, 8]);
    expect(parseNumberList('1.5e0')).toEqual([1.5]);
  });
  it('names the bad token', () => {
    expect(parseNumberList('1, two, 3')).toBe('"two" is not a number.');
    expect(parseNumberList('')).toBe('Give at least one number.');
    expect(parseNumberList('1e9')).toMatch(/out of range/);
    expect(parseNumberList('NaN')).toMatch(/not a number/);
  });
});

describe('parseLayerRange', () => {
  it('accepts a layer or a range within the model', () => {
    expect(parseLayerRange('2', 4)).toEqual([2, 2]);
    expect(parseLayerRange('1-3', 4)).toEqual([1, 3]);
    expect(parseLayerRange(' 12..15 ', 16)).toEqual([12, 15]);
  });
  it('refuses reversed, out-of-range and malformed input', () => {
    expect(parseLayerRange('3-1', 4)).toMatch(/low to high/);
    expect(parseLayerRange('2-4', 4)).toMatch(/0\.\.3/);
    expect(parseLayerRange('a', 4)).toMatch(/range like/);
  });
});

describe('parseNumberList at the coefficient limit', () => {
  it('takes ±MAX_ABS_COEFF and refuses just beyond it', () => {
    expect(parseNumberList(`${-MAX_ABS_COEFF}, ${MAX_ABS_COEFF}`)).toEqual([-MAX_ABS_COEFF, MAX_ABS_COEFF]);
    expect(parseNumberList(String(MAX_ABS_COEFF + 0.5))).toMatch(/out of range/);
  });
});
