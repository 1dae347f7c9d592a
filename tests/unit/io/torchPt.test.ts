import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ImportChoiceError } from '../../../src/engine/clients/io/foreign';
import { detectVectorFormat, importVectorFile } from '../../../src/engine/clients/io/import';
import { readTorchTensors, readTorchVectors } from '../../../src/engine/clients/io/torchPt';
import { PICKLE_OP as OP, PickleWriter, encodeValues, ptFile, ptZip } from '../../fixtures/torchPt';

const enc = (s: string): number[] => [...new TextEncoder().encode(s)];
const range = (n: number, f = (i: number) => i): number[] => Array.from({ length: n }, (_, i) => f(i));
const model = (numLayers: number, hiddenSize = 3) => ({ id: 'm', architecture: 'qwen2', numLayers, hiddenSize });

/** The message of what fn throws (fails the test when it does not throw). */
function thrown(fn: () => unknown): Error & { need?: string; code?: string } {
  try { fn(); } catch (e) { return e as Error; }
  throw new Error('expected a throw');
}

describe('torch .pt fixtures', () => {
  it('write the same data.pkl bytes as torch.save (PyTorch 2.13, protocol 2) for a [3, 4] float32 tensor', () => {
    // Captured once from torch.save(torch.arange(12.).reshape(3, 4) * 0.5 - 1, "rows.pt"): rows/data.pkl.
    const real = '800263746f7263682e5f7574696c730a5f72656275696c645f74656e736f725f76320a7100282858070000007374'
      + '6f726167657101637'
      + '46f7263680a466c6f617453746f726167650a71025801000000307103580300000063707571044b0c7471055'
      + '14b004b034b048671064b044b0186710789636'
      + '36f6c6c656374696f6e730a4f726465726564446963740a7108295271097471'
      + '0a5271'
      + '0b2e';
    const { pkl } = PickleWriter.pickle({ shape: [3, 4], values: range(12, (i) => i * 0.5 - 1) });
    expect(Buffer.from(pkl).toString('hex')).toBe(real);
  });
});

describe('reading torch.save files', () => {
  it('maps a persona_vectors [num_layers+1, hidden] tensor: row N is hidden_states[N], so it goes to layer N-1 and row 0 is dropped', () => {
    const rows = [[9, 9, 9], [1, 2, 3], [4, 5, 6], [7, 8, 0.5]]; // row 0 = embeddings
    const file = ptFile({ shape: [4, 3], values: rows.flat() });
    expect(detectVectorFormat(file)).toBe('pt');
    const r = importVectorFile(file, model(3));
    expect(r.format).toBe('pt');
    expect(r.set.meta).toMatchObject({ numLayers: 3, hiddenSize: 3, method: 'imported' });
    expect(Array.from(r.set.vectors)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0.5]);
    expect(r.notes.join(' ')).toMatch(/indices 1\.\.3 went to layers 0\.\.2; index 0 \(the embeddings\) was dropped/);
    expect(r.set.meta.notes).toMatch(/hidden_states\[N\] = output of model\.layers\[N-1\]/);
  });

  it('asks when the loaded model says the rows are one per layer, and obeys the answer', () => {
    const file = ptFile({ shape: [3, 3], values: range(9, (i) => i + 1) });
    const e = thrown(() => importVectorFile(file, model(3)));
    expect(e).toBeInstanceOf(ImportChoiceError);
    expect(e.need).toBe('convention');
    expect(e.message).toMatch(/3 rows look like one per layer.*--vector-convention/);
    expect(Array.from(importVectorFile(file, model(3), { convention: 'layers' }).set.vectors)).toEqual(range(9, (i) => i + 1));
    const hs = importVectorFile(file, model(3), { convention: 'hidden-states' }).set;
    expect(hs.meta).toMatchObject({ numLayers: 2 });
    expect(Array.from(hs.vectors)).toEqual([4, 5, 6, 7, 8, 9]);
  });

  it('asks for the layer of a single 1-D vector and puts it there', () => {
    const file = ptFile({ shape: [3], values: [0.25, -1, 2] });
    const e = thrown(() => importVectorFile(file, model(4)));
    expect(e).toBeInstanceOf(ImportChoiceError);
    expect(e.need).toBe('layer');
    expect(e.message).toMatch(/one vector .* does not say which layer.*--vector-layer/);
    const r = importVectorFile(file, model(4), { layer: 2 });
    expect(r.set.meta.layers).toEqual([2]);
    expect(Array.from(r.set.vectors)).toEqual([0, 0, 0, 0, 0, 0, 0.25, -1, 2]);
    expect(() => importVectorFile(file, model(4), { layer: 4 })).toThrow(/layer 4 is not a layer of the model \(0\.\.3\)/);
  });

  it('converts float16, bfloat16 and float64 storages exactly and reads dicts of per-layer tensors', () => {
    const file = ptFile({ dict: [
      ['layer_3', { shape: [3], values: [1.5, -2, 0.000061035156], dtype: 'float16' }], // 2^-14: smallest normal half
      ['layer_7', { shape: [3], values: [1, -3.5, 2 ** -126], dtype: 'bfloat16' }],
    ] });
    const tensors = readTorchTensors(file);
    expect(tensors.map((t) => t.name)).toEqual(['layer_3', 'layer_7']);
    expect(Array.from(tensors[0].data)).toEqual([1.5, -2, 2 ** -14]);
    expect(Array.from(tensors[1].data)).toEqual([1, -3.5, 2 ** -126]);
    // layer_N does not say their convention: asked, never guessed.
    expect(thrown(() => readTorchVectors(file))).toMatchObject({ need: 'convention' });
    const hs = readTorchVectors(file, { convention: 'hidden-states' }).set;
    expect(hs.meta.layers).toEqual([2, 6]);
    expect(Array.from(hs.vectors.subarray(6, 9))).toEqual([1.5, -2, 2 ** -14]);
    const f64 = ptFile({ dict: [['layers.0', { shape: [2], values: [0.1, 1e-40], dtype: 'float64' }], ['layers.1', { shape: [2], values: [3, 4], dtype: 'float64' }]], ordered: true });
    expect(Array.from(readTorchVectors(f64).set.vectors)).toEqual([Math.fround(0.1), Math.fround(1e-40), 3, 4]);
  });

  it('gathers strided views (a transposed tensor, a row at an offset) as torch would', () => {
    // storage [0..5] viewed as shape [3, 2] with stride [1, 3]: the transpose of [[0,1,2],[3,4,5]].
    const t = readTorchTensors(ptFile({ shape: [3, 2], stride: [1, 3], values: range(6) }))[0];
    expect(Array.from(t.data)).toEqual([0, 3, 1, 4, 2, 5]);
    const row = readTorchTensors(ptFile({ shape: [2], offset: 4, values: range(6) }))[0];
    expect(Array.from(row.data)).toEqual([4, 5]);
  });

  it('reads a big-endian archive (byteorder "big")', () => {
    const { pkl } = PickleWriter.pickle({ shape: [2], values: [1, -2] });
    const be = Uint8Array.from([0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0]);
    const file = zipSync({ 'a/data.pkl': pkl, 'a/byteorder': new TextEncoder().encode('big'), 'a/data/0': be }, { level: 0 });
    expect(Array.from(readTorchTensors(file)[0].data)).toEqual([1, -2]);
  });
});

describe('hostile and broken .pt files are refused with what was found and what to do', () => {
  /** data.pkl that builds and calls os.system("echo pwned") — what a malicious __reduce__ pickles to. */
  const systemCall = (module: string): Uint8Array => Uint8Array.from([OP.PROTO, 2, OP.GLOBAL, ...enc(`${module}\nsystem\n`), OP.BINUNICODE, 10, 0, 0, 0, ...enc('echo pwned'), OP.TUPLE1, OP.REDUCE, OP.STOP]);

  it('refuses pickles that name functions (os.system through GLOBAL/REDUCE, builtins.eval through STACK_GLOBAL)', () => {
    for (const module of ['posix', 'os']) {
      expect(() => readTorchTensors(ptZip(systemCall(module), []))).toThrow(new RegExp(`asks for "${module}\\.system".*nothing in it was run`));
    }
    const stackGlobal = Uint8Array.from([OP.PROTO, 4, 0x8c, 8, ...enc('builtins'), 0x8c, 4, ...enc('eval'), 0x93, 0x8c, 1, ...enc('1'), OP.TUPLE1, OP.REDUCE, OP.STOP]);
    expect(() => readTorchTensors(ptZip(stackGlobal, []))).toThrow(/asks for "builtins\.eval"/);
    // A tensor's own globals cannot be used to call anything else either.
    const storageCall = Uint8Array.from([OP.PROTO, 2, OP.GLOBAL, ...enc('torch\nFloatStorage\n'), OP.EMPTY_TUPLE, OP.REDUCE, OP.STOP]);
    expect(() => readTorchTensors(ptZip(storageCall, []))).toThrow(/calls torch\.FloatStorage, which only names a type here/);
  });

  it('refuses opcodes a tensor file does not need, and BUILD on anything but a dict', () => {
    const inst = Uint8Array.from([OP.PROTO, 2, OP.MARK, 0x69, ...enc('os\nsystem\n'), OP.STOP]); // INST
    expect(() => readTorchTensors(ptZip(inst, []))).toThrow(/opcode 0x69 \("i"\).*refused without running it/);
    const w = new PickleWriter().op(OP.PROTO, 2).tensor({ shape: [1], values: [1] }).op(OP.EMPTY_DICT, OP.BUILD, OP.STOP);
    expect(() => readTorchTensors(ptZip(Uint8Array.from(w.bytes), w.storages))).toThrow(/sets the state of an object that is not a plain dict/);
  });

  it('refuses non-float tensors, naming the dtype', () => {
    expect(() => readTorchTensors(ptFile({ shape: [2], values: [1, 2], dtype: 'int64' }))).toThrow(/stored as LongStorage, not floating point.*tensor\.float\(\)/);
  });

  it('refuses truncated and damaged archives', () => {
    const good = ptFile({ shape: [4], values: [1, 2, 3, 4] });
    expect(() => readTorchTensors(good.subarray(0, good.length - 30))).toThrow(/zip archive cannot be read .*truncated or damaged/);
    expect(() => readTorchTensors(good.subarray(0, 100))).toThrow(/truncated or damaged/);
    const { pkl, storages } = PickleWriter.pickle({ shape: [4], values: [1, 2, 3, 4] });
    expect(() => readTorchTensors(ptZip(pkl.subarray(0, pkl.length - 8), storages))).toThrow(/truncated|pops an empty stack|never set/);
    expect(() => readTorchTensors(ptZip(pkl, []))).toThrow(/archive\/data\/0 is missing from the archive/);
    expect(() => readTorchTensors(zipSync({ 'x/weights.bin': new Uint8Array(4) }))).toThrow(/expected one <name>\/data\.pkl .*found none/);
    expect(() => readTorchTensors(Uint8Array.from([0x80, 2, 0x8a, 0x0a]))).toThrow(/not a zip archive.*legacy \(pre-1\.6\) format/);
  });

  it('refuses storages whose size disagrees with the pickle, and shapes that reach past them or are huge', () => {
    const short = ptFile({ shape: [3, 4], values: range(8), storageNumel: 12 });
    expect(() => readTorchTensors(short)).toThrow(/storage "0" has 32 bytes, but 12 F32 values need 48; the file is damaged\. Save or download the file again\./);
    const past = ptFile({ shape: [3, 4], values: range(8), storageNumel: 8 });
    expect(() => readTorchTensors(past)).toThrow(/shape \[3,4\].*reaches past its storage of 8 values/);
    const huge = ptFile({ shape: [1 << 20, 1 << 20], values: range(4) });
    expect(() => readTorchTensors(huge)).toThrow(/shape \[1048576,1048576\], more than 67108864 values/);
    const hugeStorage = ptFile({ shape: [2], values: [1, 2], storageNumel: 2 ** 30 });
    expect(() => readTorchTensors(hugeStorage)).toThrow(/claims 1073741824 values/);
    // An archive entry claiming 4 GiB (uncompressed size in its central-directory record, as a zip bomb would).
    const bomb = ptFile({ shape: [2], values: [1, 2] });
    const dv = new DataView(bomb.buffer, bomb.byteOffset, bomb.byteLength);
    let patched = 0;
    for (let i = 0; i + 46 <= bomb.length; i++) {
      if (dv.getUint32(i, true) === 0x02014b50) { dv.setUint32(i + 24, 0xfffffff0, true); patched++; } // central file header: uncompressed size at +24
    }
    expect(patched).toBeGreaterThan(0);
    expect(() => readTorchTensors(bomb)).toThrow(/archive entry .* claims 4294967280 bytes; refused/);
  });

  it('refuses NaN values and tensors carrying backward hooks', () => {
    expect(() => readTorchVectors(ptFile({ shape: [2, 2], values: [1, 2, NaN, 4] }))).toThrow(/NaN/);
    // hooks = {1: None} instead of an empty OrderedDict
    const w = new PickleWriter().op(OP.PROTO, 2);
    w.storages.push({ key: '0', data: encodeValues([1], 'float32') });
    w.global('torch._utils', '_rebuild_tensor_v2').op(OP.MARK, OP.MARK).str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(1).op(OP.TUPLE, OP.BINPERSID)
      .int(0).tuple([1]).tuple([1]).op(OP.NEWFALSE, OP.EMPTY_DICT, OP.BININT1, 1, 0x4e, 0x73, OP.TUPLE, OP.REDUCE, OP.STOP);
    expect(() => readTorchTensors(ptZip(Uint8Array.from(w.bytes), w.storages))).toThrow(/backward hooks; hooks are code and are not loaded/);
  });

  it('does not mistake other zips or reads for something else (the archive really is unpacked from its entries)', () => {
    const file = ptFile({ shape: [2], values: [5, 6] }, 'my_vec');
    expect(Object.keys(unzipSync(file))).toContain('my_vec/data.pkl');
    expect(Array.from(readTorchTensors(file)[0].data)).toEqual([5, 6]);
  });
});
