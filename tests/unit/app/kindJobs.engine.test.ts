/**
 * The slot helpers' jobs on the real engine with a tiny fixture model (wasm): they queue through the lab's
 * scheduler as jobs, build each line as generation would (the lab's system prompt, the chat template), and
 * return projections equal to ones computed here by hand from a plain capture of the same prompts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureEngine, type FixtureEngine } from '../../helpers/fixtureEngine';
import { getScheduler, initActions } from '../../../src/app/actions';
import { projectionsJob, promptLines, rocJob } from '../../../src/app/kindJobs';
import { setLab } from '../../../src/app/store';
import type { ChatMessage } from '../../../src/engine/shared/api';
import { inProcessCompute } from '../../../src/engine/clients/vectors/compute';

const SYSTEM = 'Answer briefly.';
const LAYER = 1;

describe('cap and condition helper jobs', () => {
  let fx: FixtureEngine;
  let dir: Float32Array;

  beforeAll(async () => {
    fx = await fixtureEngine();
    initActions(fx.engine, inProcessCompute);
    const info = fx.engine.info()!;
    setLab({ info, systemPrompt: SYSTEM, modelStatus: 'ready' });
    dir = Float32Array.from({ length: info.hiddenSize }, (_, i) => Math.sin(i + 1));
  });
  afterAll(async () => { await fx?.close(); });

  /** Per prompt, every token's h·û at LAYER, from one capture of the prompts as the test writes them. */
  async function byHand(lines: string[]): Promise<number[][]> {
    const chat = fx.engine.info()!.hasChatTemplate;
    const prompts = lines.map((l): string | ChatMessage[] => (chat ? [{ role: 'system', content: SYSTEM }, { role: 'user', content: l }] : `${SYSTEM}\n\n${l}`));
    const tap = `blocks.${LAYER}.hook_resid_post` as const;
    const res = await fx.engine.generate({ rows: prompts.map((prompt) => ({ prompt })), maxNewTokens: 0, captures: [tap] });
    const [, S, D] = res.captures[tap].shape;
    const norm = Math.hypot(...dir);
    return lines.map((_, r) => Array.from({ length: res.promptLengths[r] }, (_, k) => {
      const p = res.padLeft[r] + k;
      let s = 0;
      for (let d = 0; d < D; d++) s += res.captures[tap].data[(r * S + p) * D + d] * dir[d];
      return s / norm;
    }));
  }

  it('projectionsJob runs as a scheduler job and gives every prompt token\'s projection', async () => {
    const labels: string[] = [];
    const off = getScheduler().subscribe(() => { for (const s of getScheduler().state().sessions) labels.push(s.owner.label); });
    const lines = ['Tell me about the sea.', 'Hi'];
    const set = await projectionsJob('Cap threshold', lines, LAYER, dir);
    off();
    expect(labels).toContain('Cap threshold');
    const hand = await byHand(lines);
    expect(set.tokens.length).toBe(hand.flat().length);
    set.tokens.forEach((x, i) => expect(x).toBeCloseTo(hand.flat()[i], 5));
  });

  it('rocJob pools each set, and its area is the share of (fire, quiet) pairs ordered right, counted by hand', async () => {
    const fire = ['The sea is wide and deep.', 'Boats sail on it.'];
    const quiet = ['Hi', 'Numbers: 1 2 3 4 5', 'Why?'];
    const r = await rocJob(fire, quiet, LAYER, dir, 'last');
    const last = async (ls: string[]) => (await byHand(ls)).map((row) => row[row.length - 1]);
    const [p, n] = [await last(fire), await last(quiet)];
    r.fire.forEach((x, i) => expect(x).toBeCloseTo(p[i], 5));
    r.quiet.forEach((x, i) => expect(x).toBeCloseTo(n[i], 5));
    let pairs = 0;
    for (const a of r.fire) for (const b of r.quiet) pairs += a > b ? 1 : a === b ? 0.5 : 0;
    expect(r.auc).toBeCloseTo(pairs / (fire.length * quiet.length), 12);
  });

  it('says what is missing: no prompt in a set, or no model', async () => {
    expect(() => promptLines(' \n\n ', 'Fires on')).toThrow('Fires on: give at least one prompt, one per line.');
    expect(promptLines(' a \n\nb', 'x')).toEqual(['a', 'b']);
    setLab({ info: null });
    await expect(projectionsJob('Cap threshold', ['a'], LAYER, dir)).rejects.toThrow('Load a model first.');
    setLab({ info: fx.engine.info() });
  });
});
