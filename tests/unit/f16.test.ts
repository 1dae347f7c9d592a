import { describe, expect, it } from 'vitest';
import { getFloat16, setFloat16 } from '@petamoriken/float16';
import { encodeF16, f16BitsToF32, f16Round, f32ToF16Bits, toFloat32 } from '../../src/engine/shared/f16';

// Every expected value here comes from @petamoriken/float16 (an independent IEEE 754 binary16
// implementation) or from hand-computed bit patterns, never from src/engine/shared/f16.ts itself.
const dv = new DataView(new ArrayBuffer(2));
const refBits = (x: number): number => {
  setFloat16(dv, 0, x);
  return dv.getUint16(0);
};
const refValue = (h: number): number => {
  dv.setUint16(0, h);
  return getFloat16(dv, 0);
};
const isNaNBits = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;

/** The next float32 above / below x (x a finite float32), by stepping its bit pattern. */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function nextUp(x: number): number {
  f32[0] = x;
  if (x === 0) return 2 ** -149;
  u32[0] += x > 0 ? 1 : -1;
  return f32[0];
}
function nextDown(x: number): number {
  return -nextUp(-x);
}

describe('f16BitsToF32', () => {
  it('decodes all 65536 half bit patterns as the reference does (±0, subnormals, Inf and NaN included)', () => {
    const bad: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const got = f16BitsToF32(h);
      const want = refValue(h);
      if (!(Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want)))) bad.push(h);
      if (bad.length >= 10) break; // enough to show; stops early under mutation testing
    }
    expect(bad).toEqual([]);
  });

  it('decodes hand-computed patterns', () => {
    expect(f16BitsToF32(0x3c00)).toBe(1);
    expect(f16BitsToF32(0xc000)).toBe(-2);
    expect(f16BitsToF32(0x7bff)).toBe(65504);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f16BitsToF32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(f16BitsToF32(0x0400)).toBe(2 ** -14);
    expect(f16BitsToF32(0x3555)).toBe(0.333251953125); // exponent 13, mantissa 341: (1 + 341/1024) · 2^-2
    expect(Object.is(f16BitsToF32(0x8000), -0)).toBe(true);
    expect(f16BitsToF32(0x7c00)).toBe(Infinity);
    expect(f16BitsToF32(0xfc00)).toBe(-Infinity);
    expect(f16BitsToF32(0x7c01)).toBeNaN();
    expect(f16BitsToF32(0xfe00)).toBeNaN();
  });
});

describe('f32ToF16Bits', () => {
  it('round-trips every non-NaN half value exactly (all 63488 of them)', () => {
    const bad: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      if (isNaNBits(h)) continue;
      if (f32ToF16Bits(refValue(h)) !== h) bad.push(h);
      if (bad.length >= 10) break;
    }
    expect(bad).toEqual([]);
  });

  it('rounds every midpoint between neighbouring halves, and its float32 neighbours, as the reference (ties to even)', () => {
    // Exhaustive over ties: every pair of adjacent finite halves of either sign, including the
    // subnormal range and the step from the largest finite half (65504) towards Infinity (65536).
    const bad: string[] = [];
    for (const sign of [0, 0x8000]) {
      for (let h = 0; h < 0x7c00 && bad.length < 10; h++) {
        const lo = refValue(sign | h);
        const hi = h + 1 < 0x7c00 ? refValue(sign | (h + 1)) : (sign ? -65536 : 65536);
        const mid = (lo + hi) / 2; // exact: at most 12 significant bits
        if (Math.fround(mid) !== mid) bad.push(`midpoint ${mid} is not a float32`);
        for (const x of [mid, nextUp(mid), nextDown(mid)]) {
          const got = f32ToF16Bits(x);
          const want = refBits(x);
          if (got !== want) bad.push(`${x}: got ${got.toString(16)} want ${want.toString(16)}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('agrees with the reference on 200k pseudo-random float32 bit patterns', () => {
    let s = 0x9e3779b9;
    const bad: string[] = [];
    for (let i = 0; i < 200_000 && bad.length < 10; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      u32[0] = s;
      const x = f32[0];
      const got = f32ToF16Bits(x);
      const want = refBits(x);
      if (Number.isNaN(x) ? !isNaNBits(got) || (got & 0x8000) !== (want & 0x8000) : got !== want) {
        bad.push(`${s.toString(16)}: got ${got.toString(16)} want ${want.toString(16)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('rounds ties to even, by hand', () => {
    // 1 + 2^-11 lies halfway between 1 (0x3c00, even) and 1 + 2^-10 (0x3c01): to even → 0x3c00.
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3·2^-11 lies halfway between 0x3c01 (odd) and 0x3c02 (even) → 0x3c02.
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(f32ToF16Bits(-(1 + 2 ** -11))).toBe(0xbc00);
    // A hair above the tie rounds up, a hair below rounds down.
    expect(f32ToF16Bits(nextUp(1 + 2 ** -11))).toBe(0x3c01);
    expect(f32ToF16Bits(nextDown(1 + 3 * 2 ** -11))).toBe(0x3c01);
    // 2047.5 → 2048 (mantissa carry into the exponent): 2047 is 0x67ff, 2048 is 0x6800.
    expect(f32ToF16Bits(2047.5)).toBe(0x6800);
    // 2046.5 lies between 2046 (0x67fe, even) and 2047 → 2046.
    expect(f32ToF16Bits(2046.5)).toBe(0x67fe);
  });

  it('handles subnormals, underflow and its ties by hand', () => {
    expect(f32ToF16Bits(2 ** -24)).toBe(0x0001);
    expect(f32ToF16Bits(2 ** -25)).toBe(0x0000); // tie between 0 (even) and 2^-24 → 0
    expect(f32ToF16Bits(nextUp(2 ** -25))).toBe(0x0001);
    expect(f32ToF16Bits(-(2 ** -25))).toBe(0x8000);
    expect(f32ToF16Bits(2 ** -26)).toBe(0x0000);
    expect(f32ToF16Bits(1.5 * 2 ** -24)).toBe(0x0002); // tie between 1 (odd) and 2 → 2
    expect(f32ToF16Bits(2.5 * 2 ** -24)).toBe(0x0002); // tie between 2 (even) and 3 → 2
    expect(f32ToF16Bits(1023.5 * 2 ** -24)).toBe(0x0400); // largest subnormal rounds up to the smallest normal
    expect(f32ToF16Bits(2 ** -14)).toBe(0x0400);
    expect(f32ToF16Bits(2 ** -149)).toBe(0x0000);
    expect(Object.is(f16Round(-(2 ** -30)), -0)).toBe(true);
  });

  it('overflows to Infinity exactly from 65520 on, and keeps Inf / NaN', () => {
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(nextDown(65520))).toBe(0x7bff);
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // the tie between 65504 (odd mantissa) and 65536 → Inf
    expect(f32ToF16Bits(-65520)).toBe(0xfc00);
    expect(f32ToF16Bits(65536)).toBe(0x7c00);
    expect(f32ToF16Bits(1e10)).toBe(0x7c00);
    expect(f32ToF16Bits(3.4e38)).toBe(0x7c00);
    expect(f32ToF16Bits(1e300)).toBe(0x7c00); // beyond float32: Infinity
    expect(f32ToF16Bits(Infinity)).toBe(0x7c00);
    expect(f32ToF16Bits(-Infinity)).toBe(0xfc00);
    expect(f32ToF16Bits(NaN)).toBe(0x7e00); // quiet NaN, as the reference
    expect(f32ToF16Bits(NaN)).toBe(refBits(NaN));
    f32[0] = 0; u32[0] = 0xff800001; // a negative signalling float32 NaN keeps sign and stays NaN
    expect(f32ToF16Bits(f32[0])).toBe(0xfe00);
    expect(f32ToF16Bits(0)).toBe(0);
    expect(f32ToF16Bits(-0)).toBe(0x8000);
  });
});

describe('encodeF16 / f16Round / toFloat32', () => {
  it('encodeF16 encodes each element as the reference', () => {
    const xs = [0, -0, 1, -2.5, 1 + 2 ** -11, 65520, 2 ** -25, 3.14159, NaN];
    const got = encodeF16(xs);
    expect(got).toBeInstanceOf(Uint16Array);
    expect(Array.from(got)).toEqual(xs.map(refBits));
  });

  it('f16Round returns the nearest half value', () => {
    expect(f16Round(0.1)).toBe(refValue(refBits(0.1)));
    expect(f16Round(0.1)).toBe(0.0999755859375); // 0x2e66 by hand: (1 + 614/1024) · 2^-4
    expect(f16Round(1 + 2 ** -11)).toBe(1);
    expect(f16Round(70000)).toBe(Infinity);
  });

  it('toFloat32 passes Float32Array through, decodes raw f16 bits, widens other views and refuses the rest', () => {
    const a = new Float32Array([1, 2]);
    expect(toFloat32(a)).toBe(a);
    expect(Array.from(toFloat32(new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00])))).toEqual([1, -2, 2 ** -24, Infinity]);
    const w = toFloat32(new Float64Array([0.5, 1e-3]));
    expect(w).toBeInstanceOf(Float32Array);
    expect(Array.from(w)).toEqual([0.5, Math.fround(1e-3)]);
    expect(Array.from(toFloat32(new Int8Array([-3, 4])))).toEqual([-3, 4]);
    expect(() => toFloat32([1, 2])).toThrow(TypeError);
    expect(() => toFloat32(new DataView(new ArrayBuffer(4)))).toThrow(TypeError);
    expect(() => toFloat32(null)).toThrow('expected a float tensor payload');
  });
});
