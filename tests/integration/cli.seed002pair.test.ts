/**
 * `steer-lab seed002 PATH --model-b PATH2`, spawned as a user would: base = the demo model, fine-tuned = the demo
 * organism merged into its weights (tests/fixtures/demoOrganism.ts), both fp32. Its numbers are those of the same
 * organism as an adapter on the base (`--adapter`), the independent route; mixing both flags is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeDemoRepo } from '../fixtures/demoModel';
import { ORGANISM_DIR, writeMergedOrganismRepo } from '../fixtures/demoOrganism';

const BIN = new URL('../../bin/steer-lab', import.meta.url).pathname;
const run = async (...args: string[]) => {
  const r = await promisify(execFile)(BIN, args, { maxBuffer: 64 << 20 }).catch((e: { stdout: string; stderr: string; code: number }) => ({ stdout: e.stdout, stderr: e.stderr, code: e.code }));
  return { out: r.stdout, err: 'stderr' in r ? r.stderr : '', code: 'code' in r ? r.code : 0 };
};

let a: string;
let b: string;
beforeAll(async () => {
  a = await mkdtemp(join(tmpdir(), 'steer-cli-pair-a-'));
  b = await mkdtemp(join(tmpdir(), 'steer-cli-pair-b-'));
  const cfg = { layout: 'builder' as const, attention: 'gqa' as const, dtype: 'fp32' as const };
  await writeDemoRepo(a, cfg);
  await writeMergedOrganismRepo(b, cfg);
});
afterAll(async () => { for (const d of [a, b]) if (d) await rm(d, { recursive: true, force: true }); });

describe('steer-lab seed002 --model-b', () => {
  it('gives the numbers of the adapter route from two checkpoints', async () => {
    const [pair, adapter] = await Promise.all([
      run('seed002', a, '--model-b', b, '--dtype', 'fp32', '--seeds', '1', '--json'),
      run('seed002', a, '--adapter', ORGANISM_DIR, '--dtype', 'fp32', '--seeds', '1', '--json'),
    ]);
    expect([pair.code, adapter.code]).toEqual([0, 0]);
    const p = JSON.parse(pair.out.trim().split('\n').pop()!);
    const s = JSON.parse(adapter.out.trim().split('\n').pop()!);
    expect(p.tunedModel).toBe(b);
    expect(p.adapter).toBeNull();
    expect(p.answers).toEqual(s.answers);
    expect(p.summary).toEqual(s.summary);
    p.detection.layers.forEach((l: { scoreAuroc: number; separation: number }, i: number) => {
      expect(l.scoreAuroc).toBeCloseTo(s.detection.layers[i].scoreAuroc, 6);
      expect(Math.abs(l.separation - s.detection.layers[i].separation) / s.detection.layers[i].separation).toBeLessThan(1e-3);
    });
  }, 300_000);

  it('refuses --model-b with --adapter, saying to choose one', async () => {
    const r = await run('seed002', a, '--model-b', b, '--adapter', ORGANISM_DIR, '--json');
    expect(r.code).toBe(1);
    expect(r.out + r.err).toMatch(/--adapter DIR or from --model-b PATH .*not both/);
  });
});
