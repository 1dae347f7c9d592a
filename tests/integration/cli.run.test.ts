/** `bin/steer-lab inspect` and `run`, spawned as a user would, on fixture folders. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeFixtureRepo } from '../fixtures/hubRepo';
import { fixtureConfig } from '../fixtures/weights';

const BIN = new URL('../../bin/steer-lab', import.meta.url).pathname;
const run = async (...args: string[]) => {
  const r = await promisify(execFile)(BIN, args, { maxBuffer: 64 << 20 }).catch((e: { stdout: string; code: number }) => ({ stdout: e.stdout, code: e.code }));
  return { json: JSON.parse(r.stdout.trim().split('\n').pop()!), code: 'code' in r ? r.code : 0 };
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steer-cli-'));
  await writeFixtureRepo(fixtureConfig({ family: 'qwen2', layout: 'builder', attention: 'mha', dtype: 'q4', externalData: true }), join(dir, 'qwen'), { extraDtypes: ['fp32'] });
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('steer-lab', () => {
  it('inspect prints the layout, sizes, dtype and taps', async () => {
    const { json } = await run('inspect', join(dir, 'qwen'), '--dtype', 'q4', '--json');
    expect(json).toMatchObject({ layout: 'builder', numLayers: 4, hiddenSize: 64, dtype: 'q4' });
    expect(json.taps).toEqual(['hook_embed', ...[0, 1, 2, 3].flatMap((l) => [`blocks.${l}.hook_resid_mid`, `blocks.${l}.hook_resid_post`])]);
  });

  it('run takes a cap and a gated add from a spec file and reports the condition', async () => {
    const steer = join(dir, 'kinds.json');
    const v = Array.from({ length: 64 }, (_, i) => Math.sin(i));
    // A threshold no prompt reaches: the gated add never fires, so the tokens are the cap's alone.
    await writeFile(steer, JSON.stringify([
      { kind: 'cap', layer: 1, direction: v, min: -0.1, max: 0.1 },
      { layer: 2, vector: v, coeff: 6, positions: 'all', when: { layer: 1, direction: v, threshold: 1e6, pooling: 'mean' } },
    ]));
    const capOnly = join(dir, 'cap.json');
    await writeFile(capOnly, JSON.stringify({ kind: 'cap', layer: 1, direction: v, min: -0.1, max: 0.1 }));
    const args = ['run', join(dir, 'qwen'), '--prompt', 'Hello', '--raw', '--dtype', 'fp32', '--max-new-tokens', '5', '--json'];
    const both = await run(...args, '--steer', steer);
    const cap = await run(...args, '--steer', capOnly);
    expect(both.code).toBe(0);
    expect(both.json.conditions[0]).toEqual([{ spec: 1, layer: 1, projection: expect.any(Number), fired: false }]);
    expect(both.json.tokens).toEqual(cap.json.tokens);
    const badKind = join(dir, 'bad.json');
    await writeFile(badKind, JSON.stringify({ kind: 'scale', layer: 1 }));
    const bad = await run(...args, '--steer', badKind);
    expect(bad.code).not.toBe(0);
    expect(bad.json.error.message).toMatch(/"scale" is not a kind of intervention; the kinds are add, ablate, cap/);
  });

  it('run generates, steers from a file and captures prompt and generated positions', async () => {
    const steer = join(dir, 'steer.json');
    await writeFile(steer, JSON.stringify([{ layer: 1, vector: Array.from({ length: 64 }, (_, i) => Math.sin(i)), coeff: 6, positions: 'all' }]));
    const base = await run('run', join(dir, 'qwen'), '--prompt', 'Hello', '--raw', '--dtype', 'fp32', '--max-new-tokens', '5', '--capture', 'blocks.1.hook_resid_post', '--json');
    const steered = await run('run', join(dir, 'qwen'), '--prompt', 'Hello', '--raw', '--dtype', 'fp32', '--max-new-tokens', '5', '--steer', steer, '--json');
    expect(base.json.tokens[0]).toHaveLength(5);
    expect(base.json.text[0]).toEqual(expect.any(String));
    const [B, S, D] = base.json.captures['blocks.1.hook_resid_post'].shape;
    expect([B, D]).toEqual([1, 64]);
    expect(base.json.captures['blocks.1.hook_resid_post'].data).toHaveLength(S * D);
    expect(S).toBeGreaterThanOrEqual(5 + 1); // prompt tokens + 5 generated
    expect(steered.json.tokens[0]).not.toEqual(base.json.tokens[0]);
  });

  it('bad input exits non-zero with a typed error', async () => {
    const steer = join(dir, 'bad.json');
    await writeFile(steer, JSON.stringify({ layer: 1, vector: [1, 2, 3], coeff: 1, positions: 'all' }));
    const r = await run('run', join(dir, 'qwen'), '--prompt', 'x', '--dtype', 'fp32', '--steer', steer, '--json');
    expect(r.code).toBe(1);
    expect(r.json.error.code).toBe('bad-input');
    expect(r.json.error.message).toMatch(/3 values but this model's hidden size is 64/);
    const flag = await run('run', join(dir, 'qwen'), '--no-such-flag', '--json');
    expect(flag.code).toBe(1);
    expect(flag.json.error).toMatchObject({ code: 'bad-input', message: expect.stringMatching(/Unknown option '--no-such-flag'/) });
  });
});
