/**
 * The in-process engine end to end on fixture repos: loading, chat prompts, batching rules,
 * sampling, monitoring, log-probabilities, and the typed errors for bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../../src/engine/core/runtime/engine';
import { EngineError, type ErrorCode } from '../../src/engine/shared/errors';
import type { Engine, GenerateRequest, ProgressEvent } from '../../src/engine/shared/api';
import { expectProgressRules } from '../helpers/progressRules';
import { writeFixtureRepo } from '../fixtures/hubRepo';
import { fixtureConfig } from '../fixtures/weights';
import { GraphBuilder } from '../fixtures/graph';
import { DataType } from '../../src/engine/core/onnx/schema';
import { MAX_ABS_COEFF } from '../../src/engine/shared/limits';

let dir: string;
const repos: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steer-engine-'));
  repos.gqa = join(dir, 'gqa');
  repos.llama = join(dir, 'llama');
  await writeFixtureRepo(fixtureConfig({ family: 'qwen2', layout: 'builder', attention: 'gqa', dtype: 'q4' }), repos.gqa);
  await writeFixtureRepo(fixtureConfig({ family: 'llama', layout: 'decomposed', dtype: 'fp32' }), repos.llama);
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

async function loaded(path: string, dtype: 'q4' | 'fp32'): Promise<Engine> {
  const engine = createEngine();
  await engine.load({ kind: 'path', path }, { dtype, device: 'wasm' });
  return engine;
}

async function expectCode(p: Promise<unknown>, code: ErrorCode, text: RegExp): Promise<void> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e, 'expected an error').toBeInstanceOf(EngineError);
  expect((e as EngineError).code).toBe(code);
  expect((e as EngineError).message).toMatch(text);
}

const vec = (D: number, k = 1) => Float32Array.from({ length: D }, (_, i) => Math.cos(i * k));

describe('engine', () => {
  it('reports what it loaded, with progress per stage that ends complete', async () => {
    const engine = createEngine();
    const events: ProgressEvent[] = [];
    await engine.load({ kind: 'path', path: repos.gqa }, { dtype: 'q4', device: 'wasm' }, { onProgress: (e) => events.push(e) });
    expectProgressRules(events);
    const stages = new Set(events.map((e) => e.stage));
    expect(['instrument', 'session'].every((s) => stages.has(s))).toBe(true);
    const info = engine.info()!;
    expect(info).toMatchObject({ layout: 'builder', numLayers: 4, hiddenSize: 64, dtype: 'q4', device: 'wasm', bodyDtype: 'float32', hasChatTemplate: true });
    expect(info.taps).toContain('blocks.3.hook_resid_post');
    await engine.dispose();
  });

  it('GQA graphs: rows of different prompt lengths give the tokens of separate runs', async () => {
    const engine = await loaded(repos.gqa, 'q4');
    const D = engine.info()!.hiddenSize;
    const prompts = ['Hi', 'Tell me a story about the sea', 'What is two plus two?'];
    const rows = prompts.map((p, i) => ({ prompt: [{ role: 'user' as const, content: p }], steering: [{ layer: 1, vector: vec(D), coeff: 2 * i, positions: 'all' as const }] }));
    const batch = await engine.generate({ rows, maxNewTokens: 8, stopAtEos: false });
    for (let r = 0; r < rows.length; r++) {
      const alone = await engine.generate({ rows: [rows[r]], maxNewTokens: 8, stopAtEos: false });
      expect(batch.tokens[r]).toEqual(alone.tokens[0]);
      expect(batch.text[r]).toEqual(alone.text[0]);
    }
    await engine.dispose();
  });

  it('sampling is seeded per row: a row in a batch samples as it would alone', async () => {
    const engine = await loaded(repos.llama, 'fp32');
    const row = { prompt: 'Once upon a time' };
    const sampling = { temperature: 1.2, topP: 0.9, seed: 7 };
    const a = await engine.generate({ rows: [row, row], maxNewTokens: 12, sampling, stopAtEos: false });
    const b = await engine.generate({ rows: [row], maxNewTokens: 12, sampling, stopAtEos: false });
    const c = await engine.generate({ rows: [row], maxNewTokens: 12, sampling: { ...sampling, seed: 8 }, stopAtEos: false });
    expect(a.tokens[0]).toEqual(b.tokens[0]);
    expect(a.tokens[1]).toEqual(b.tokens[0]);
    expect(c.tokens[0]).not.toEqual(b.tokens[0]);
    await engine.dispose();
  });

  it('streams tokens with projections, returns log-probabilities, and runs prompt-only requests', async () => {
    const engine = await loaded(repos.llama, 'fp32');
    const D = engine.info()!.hiddenSize;
    const events: { row: number; step: number; projection?: number }[] = [];
    const res = await engine.generate({
      rows: [{ prompt: 'abc' }, { prompt: 'abc', steering: [{ layer: 2, vector: vec(D), coeff: 4, positions: 'response' }] }],
      maxNewTokens: 6, stopAtEos: false, monitor: { layer: 2, direction: vec(D) }, topLogprobs: 5,
    }, { onToken: (e) => events.push(e) });
    expect(res.projections!.map((p) => p.length)).toEqual([6, 6]);
    expect(events.filter((e) => e.row === 1).map((e) => e.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(events.every((e) => Number.isFinite(e.projection))).toBe(true);
    // Steering along the monitored direction raises its projection by coeff·|v|·cos = 4·|v|.
    const norm = Math.hypot(...vec(D));
    expect(res.projections![1][0] - res.projections![0][0]).toBeCloseTo(4 * norm, 3);
    for (const [r, steps] of res.logprobs!.entries()) {
      steps.forEach((top, s) => {
        expect(top).toHaveLength(5);
        expect(top[0].token).toBe(res.tokens[r][s]); // greedy picks the most likely token
        expect(top.reduce((p, t) => p + Math.exp(t.logprob), 0)).toBeLessThanOrEqual(1 + 1e-9);
      });
    }
    expect(res.captures).toEqual({}); // monitoring alone records no full captures
    const prompt = await engine.generate({ rows: [{ prompt: 'hello world' }], maxNewTokens: 0, captures: ['blocks.0.hook_resid_post'] });
    const ids = (await engine.tokenize('hello world')).ids;
    expect(prompt.tokens[0]).toEqual([]);
    expect(prompt.captures['blocks.0.hook_resid_post'].shape).toEqual([1, ids.length, D]);
    await engine.dispose();
  });

  it('continueFinal leaves the final assistant turn open so generation continues it', async () => {
    const engine = await loaded(repos.llama, 'fp32');
    const messages = [{ role: 'user' as const, content: 'Rate it' }, { role: 'assistant' as const, content: '4' }];
    const closed = await engine.tokenize(messages);
    const open = await engine.tokenize(messages, { continueFinal: true });
    const contentEnd = closed.spans![1].end;
    expect(open.ids).toEqual(closed.ids.slice(0, contentEnd));
    expect(closed.ids.length).toBeGreaterThan(contentEnd); // the closed turn has its end-of-turn token
    const res = await engine.generate({ rows: [{ prompt: messages, continueFinal: true }], maxNewTokens: 1, topLogprobs: 3 });
    expect(res.promptLengths[0]).toBe(open.ids.length);
    await expectCode(engine.generate({ rows: [{ prompt: [messages[0]], continueFinal: true }], maxNewTokens: 1 }), 'bad-input', /end with an assistant message/);
    await engine.dispose();
  });

  it('a cancel that arrives as an event stops the run within a step, and the engine stays usable', async () => {
    const engine = await loaded(repos.llama, 'fp32');
    const ctrl = new AbortController();
    let steps = 0;
    const run = engine.generate({ rows: [{ prompt: 'Count to fifty' }], maxNewTokens: 60, stopAtEos: false }, {
      signal: ctrl.signal,
      // Like a worker's cancel message: a separate task, not a call from inside the loop.
      onToken: (e) => { steps = e.step + 1; if (e.step === 1) setImmediate(() => ctrl.abort()); },
    });
    await expectCode(run, 'cancelled', /cancelled/);
    expect(steps).toBeLessThanOrEqual(3);
    const next = await engine.generate({ rows: [{ prompt: 'Count to fifty' }], maxNewTokens: 3, stopAtEos: false });
    expect(next.tokens[0]).toHaveLength(3);
    await engine.dispose();
  });

  it('an unsteered request right after a steered one equals the baseline', async () => {
    const engine = await loaded(repos.gqa, 'q4');
    const D = engine.info()!.hiddenSize;
    const req: GenerateRequest = { rows: [{ prompt: 'Why is the sky blue?' }], maxNewTokens: 10, stopAtEos: false };
    const base = await engine.generate(req);
    const steered = await engine.generate({ ...req, rows: [{ ...req.rows[0], steering: [{ layer: 0, vector: vec(D), coeff: 8, positions: 'all' }] }] });
    const after = await engine.generate(req);
    expect(steered.tokens[0]).not.toEqual(base.tokens[0]);
    expect(after.tokens[0]).toEqual(base.tokens[0]);
    await engine.dispose();
  });
});

describe('bad input fails with a typed error and a clear message', () => {
  let engine: Engine;
  beforeAll(async () => { engine = await loaded(repos.llama, 'fp32'); });
  afterAll(async () => { await engine.dispose(); });
  const D = 64;
  const gen = (steering: unknown[], extra: Partial<GenerateRequest> = {}) =>
    engine.generate({ rows: [{ prompt: 'hi', steering: steering as never }], maxNewTokens: 2, ...extra });

  it('a vector of the wrong length', () => expectCode(gen([{ layer: 1, vector: vec(D - 1), coeff: 1, positions: 'all' }]), 'bad-input', /63 values but this model's hidden size is 64/));
  it('NaN and Inf', async () => {
    const v = vec(D);
    v[5] = NaN;
    await expectCode(gen([{ layer: 1, vector: v, coeff: 1, positions: 'all' }]), 'bad-input', /value 5 is NaN/);
    await expectCode(gen([{ layer: 1, vector: vec(D), coeff: Infinity, positions: 'all' }]), 'bad-input', /coeff.*finite/);
  });
  it('an absurd coefficient', () => expectCode(gen([{ layer: 1, vector: vec(D), coeff: 1e9, positions: 'all' }]), 'bad-input', new RegExp(`within ±${MAX_ABS_COEFF},`)));
  it('a layer out of range', () => expectCode(gen([{ layer: 4, vector: vec(D), coeff: 1, positions: 'all' }]), 'bad-input', /layer 4 is out of range.*0\.\.3/));
  it('an unknown position mode', () => expectCode(gen([{ layer: 1, vector: vec(D), coeff: 1, positions: 'middle' }]), 'bad-input', /positions "middle"/));
  it('an unknown tap', () => expectCode(gen([], { captures: ['blocks.9.hook_resid_post' as never] }), 'bad-input', /Unknown tap "blocks.9.hook_resid_post"/));
  it('an over-long prompt', () => expectCode(engine.generate({ rows: [{ prompt: 'word '.repeat(400) }], maxNewTokens: 8 }), 'bad-input', /^The prompt has \d+ tokens .* beyond this model's 256 positions/));
  it('an over-long prompt is named by its label, and by its place in a batch without one', async () => {
    await expectCode(engine.generate({ rows: [{ prompt: 'hi' }, { prompt: 'word '.repeat(400), label: 'The judge prompt' }], maxNewTokens: 8 }), 'bad-input', /^The judge prompt has \d+ tokens/);
    await expectCode(engine.generate({ rows: [{ prompt: 'hi' }, { prompt: 'word '.repeat(400) }], maxNewTokens: 8 }), 'bad-input', /^Prompt 2 of 2 has \d+ tokens/);
  });
  it('names a steering entry by its row as a user would, never as rows[i].steering[j]', async () => {
    const v = vec(D);
    v[5] = NaN;
    await expectCode(gen([{ layer: 1, vector: vec(D), coeff: 1, positions: 'all' }, { layer: 1, vector: v, coeff: 1, positions: 'all' }]), 'bad-input', /^Row 1, steering 2\.vector: value 5 is NaN/);
    await expectCode(engine.generate({ rows: [{ prompt: 'hi', label: 'The steered column', steering: [{ layer: 1, vector: v, coeff: 1, positions: 'all' }] }], maxNewTokens: 2 }), 'bad-input', /^The steered column, steering 1\.vector/);
  });
  it('too many new tokens: the limit in words, without "prompt activations only"', () =>
    expectCode(engine.generate({ rows: [{ prompt: 'hi' }], maxNewTokens: 1e9 }), 'bad-input', /^The number of new tokens must be a whole number from 0 to 256 \(this model's limit\); got 1000000000\. 0 reads the prompt without generating\.$/));
  it('two ablations of one row at one layer', () => expectCode(gen([{ layer: 1, direction: vec(D), ablate: 1 }, { layer: 1, direction: vec(D, 2), ablate: 1 }]), 'bad-input', /two ablations at layer 1/));
  it('a request before any model is loaded', () => expectCode(createEngine().generate({ rows: [{ prompt: 'x' }], maxNewTokens: 1 }), 'not-loaded', /No model is loaded/));

  it('an ONNX file that is not a decoder', async () => {
    const g = new GraphBuilder();
    g.input('x', DataType.FLOAT, [1, 4]);
    g.node('Relu', ['x'], { outputs: ['y'] });
    g.output('y', DataType.FLOAT, [1, 4]);
    const folder = join(dir, 'not-decoder');
    await writeFixtureRepo(fixtureConfig({ dtype: 'fp32' }), folder);
    await writeFile(join(folder, 'onnx/model.onnx'), g.toModel().model);
    await expectCode(createEngine().load({ kind: 'path', path: folder }, { dtype: 'fp32', device: 'wasm' }), 'unsupported-model', /no "input_ids" input/);
  });

  it('a truncated file', async () => {
    const folder = join(dir, 'truncated');
    await writeFixtureRepo(fixtureConfig({ dtype: 'fp32' }), folder);
    const bytes = await readFile(join(folder, 'onnx/model.onnx'));
    await writeFile(join(folder, 'onnx/model.onnx'), bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await expectCode(createEngine().load({ kind: 'path', path: folder }, { dtype: 'fp32', device: 'wasm' }), 'load-failed', /not a readable ONNX model.*truncated/);
  });

  it('a config whose layer count does not match the graph', async () => {
    const folder = join(dir, 'wrong-config');
    await writeFixtureRepo(fixtureConfig({ dtype: 'fp32' }), folder);
    const cfg = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8'));
    await writeFile(join(folder, 'config.json'), JSON.stringify({ ...cfg, num_hidden_layers: 6 }));
    await expectCode(createEngine().load({ kind: 'path', path: folder }, { dtype: 'fp32', device: 'wasm' }), 'unsupported-model', /12 for 6 layers\), found 8/);
  });
});
