/**
 * Share links forged byte by byte from the format in shareLink.ts's header ('S' 'L' version, then deflateRaw of
 * crc32 · jsonLength · json · f16 vector), with valid checksums where the check under test comes after the CRC,
 * so that each guard of the decoder is reached on its own and answers with its own message.
 */
import { deflateRawSync, inflateRawSync, crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeShareLink, encodeShareLink, type ShareState } from '../../../src/engine/clients/io/shareLink';
import { toVectorJson, importVectorJson } from '../../../src/engine/clients/io/vectorJson';
import { trickySet } from './sets';

const link = (bytes: Uint8Array) => `#s=${Buffer.from(bytes).toString('base64url')}`;
const header = (version = 1) => [0x53, 0x4c, version];
/** Body with a correct CRC over everything after it. */
function body(json: Uint8Array | string, tail: number[] = [], jsonLength?: number): Uint8Array {
  const j = typeof json === 'string' ? new TextEncoder().encode(json) : json;
  const out = new Uint8Array(8 + j.length + tail.length);
  const v = new DataView(out.buffer);
  v.setUint32(4, jsonLength ?? j.length, true);
  out.set(j, 8);
  out.set(tail, 8 + j.length);
  v.setUint32(0, zlibCrc32(out.subarray(4)) >>> 0, true);
  return out;
}
const pack = (b: Uint8Array, version = 1) => link(Uint8Array.from([...header(version), ...deflateRawSync(b)]));
const META = { modelId: 'a/b', dtype: 'q4', traitName: '', layer: 1, coeff: 2, mode: 'all', prompt: 'p', systemPrompt: '', seed: 3, temperature: 0.5, maxTokens: 8, dims: 2, scale: 1 };
const f16 = (...bits: number[]) => bits.flatMap((b) => [b & 255, b >> 8]);

describe('share link decoder, guard by guard', () => {
  it('decodes a forged link that follows the format (our reading of it is the spec)', () => {
    const s = decodeShareLink(pack(body(JSON.stringify(META), f16(0x3c00, 0xb800))));
    expect(Array.from(s.vector)).toEqual([1, -0.5]);
    expect({ ...s, vector: undefined }).toEqual({ ...META, dims: undefined, scale: undefined, vector: undefined });
  });

  it('refuses links too short or with the wrong magic', () => {
    const corrupt = 'This share link is corrupt: it is not a Steering Lab link or was cut short.';
    expect(() => decodeShareLink(link(Uint8Array.from([0x53, 0x4c, 1])))).toThrow(corrupt);
    expect(() => decodeShareLink(link(Uint8Array.from([0x54, 0x4c, 1, 0])))).toThrow(corrupt);
    expect(() => decodeShareLink(link(Uint8Array.from([0x53, 0x4d, 1, 0])))).toThrow(corrupt);
    expect(() => decodeShareLink('#s=A')).toThrow(corrupt); // 1 character mod 4: not base64
    expect(() => decodeShareLink('#s=AB+C')).toThrow(corrupt); // "+" is not base64url
    expect(() => decodeShareLink('#s=AB/C')).toThrow(corrupt);
    expect(() => decodeShareLink(pack(body(JSON.stringify(META), f16(0, 0)), 2))).toThrow('This share link uses format version 2, which this version of Steering Lab does not support.');
  });

  it('refuses bodies that are short, overrun, unreadable, invalid or non-finite, each in its own words', () => {
    expect(() => decodeShareLink(pack(new Uint8Array(7)))).toThrow('This share link is corrupt: its data is incomplete.');
    expect(() => decodeShareLink(pack(body('{}', [], 3)))).toThrow('This share link is corrupt: its data is incomplete.');
    expect(() => decodeShareLink(pack(body(new Uint8Array([0x7b, 0xff, 0x7d]))))).toThrow('This share link is corrupt: its settings cannot be read.');
    expect(() => decodeShareLink(pack(body('{"a":')))).toThrow('This share link is corrupt: its settings cannot be read.');
    expect(() => decodeShareLink(pack(body('5')))).toThrow('This share link has invalid settings: settings must be object.');
    expect(() => decodeShareLink(pack(body(JSON.stringify({ ...META, layer: -1 }), f16(0, 0))))).toThrow('This share link has invalid settings: layer must be >= 0.');
    expect(() => decodeShareLink(pack(body(JSON.stringify(META), f16(0x3c00))))).toThrow('This share link is corrupt: expected a vector of 2 values.');
    expect(() => decodeShareLink(pack(body(JSON.stringify(META), f16(0x7c00, 0))))).toThrow('This share link is corrupt: its vector has non-finite values.');
    expect(() => decodeShareLink(pack(body(JSON.stringify(META), f16(0, 0x7e00))))).toThrow('non-finite');
    // A wrong checksum.
    const b = body(JSON.stringify(META), f16(0, 0));
    b[0] ^= 1;
    expect(() => decodeShareLink(pack(b))).toThrow('This share link has been altered: its checksum does not match its contents.');
  });

  it('refuses a deflate bomb and a cut or broken deflate stream', () => {
    expect(() => decodeShareLink(pack(new Uint8Array(300 * 1024)))).toThrow('This share link is too large once unpacked.');
    // Just under the 256 KiB limit unpacks (and then fails on its content, not on its size).
    expect(() => decodeShareLink(pack(new Uint8Array(256 * 1024)))).toThrow('This share link has been altered');
    const full = deflateRawSync(body(JSON.stringify(META), f16(0, 0)));
    expect(() => decodeShareLink(link(Uint8Array.from([...header(), ...full.subarray(0, full.length - 4)])))).toThrow(/^This share link is corrupt: its data (ends early|cannot be unpacked) \(was it cut short\?\)\.$/);
    expect(() => decodeShareLink(link(Uint8Array.from([...header(), 0xff, 0xff, 0xff, 0xff])))).toThrow('This share link is corrupt: its data cannot be unpacked (was it cut short?).');
  });

  it('the encoder packs the format the forged links follow: crc, json length, json, scaled f16', () => {
    const { dims: _dims, scale: _scale, ...fields } = META;
    const state = { ...fields, vector: new Float32Array([4, -1]) } as ShareState;
    const raw = Buffer.from(encodeShareLink(state).slice(3), 'base64url');
    expect(Array.from(raw.subarray(0, 3))).toEqual(header());
    const inflated = new Uint8Array(inflateRawSync(raw.subarray(3)));
    const v = new DataView(inflated.buffer, inflated.byteOffset, inflated.byteLength);
    expect(v.getUint32(0, true)).toBe(zlibCrc32(inflated.subarray(4)) >>> 0);
    const jl = v.getUint32(4, true);
    const meta = JSON.parse(new TextDecoder().decode(inflated.subarray(8, 8 + jl)));
    expect(meta).toMatchObject({ dims: 2, scale: 4 });
    // Scaled by the largest magnitude: 4 → 1.0 (0x3c00), −1 → −0.25 (0xb400).
    expect([v.getUint16(8 + jl, true), v.getUint16(10 + jl, true)]).toEqual([0x3c00, 0xb400]);
    expect(inflated.length).toBe(8 + jl + 4);
  });
});

describe('vector JSON checks', () => {
  it('names the export or import step when the set is malformed', () => {
    const set = trickySet(2, 2);
    expect(() => toVectorJson({ ...set, vectors: new Float32Array(3) })).toThrow('Vector export: expected 2 x 2 = 4 values, found 3.');
    const j = toVectorJson(set);
    const nan = Buffer.from(new Float32Array([NaN, 0, 0, 0]).buffer).toString('base64');
    expect(() => importVectorJson({ ...j, data: nan })).toThrow('Vector JSON: value 0 is NaN; vectors must not contain NaN or Infinity.');
    expect(() => importVectorJson({ ...j, meta: { ...j.meta, tap: 'x' } })).toThrow('Vector JSON: metadata.tap must be');
  });
});
