/**
 * `--adapter DIR` / `--adapter-strength S` and `adapter-diff`, spawned as a user would, on a fixture
 * folder and a PEFT adapter folder written in code. The direction adapter-diff writes is checked against
 * the float64 reference: mean over prompts of (merged − base) last-token activations, per layer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeFixtureRepo, type FixtureRepo } from '../fixtures/hubRepo';
import { fixtureConfig } from '../fixtures/weights';
import { referenceForward } from '../fixtures/reference';
import { adapterFiles, makeAdapter, mergeAdapter, type FixtureAdapter } from '../fixtures/lora';
import { relErr } from '../helpers/compare';
import { createEngine } from '../../src/engine/core/runtime/engine';
import { importVectorJson } from '../../src/engine/clients/io/vectorJson';

const BIN = new URL('../../bin/steer-lab', import.meta.url).pathname;
const run = async (...args: string[]) => {
  const r = await promisify(execFile)(BIN, args, { maxBuffer: 64 << 20 }).catch((e: { stdout: string; code: number }) => ({ stdout: e.stdout, code: e.code }));
  return { json: JSON.parse(r.stdout.trim().split('\n').pop()!), code: 'code' in r ? r.code : 0 };
};

const CFG = fixtureConfig({ family: 'llama', layout: 'decomposed', dtype: 'fp32' });
const PROMPTS = ['How do I cook rice?', 'Tell me about the moon', 'What is a good pet?', 'Why do birds sing?'];
let dir: string;
let model: string;
let adapterDir: string;
let repo: FixtureRepo;
let adapter: FixtureAdapter;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steer-cli-lora-'));
  model = join(dir, 'model');
  repo = await writeFixtureRepo(CFG, model);
  adapter = makeAdapter(CFG, { modules: ['q_proj', 'v_proj', 'o_proj', 'down_proj'], rank: 4, alpha: 8, seed: 31, bStd: 0.5 });
  const files = adapterFiles(adapter);
  adapterDir = join(dir, 'my-adapter');
  await mkdir(adapterDir);
  await writeFile(join(adapterDir, 'adapter_config.json'), files.config);
  await writeFile(join(adapterDir, 'adapter_model.safetensors'), files.weights);
  await writeFile(join(dir, 'prompts.json'), JSON.stringify(PROMPTS));
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('steer-lab with a LoRA adapter', () => {
  it('run: --adapter-strength 0 is the base model, the default 1 the fine-tuned one', async () => {
    const args = ['run', model, '--prompt', 'Hello there', '--raw', '--max-new-tokens', '8', '--json'];
    const [plain, base, tuned] = await Promise.all([run(...args), run(...args, '--adapter', adapterDir, '--adapter-strength', '0'), run(...args, '--adapter', adapterDir)]);
    expect(base.json.tokens).toEqual(plain.json.tokens);
    expect(tuned.json.tokens).not.toEqual(plain.json.tokens);
  });

  it('adapter-diff writes the fine-tuned − base direction of the reference, per layer, with detection scores', async () => {
    const out = join(dir, 'diff.json');
    const r = await run('adapter-diff', model, '--adapter', adapterDir, '--prompts', join(dir, 'prompts.json'), '--out', out, '--json');
    expect(r.code).toBe(0);
    expect(r.json.layers).toHaveLength(CFG.numLayers);
    expect(r.json.scores.fineTuned[0]).toHaveLength(PROMPTS.length);
    const set = importVectorJson(await readFile(out, 'utf8'));
    expect(set.meta).toMatchObject({ method: 'two-model', numLayers: CFG.numLayers, hiddenSize: CFG.hiddenSize, modelId: expect.stringMatching(/\+my-adapter@1$/), comparedModelId: expect.stringMatching(/\+my-adapter@0$/) });
    // The reference: the same prompts (chat template, tokenized in-process) through base and merged weights.
    const engine = createEngine();
    await engine.load({ kind: 'path', path: model }, { device: 'wasm' });
    const ids = await Promise.all(PROMPTS.map(async (p) => (await engine.tokenize([{ role: 'user', content: p }])).ids));
    await engine.dispose();
    const merged = mergeAdapter(CFG, repo.weights, adapter, 1);
    const D = CFG.hiddenSize;
    for (let l = 0; l < CFG.numLayers; l++) {
      const want = new Float64Array(D);
      for (const seq of ids) {
        const tap = `blocks.${l}.hook_resid_post`;
        const last = (w: typeof merged) => referenceForward(CFG, w, [seq], [seq.map(() => 1)]).taps[tap].subarray((seq.length - 1) * D, seq.length * D);
        const [a, b] = [last(merged), last(repo.weights)];
        for (let d = 0; d < D; d++) want[d] += (a[d] - b[d]) / ids.length;
      }
      expect(relErr(set.vectors.subarray(l * D, (l + 1) * D), want), `layer ${l}`).toBeLessThan(1e-4);
    }
  });

  it('refuses a folder without the adapter files, a strength without an adapter, and a strength that is not a number', async () => {
    const missing = await run('run', model, '--prompt', 'x', '--adapter', dir, '--json');
    expect(missing).toMatchObject({ code: 1, json: { error: { code: 'bad-input', message: `--adapter ${dir}: no adapter_config.json there; give the folder PEFT's save_pretrained wrote.` } } });
    const alone = await run('run', model, '--prompt', 'x', '--adapter-strength', '0.5', '--json');
    expect(alone.json.error.message).toBe('--adapter-strength needs --adapter DIR.');
    const nan = await run('run', model, '--prompt', 'x', '--adapter', adapterDir, '--adapter-strength', 'half', '--json');
    expect(nan.json.error.message).toBe('--adapter-strength must be a number (0 = base model, 1 = fine-tuned); got "half".');
    const inspect = await run('inspect', model, '--adapter', adapterDir, '--json');
    expect(inspect.json.error.message).toBe('inspect reads the model file only; --adapter applies to run, vectors, sweep, project and adapter-diff.');
  });
});
