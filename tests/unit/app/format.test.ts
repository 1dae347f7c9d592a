import { describe, expect, it } from 'vitest';
import { contentHash, num, uniqueName } from '../../../src/app/format';

describe('contentHash', () => {
  it('is 32-bit FNV-1a: the published test values, for text and bytes alike', () => {
    // Reference values of FNV-1a 32 (Fowler/Noll/Vo test suite): "" -> 0x811c9dc5, "a" -> 0xe40c292c, "foobar" -> 0xbf9cf968.
    expect(contentHash('')).toBe((0x811c9dc5).toString(36));
    expect(contentHash('a')).toBe((0xe40c292c).toString(36));
    expect(contentHash('foobar')).toBe((0xbf9cf968).toString(36));
    expect(contentHash(new TextEncoder().encode('foobar'))).toBe((0xbf9cf968).toString(36));
  });
});

describe('uniqueName', () => {
  it('keeps a free name and numbers a taken one from 2', () => {
    expect(uniqueName('joy', ['calm'])).toBe('joy');
    expect(uniqueName('joy', ['joy'])).toBe('joy (2)');
    expect(uniqueName('joy', ['joy', 'joy (2)', 'joy (3)'])).toBe('joy (4)');
  });
});

describe('num', () => {
  it('prints fixed digits below a million and exponent notation from there, never 31 digits', () => {
    expect(num(1.234)).toBe('1.23');
    expect(num(-999999.5, 1)).toBe('-999999.5');
    expect(num(5.6e30, 1)).toBe('5.6e+30');
    expect(num(-1e6)).toBe('-1.00e+6');
    expect([num(Infinity), num(-Infinity), num(NaN)]).toEqual(['∞', '—', '—']);
  });
});
