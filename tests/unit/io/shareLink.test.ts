import { deflateSync, inflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { MAX_ABS_COEFF } from '../../../src/engine/shared/limits';
import { EngineError } from '../../../src/engine/shared/errors';
import {
  crc32, decodeShareLink, encodeShareLink, MAX_LINK_CHARS, SHARE_PREFIX, type ShareState,
} from '../../../src/engine/clients/io/shareLink';
import { bytesToBase64Url } from '../../../src/engine/clients/io/base64';

function state(dims = 2048): ShareState {
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const vector = Float32Array.from({ length: dims }, () => rand() * 7.5);
  vector[3] = 1e-6; // tiny components survive through the shared scale as subnormals or zero
  return {
    modelId: 'onnx-community/Qwen2.5-0.5B-Instruct', dtype: 'q4', vector, traitName: 'optimism', layer: 12, coeff: -4.25,
    mode: 'response', prompt: 'Tell me about the weather <script>alert(1)</script> 🌧️', systemPrompt: 'Be brief.', seed: 42, temperature: 0.7, maxTokens: 64,
  };
}

/** Unpack a link into its body, let `edit` change it, repack without fixing the checksum. */
function repack(link: string, edit: (body: Uint8Array) => Uint8Array): string {
  const raw = Uint8Array.from(atob(link.slice(SHARE_PREFIX.length).replace(/-/g, '+').replace(/_/g, '/') + '=='.slice(0, (4 - ((link.length - 3) % 4)) % 4)), (c) => c.charCodeAt(0));
  const packed = deflateSync(edit(inflateSync(raw.subarray(3))));
  const all = new Uint8Array(3 + packed.length);
  all.set(raw.subarray(0, 3));
  all.set(packed, 3);
  return SHARE_PREFIX + bytesToBase64Url(all);
}

function expectBadInput(f: () => unknown, pattern: RegExp) {
  let err: unknown;
  try { f(); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(EngineError);
  expect((err as EngineError).code).toBe('bad-input');
  expect((err as EngineError).message).toMatch(pattern);
}

describe('share link codec', () => {
  it('round-trips every field; the vector within the float16 error bound', () => {
    const s = state();
    const link = encodeShareLink(s);
    expect(link.startsWith('#s=')).toBe(true);
    expect(link).toMatch(/^#s=[A-Za-z0-9_-]+$/);
    const back = decodeShareLink(`https://lab.example/#/x${link}`);
    const { vector, ...rest } = back;
    const { vector: v0, ...rest0 } = s;
    expect(rest).toEqual(rest0);
    expect(vector.length).toBe(v0.length);
    const scale = Math.max(...v0.map(Math.abs));
    for (let i = 0; i < v0.length; i++) {
      // float16 keeps 11 significant bits; below 2^-14 of the scale it is absolute (subnormal) precision
      expect(Math.abs(vector[i] - v0[i])).toBeLessThanOrEqual(Math.abs(v0[i]) * 2 ** -11 + scale * 2 ** -24);
    }
  });

  it('refuses a truncated link', () => {
    const link = encodeShareLink(state());
    expectBadInput(() => decodeShareLink(link.slice(0, Math.floor(link.length * 0.6))), /corrupt|cut short/);
    expectBadInput(() => decodeShareLink(link.slice(0, 5)), /corrupt/);
    expectBadInput(() => decodeShareLink('#s='), /corrupt/);
  });

  it('refuses a corrupted link', () => {
    const link = encodeShareLink(state(64));
    const i = Math.floor(link.length / 2);
    const flipped = link.slice(0, i) + (link[i] === 'A' ? 'B' : 'A') + link.slice(i + 1);
    expectBadInput(() => decodeShareLink(flipped), /corrupt|altered/);
    expectBadInput(() => decodeShareLink('#s=not base64!'), /corrupt/);
    expectBadInput(() => decodeShareLink(SHARE_PREFIX + bytesToBase64Url(new TextEncoder().encode('hello world'))), /corrupt/);
  });

  it('detects tampering through the checksum', () => {
    const link = encodeShareLink(state(16));
    const tampered = repack(link, (body) => {
      const text = new TextDecoder().decode(body);
      const i = text.indexOf('-4.25');
      const out = body.slice();
      out.set(new TextEncoder().encode('-9.25'), i);
      return out;
    });
    expectBadInput(() => decodeShareLink(tampered), /altered|checksum/);
  });

  it('rejects an unsupported version with a clear message', () => {
    const raw = encodeShareLink(state(8));
    const bytes = Uint8Array.from(atob(raw.slice(3).replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - ((raw.length - 3) % 4)) % 4)), (c) => c.charCodeAt(0));
    bytes[2] = 9;
    expectBadInput(() => decodeShareLink(SHARE_PREFIX + bytesToBase64Url(bytes)), /version 9/);
  });

  it('refuses oversized links and states that would not fit', () => {
    expectBadInput(() => decodeShareLink('#s=' + 'A'.repeat(MAX_LINK_CHARS)), /too long/);
    // Within every field limit, yet incompressible: must be refused cleanly rather than produce a huge URL.
    let r = 7;
    const noise = () => String.fromCharCode(...Array.from({ length: 4000 }, () => 0x4e00 + ((r = (r * 48271) % 2147483647) % 20000)));
    expectBadInput(() => encodeShareLink({ ...state(16384), prompt: noise(), systemPrompt: noise() }), /limit is 32\.0 KB/);
  });

  it('rejects wrong types and out-of-range values, even with a valid checksum', () => {
    const forge = (patch: Record<string, unknown>) => {
      const link = encodeShareLink(state(4));
      return repack(link, (body) => {
        const dv = new DataView(body.buffer, body.byteOffset);
        const jl = dv.getUint32(4, true);
        const meta = { ...JSON.parse(new TextDecoder().decode(body.subarray(8, 8 + jl))), ...patch };
        const json = new TextEncoder().encode(JSON.stringify(meta));
        const out = new Uint8Array(8 + json.length + (body.length - 8 - jl));
        const ov = new DataView(out.buffer);
        ov.setUint32(4, json.length, true);
        out.set(json, 8);
        out.set(body.subarray(8 + jl), 8 + json.length);
        ov.setUint32(0, crc32(out.subarray(4)), true);
        return out;
      });
    };
    expectBadInput(() => decodeShareLink(forge({ coeff: 1e9 })), /coeff/);
    expectBadInput(() => decodeShareLink(forge({ layer: 2.5 })), /layer must be integer/);
    expectBadInput(() => decodeShareLink(forge({ prompt: 42 })), /prompt must be string/);
    expectBadInput(() => decodeShareLink(forge({ prompt: 'x'.repeat(5000) })), /prompt/);
    expectBadInput(() => decodeShareLink(forge({ mode: 'everywhere' })), /mode/);
    expectBadInput(() => decodeShareLink(forge({ extra: true })), /additional/);
    expectBadInput(() => decodeShareLink(forge({ dims: 5 })), /expected a vector of 5/);
    expectBadInput(() => decodeShareLink(forge({ modelId: '../../etc' })), /modelId/);
  });

  it('refuses to encode invalid state', () => {
    expectBadInput(() => encodeShareLink({ ...state(4), vector: new Float32Array([1, NaN, 0, 0]) }), /NaN/);
    expectBadInput(() => encodeShareLink({ ...state(4), coeff: MAX_ABS_COEFF + 1 }), /coeff/);
  });
});
