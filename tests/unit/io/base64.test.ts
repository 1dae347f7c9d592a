import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, float32FromLE, float32ToLE } from '../../../src/engine/clients/io/base64';

describe('base64 and float32 LE', () => {
  it('matches Node Buffer on all lengths mod 3', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 100, 20000]) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 255);
      const s = bytesToBase64(b);
      expect(s).toBe(Buffer.from(b).toString('base64'));
      expect(Array.from(base64ToBytes(s))).toEqual(Array.from(b));
    }
  });
  it('refuses malformed base64', () => {
    expect(() => base64ToBytes('abc', 'data')).toThrow('data is not valid base64.');
    expect(() => base64ToBytes('ab!d')).toThrow(/not valid base64/);
  });
  it('writes little-endian float32', () => {
    expect(Array.from(float32ToLE(new Float32Array([1])))).toEqual([0, 0, 0x80, 0x3f]);
    const bytes = new Uint8Array([9, 0, 0, 0x80, 0x3f]);
    expect(Array.from(float32FromLE(bytes, 1, 1))).toEqual([1]);
  });
});
