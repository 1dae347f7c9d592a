/**
 * Our safetensors against an independent implementation: the Python `safetensors` package (Hugging Face's reference
 * reader/writer) with numpy, when this machine has them; skipped otherwise. Python reads what we write, and we read
 * F16/F64 files Python writes in the per-layer layouts other tools use.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensorsVectors, writeSafetensors } from '../../../src/engine/clients/io/safetensors';
import { trickySet } from './sets';

const python = (code: string, ...args: string[]): string => execFileSync('python3', ['-c', code, ...args], { encoding: 'utf8' });
const available = ((): boolean => {
  try { python('import numpy, safetensors.numpy'); return true; } catch { return false; }
})();

describe.skipIf(!available)('safetensors vs the Python safetensors package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'steer-lab-st-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('Python reads our file: same tensor name, shape, float32 bits and metadata', () => {
    const set = trickySet(3, 5);
    const file = join(dir, 'ours.safetensors');
    writeFileSync(file, writeSafetensors(set));
    const out = JSON.parse(python(`
import json, sys
from safetensors import safe_open
with safe_open(sys.argv[1], framework="numpy") as f:
    t = f.get_tensor("vectors")
    print(json.dumps({"keys": list(f.keys()), "dtype": str(t.dtype), "shape": list(t.shape),
                      "bits": t.view("uint32").ravel().tolist(), "meta": f.metadata()}))`, file));
    expect(out.keys).toEqual(['vectors']);
    expect(out.dtype).toBe('float32');
    expect(out.shape).toEqual([3, 5]);
    expect(out.bits).toEqual(Array.from(new Uint32Array(set.vectors.buffer)));
    expect(JSON.parse(out.meta['steering_lab.meta']).modelId).toBe(set.meta.modelId);
  });

  it('we read F16 and F64 per-layer files Python writes, converted exactly', () => {
    const file = join(dir, 'theirs.safetensors');
    python(`
import sys, numpy as np
from safetensors.numpy import save_file
save_file({"direction.1": np.array([1.5, -2, 2**-24, 65504], dtype=np.float16),
           "direction.2": np.array([0.1, -3, 1e-45, 7], dtype=np.float64)}, sys.argv[1])`, file);
    const r = readSafetensorsVectors(new Uint8Array(readFileSync(file)));
    expect(r.set.meta.layers).toEqual([1, 2]);
    expect(Array.from(r.set.vectors.subarray(4))).toEqual([1.5, -2, 2 ** -24, 65504, Math.fround(0.1), -3, Math.fround(1e-45), 7]);
  });
});
