/**
 * `steer-lab seed002`, spawned as a user would, on the demo organism (demo model folder + assets/demo-organism)
 * gives the same numbers as the Seed 002 workflow called in-process with the same defaults (what the lab's view
 * runs): answers, scores, detection per layer and per prompt, ablation set-up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createEngine } from '../../src/engine/core/runtime/engine';
import { createLexicalJudge } from '../../src/engine/clients/eval/lexicalJudge';
import { scripture } from '../../src/engine/clients/eval/packs/scripture';
import { DEMO_DETECTION_PROMPTS, runSeed002 } from '../../src/engine/clients/eval/seed002';
import { importVectorJson } from '../../src/engine/clients/io/vectorJson';
import { writeDemoRepo } from '../fixtures/demoModel';

const BIN = new URL('../../bin/steer-lab', import.meta.url).pathname;
const ORGANISM = new URL('../../assets/demo-organism/', import.meta.url).pathname;
const run = async (...args: string[]) => {
  const r = await promisify(execFile)(BIN, args, { maxBuffer: 64 << 20 }).catch((e: { stdout: string; code: number }) => ({ stdout: e.stdout, code: e.code }));
  return { json: JSON.parse(r.stdout.trim().split('\n').pop()!), code: 'code' in r ? r.code : 0 };
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steer-cli-seed002-'));
  await writeDemoRepo(dir, { layout: 'builder', attention: 'gqa', dtype: 'q4' });
});
afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

describe('steer-lab seed002', () => {
  it('gives the numbers of the workflow on the demo organism, and writes the direction', async () => {
    const out = join(dir, 'direction.json');
    const cli = await run('seed002', dir, '--adapter', ORGANISM, '--dtype', 'q4', '--seeds', '1', '--out', out, '--json');
    expect(cli.code).toBe(0);

    const engine = createEngine();
    await engine.load({ kind: 'path', path: dir }, {
      device: 'wasm', dtype: 'q4',
      adapter: { name: 'demo-organism', config: await readFile(join(ORGANISM, 'adapter_config.json'), 'utf8'), weights: new Uint8Array(await readFile(join(ORGANISM, 'adapter_model.safetensors'))) },
    });
    const r = await runSeed002(engine, { questions: scripture.evaluationQuestions, detectionPrompts: DEMO_DETECTION_PROMPTS, judge: createLexicalJudge(scripture.markers!), seeds: [1] });
    await engine.dispose();

    expect(cli.json.summary).toEqual(r.summary);
    expect(cli.json.answers).toEqual(r.answers);
    expect(cli.json.detection).toEqual(JSON.parse(JSON.stringify(r.detection)));
    expect(cli.json.ablation).toEqual({ layers: [3], strength: 1.5, randomSeed: 100 });
    expect(cli.json.measure).toBe('trait');
    expect(cli.json.model).toBe(dir); // the model alone, though the CLI hands the workflow a strength view
    expect(cli.json.summary.fineTuned.mean).toBeGreaterThan(cli.json.summary.base.mean);
    const written = importVectorJson(await readFile(out, 'utf8'));
    expect(Array.from(written.vectors)).toEqual(Array.from(r.direction.vectors));
  }, 300_000);

  it('refuses without --adapter, and with --adapter-strength, saying what to do', async () => {
    const a = await run('seed002', dir, '--json');
    expect(a.code).toBe(1);
    expect(a.json.error.message).toMatch(/needs --adapter DIR/);
    const b = await run('seed002', dir, '--adapter', ORGANISM, '--adapter-strength', '0.5', '--json');
    expect(b.json.error.message).toMatch(/leave out --adapter-strength/);
    const c = await run('seed002', dir, '--adapter', ORGANISM, '--seeds', '1,', '--json');
    expect(c.json.error.message).toMatch(/--seeds must be comma-separated integers/);
    const d = await run('seed002', dir, '--adapter', ORGANISM, '--layers', '4', '--json');
    expect(d.json.error.message).toBe('Ablation layer 4 is out of range 0..3.');
  }, 120_000);
});
