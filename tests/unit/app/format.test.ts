import { describe, expect, it } from 'vitest';
import { contentHash, uniqueName } from '../../../src/app/format';

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
