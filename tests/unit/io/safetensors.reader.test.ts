/**
 * Our safetensors writer and reader against independent implementations:
 *  - the reference implementation, Python's `safetensors` (Hugging Face's Rust core, via its numpy API), both
 *    ways, when python3 with safetensors and numpy is installed (`pip install safetensors numpy`); npm has no
 *    well-kept safetensors reader;
 *  - always: a minimal reader written here from the format spec (8-byte LE length, JSON header, raw data).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '../../../src/engine/clients/io/safetensors';
import { bits, trickySet } from './sets';

function hasPythonSafetensors(): boolean {
  // Under mutation testing (npm run mutate) the spec reader above covers the same code; a Python start per
  // mutant would multiply the run time.
  if (process.env.STRYKER_MUTATOR_WORKER !== undefined) return false;
  try {
    execFileSync('python3', ['-c', 'import safetensors.numpy, numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const PY = hasPythonSafetensors();
const dir = mkdtempSync(join(tmpdir(), 'safetensors-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const py = (script: string, ...args: string[]): string => execFileSync('python3', ['-c', script, ...args], { encoding: 'utf8' });

/** The spec, read by hand: u64 LE header size, UTF-8 JSON header, then the byte buffer. */
function specRead(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'));
  const base = 8 + n;
  const tensor = (name: string): number[] => {
    const [b, e] = header[name].data_offsets as [number, number];
    return Array.from({ length: (e - b) / 4 }, (_, i) => view.getUint32(base + b + 4 * i, true));
  };
  return { n, header, base, tensor };
}

describe('safetensors writer, read by the spec', () => {
  it('header length, 8-byte aligned data, F32 [numLayers, hiddenSize], metadata strings, raw little-endian bits', () => {
    const set = trickySet(3, 5);
    const bytes = writeSafetensors(set);
    const { n, header, base, tensor } = specRead(bytes);
    expect(n % 8).toBe(0);
    expect(base + 3 * 5 * 4).toBe(bytes.length);
    expect(header.vectors).toEqual({ dtype: 'F32', shape: [3, 5], data_offsets: [0, 60] });
    expect(Object.keys(header).sort()).toEqual(['__metadata__', 'vectors']);
    expect(header.__metadata__.model_id).toBe(set.meta.modelId);
    expect(header.__metadata__.layer_convention).toMatch(/hidden_states\[L\+1\]/);
    expect(JSON.parse(header.__metadata__['steering_lab.meta'])).toEqual(set.meta);
    expect(tensor('vectors')).toEqual(bits(set.vectors));
    // Padding after the JSON is spaces, which the spec allows.
    const json = Buffer.from(bytes.subarray(8, base)).toString('utf8');
    expect(json.trimEnd()).toBe(JSON.stringify(JSON.parse(json)));
  });
});

describe.skipIf(!PY)('safetensors against Python safetensors (the reference implementation)', () => {
  it('Python reads our file: names, dtype, shape, metadata and values bit for bit', () => {
    const set = trickySet(4, 7);
    const file = join(dir, 'ours.safetensors');
    writeFileSync(file, writeSafetensors(set));
    const out = JSON.parse(py(`
import json, sys
from safetensors import safe_open
with safe_open(sys.argv[1], framework="numpy") as f:
    t = f.get_tensor("vectors")
    print(json.dumps({"keys": list(f.keys()), "meta": f.metadata(), "dtype": str(t.dtype), "shape": list(t.shape),
                      "bits": t.view("<u4").reshape(-1).tolist()}))
`, file));
    expect(out.keys).toEqual(['vectors']);
    expect(out.dtype).toBe('float32');
    expect(out.shape).toEqual([4, 7]);
    expect(out.bits).toEqual(bits(set.vectors));
    expect(out.meta.model_id).toBe(set.meta.modelId);
    expect(JSON.parse(out.meta['steering_lab.meta'])).toEqual(set.meta);
  });

  it('we read what Python writes: a [numLayers, hiddenSize] "vectors" tensor and per-layer "layers.N" tensors', () => {
    const file = join(dir, 'theirs.safetensors');
    py(`
import sys, numpy as np
from safetensors.numpy import save_file
v = (np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5) / 3
save_file({"vectors": v}, sys.argv[1], metadata={"model_id": "org/model"})
`, file);
    const a = readSafetensors(new Uint8Array(readFileSync(file)));
    expect(a.meta).toMatchObject({ modelId: 'org/model', numLayers: 3, hiddenSize: 4, method: 'imported' });
    expect(bits(a.vectors)).toEqual(bits(Float32Array.from({ length: 12 }, (_, i) => (i - 5.5) / 3)));

    py(`
import sys, numpy as np
from safetensors.numpy import save_file
save_file({"layers.3": np.full(5, 0.25, np.float32), "layers.1": np.array([1, -2, 3, -4, 1e-40], np.float32)}, sys.argv[1])
`, file);
    const b = readSafetensors(new Uint8Array(readFileSync(file)));
    expect(b.meta).toMatchObject({ numLayers: 4, hiddenSize: 5, layers: [1, 3], modelId: '' });
    expect(Array.from(b.vectors.subarray(5, 10))).toEqual([1, -2, 3, -4, Math.fround(1e-40)]);
    expect(Array.from(b.vectors.subarray(15, 20))).toEqual([0.25, 0.25, 0.25, 0.25, 0.25]);
    expect(Array.from(b.vectors.subarray(0, 5))).toEqual([0, 0, 0, 0, 0]);
  });

  it('a round trip through Python keeps every bit and our metadata', () => {
    const set = trickySet(3, 6);
    const file = join(dir, 'round.safetensors');
    const copy = join(dir, 'round2.safetensors');
    writeFileSync(file, writeSafetensors(set));
    py(`
import sys
from safetensors import safe_open
from safetensors.numpy import save_file
with safe_open(sys.argv[1], framework="numpy") as f:
    save_file({"vectors": f.get_tensor("vectors")}, sys.argv[2], metadata=f.metadata())
`, file, copy);
    const back = readSafetensors(new Uint8Array(readFileSync(copy)));
    expect(back.meta).toEqual(set.meta);
    expect(bits(back.vectors)).toEqual(bits(set.vectors));
  });
});
