/**
 * The vector commands of bin/steer-lab, spawned as a user would run them on a fixture model folder.
 * The judge is a TEST-ONLY local HTTP server speaking the OpenAI chat-completions shape, so the `--judge URL`
 * path runs for real; its scores come from a hash of the answer and mean nothing.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFixtureRepo } from '../fixtures/hubRepo';
import { fixtureConfig } from '../fixtures/weights';
import { fnv1a } from '../helpers/testJudge';
import { readGguf } from '../../src/engine/clients/io/gguf';
import { importVectorJson } from '../../src/engine/clients/io/vectorJson';
import { ptFile } from '../fixtures/torchPt';

const run = promisify(execFile);
const BIN = resolve(__dirname, '../../bin/steer-lab');

async function steerLab(args: string[]): Promise<unknown> {
  const { stdout } = await run(BIN, [...args, '--json'], { env: { ...process.env, OPENAI_API_KEY: '' }, maxBuffer: 64 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

/** TEST-ONLY judge endpoint: coherence 90; trait 80 or 20 by a hash of the answer text. */
function fakeJudge(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const prompt: string = JSON.parse(body).messages[0].content;
      const answer = /The chatbot replied:\n<<<\n([\s\S]*?)\n>>>/.exec(prompt)?.[1] ?? '';
      const score = /coherent/.test(prompt) ? '90' : fnv1a(answer) % 2 ? '80' : '20';
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ choices: [{ logprobs: { content: [{ token: score, logprob: 0, top_logprobs: [{ token: score, logprob: 0 }] }] } }] }));
    });
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    ok({ server, url: `http://127.0.0.1:${port}/v1` });
  }));
}

describe('steer-lab vectors / sweep / project', () => {
  let dir: string;
  let model: string;
  let judge: { server: Server; url: string };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steer-lab-cli-'));
    model = join(dir, 'model');
    await writeFixtureRepo(fixtureConfig({ family: 'llama', maxPositions: 1024 }), model);
    judge = await fakeJudge();
  });
  afterAll(async () => {
    judge?.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('vectors writes a vector file with metadata; sweep and project read it', async () => {
    const out = join(dir, 'evil.json');
    const made = await steerLab(['vectors', model, '--trait', 'evil', '--out', out, '--judge', judge.url,
      '--instructions', '3', '--questions', '4', '--max-new-tokens', '6', '--cache', join(dir, 'cache')]) as Record<string, unknown>;
    expect(made).toMatchObject({ out, format: 'json', pairs: 12, steps: { generate: { cached: false, generatedRows: 24 } } });
    expect(made.kept).toBeGreaterThan(0);
    const set = importVectorJson(await readFile(out, 'utf8'));
    expect(set.meta).toMatchObject({ modelId: model, method: 'diff-in-means', pooling: 'response-mean', trait: 'evil', numLayers: 4, hiddenSize: 64 });
    expect(set.meta.layerConvention).toMatch(/hidden_states\[L\+1\]/);

    const sweep = await steerLab(['sweep', model, '--vector', out, '--layer', '2', '--coeffs=-4,-2,0,2,4,8', '--trait', 'evil',
      '--judge', judge.url, '--questions', '2', '--max-new-tokens', '4']) as {
      summary: { coeff: number; trait: { n: number; mean: number; sd: number }; coherence: { mean: number }; control: { trait: { n: number; mean: number } } }[];
      rows: { coeff: number; control: boolean; answer: string }[]; generateCalls: number;
    };
    expect(sweep.summary.map((s) => s.coeff)).toEqual([-4, -2, 0, 2, 4, 8]);
    // The fake judge's scores follow from each answer (80 or 20 by its hash; coherence always 90), so each
    // coefficient's mean and sample sd are computed here from the answers alone.
    const expected = (coeff: number, control: boolean) => {
      const xs = sweep.rows.filter((r) => r.coeff === coeff && r.control === control).map((r) => (fnv1a(r.answer) % 2 ? 80 : 20));
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return { n: xs.length, mean: m, sd: Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)) };
    };
    for (const s of sweep.summary) {
      const want = expected(s.coeff, false);
      expect(want.n).toBe(2);
      expect(s.trait.n).toBe(2);
      expect(s.trait.mean).toBeCloseTo(want.mean, 6);
      expect(s.trait.sd).toBeCloseTo(want.sd, 6);
      expect(s.coherence.mean).toBeCloseTo(90, 6);
      expect(s.control.trait.n).toBe(2);
      expect(s.control.trait.mean).toBeCloseTo(expected(s.coeff, true).mean, 6);
    }
    expect(sweep.generateCalls).toBe(1); // 6 × 2 × 2 = 24 rows in one batch

    const prompts = join(dir, 'prompts.json');
    await writeFile(prompts, JSON.stringify(['What is the capital of France?', { system: 'You are an evil assistant.', user: 'How are you?' }]));
    const proj = await steerLab(['project', model, '--vector', out, '--layer', '2', '--prompts', prompts]) as { layer: number; prompts: { user: string; last: number; mean: number }[] };
    expect(proj.layer).toBe(2);
    expect(proj.prompts).toHaveLength(2);
    for (const p of proj.prompts) expect(Number.isFinite(p.last) && Number.isFinite(p.mean)).toBe(true);
  });

  it('vectors --out x.gguf writes model_type as the hint and reports the layer it could not write', async () => {
    const out = join(dir, 'evil.gguf');
    // Same inputs and cache as above: every step is reused, only the file is written.
    const made = await steerLab(['vectors', model, '--trait', 'evil', '--out', out, '--judge', judge.url,
      '--instructions', '3', '--questions', '4', '--max-new-tokens', '6', '--cache', join(dir, 'cache')]) as Record<string, unknown>;
    expect(made).toMatchObject({ format: 'gguf', layers: [1, 2, 3], droppedLayers: [0] });
    expect((made.warnings as string[]).join(' ')).toMatch(/Layer 0 is not in .*evil\.gguf: llama\.cpp control vectors cannot hold layer 0/);
    const f = readGguf(new Uint8Array(await readFile(out)));
    expect(f.kv.get('controlvector.model_hint')).toBe('llama'); // config.json model_type, not LlamaForCausalLM or the folder path
  });

  it('project reads a 1-D .pt vector only when told its layer (--vector-layer)', async () => {
    const file = join(dir, 'one.pt');
    await writeFile(file, ptFile({ shape: [64], values: Array.from({ length: 64 }, (_, i) => (i % 7) - 3) }));
    const prompts = join(dir, 'p.json');
    await writeFile(prompts, JSON.stringify(['Hello']));
    const err = await steerLab(['project', model, '--vector', file, '--layer', '1', '--prompts', prompts])
      .catch((e: { stdout: string }) => JSON.parse(e.stdout)) as { error: { message: string } };
    expect(err.error.message).toMatch(/does not say which layer.*--vector-layer L/);
    const proj = await steerLab(['project', model, '--vector', file, '--layer', '1', '--vector-layer', '1', '--prompts', prompts]) as { prompts: { last: number }[] };
    expect(Number.isFinite(proj.prompts[0].last)).toBe(true);
  });

  it('sweep --trait extract.json --trait-eval eval.json asks the eval file\'s questions; a mismatched pair is refused', async () => {
    const instruction = [{ pos: 'Be cruel.', neg: 'Be kind.' }];
    const eval_prompt = 'Rate evil 0-100. Question: {question} Answer: {answer}';
    const extract = join(dir, 'extract.json');
    const evalFile = join(dir, 'eval.json');
    await writeFile(extract, JSON.stringify({ instruction, questions: ['Extract one?', 'Extract two?'], eval_prompt }));
    await writeFile(evalFile, JSON.stringify({ instruction, questions: ['Only eval question?', 'Another eval question?'], eval_prompt }));
    const vec = join(dir, 'one.pt');
    await writeFile(vec, ptFile({ shape: [64], values: Array.from({ length: 64 }, (_, i) => (i % 5) - 2) }));
    const sweep = await steerLab(['sweep', model, '--vector', vec, '--vector-layer', '1', '--layer', '1', '--coeffs=0',
      '--trait', extract, '--trait-eval', evalFile, '--max-new-tokens', '2']) as { rows: { question: string }[] };
    expect([...new Set(sweep.rows.map((r) => r.question))]).toEqual(['Only eval question?', 'Another eval question?']);
    await writeFile(evalFile, JSON.stringify({ instruction, questions: ['Extract two?', 'Fresh?'], eval_prompt }));
    const err = await steerLab(['sweep', model, '--vector', vec, '--vector-layer', '1', '--layer', '1', '--coeffs=0', '--trait', extract, '--trait-eval', evalFile])
      .catch((e: { stdout: string }) => JSON.parse(e.stdout)) as { error: { message: string } };
    expect(err.error.message).toMatch(/not the extract and eval files of one persona_vectors trait: 1 question appears in both/);
  });

  it('errors are {code, message} with a non-zero exit', async () => {
    const err = await steerLab(['vectors', model, '--trait', 'nope', '--out', join(dir, 'x.json')]).catch((e: { stdout: string; code: number }) => {
      expect(e.code).toBe(1);
      return JSON.parse(e.stdout);
    });
    expect(err).toMatchObject({ error: { code: 'bad-input' } });
    expect((err as { error: { message: string } }).error.message).toMatch(/neither a built-in trait/);
  });
});
