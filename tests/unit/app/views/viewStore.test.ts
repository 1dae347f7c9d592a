import { describe, expect, it } from 'vitest';
import { packKeyForTrait } from '../../../../src/app/views/viewStore';
import type { SavedPack } from '../../../../src/app/views/idbStore';

describe('packKeyForTrait', () => {
  it('finds the built-in pack of a vector by name or word stem', () => {
    expect(packKeyForTrait('optimism', [])).toBe('builtin:optimistic');
    expect(packKeyForTrait('Scripture', [])).toBe('builtin:scripture');
    expect(packKeyForTrait(' evil ', [])).toBe('builtin:evil');
  });
  it('needs four letters in common, so short or unrelated names match nothing', () => {
    expect(packKeyForTrait('opt', [])).toBeUndefined();
    expect(packKeyForTrait('calm', [])).toBeUndefined();
    expect(packKeyForTrait('trait', [])).toBeUndefined();
  });
  it('prefers a saved pack of that name', () => {
    const saved = [{ name: 'optimism', pack: {} }] as unknown as SavedPack[];
    expect(packKeyForTrait('optimism', saved)).toBe('saved:optimism');
  });
});
