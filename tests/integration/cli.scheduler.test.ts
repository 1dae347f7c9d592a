/**
 * The CLI's engine calls go through the lab's scheduler (src/cli/args.ts withEngine): the model load is the
 * scheduler's `load`, the command's work one `job` that starts after it, and Ctrl-C (SIGINT) cancels what runs as
 * the lab's Cancel does: the job's signal aborts, its next engine call ends 'cancelled', and nothing more runs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFixtureRepo } from '../fixtures/hubRepo';
import { fixtureConfig } from '../fixtures/weights';
import { withEngine } from '../../src/cli/args';
import { extraCommands } from '../../src/cli/commands';

describe('CLI commands through the scheduler', () => {
  let dir: string;
  let model: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steer-lab-cli-sched-'));
    model = join(dir, 'model');
    await writeFixtureRepo(fixtureConfig({ family: 'llama', maxPositions: 1024 }), model);
  });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('runs the work as a job after the load; Ctrl-C cancels it at its next engine call, and nothing runs after', async () => {
    let calls = 0;
    let settledAfterCancel = 0;
    let interrupted = false;
    const work = withEngine(model, {}, async (engine, signal) => {
      expect(engine.info()?.numLayers).toBeGreaterThan(0); // the load ended before the job started
      for (let i = 0; i < 500; i++) {
        if (i === 2) { interrupted = true; process.emit('SIGINT'); }
        await engine.generate({ rows: [{ prompt: `question ${i}` }], maxNewTokens: 4 });
        calls++;
        if (interrupted) settledAfterCancel++;
      }
      return signal.aborted;
    });
    await expect(work).rejects.toMatchObject({ code: 'cancelled' });
    expect(calls).toBe(2);
    expect(settledAfterCancel).toBe(0);
    expect(process.listenerCount('SIGINT')).toBe(0); // the session leaves no handler behind
  });

  it('a command (detect) interrupted while its model loads ends "cancelled"; uninterrupted it gives its table', async () => {
    const a = join(dir, 'a.txt');
    const b = join(dir, 'b.txt');
    await writeFile(a, 'The sea is wide.\nBoats float.\nWaves crash.\n');
    await writeFile(b, 'Bread is baked.\nOvens are hot.\nFlour is white.\n');
    const v = { 'set-a': a, 'set-b': b, json: true };
    const interrupted = extraCommands.detect.run(model, v);
    // The prompt files are read first; Ctrl-C once the session is listening (the load has been queued).
    const t0 = Date.now();
    while (process.listenerCount('SIGINT') === 0) {
      if (Date.now() - t0 > 10_000) throw new Error('detect never listened for Ctrl-C: its engine session is not the scheduler\'s');
      await new Promise((r) => setImmediate(r));
    }
    process.emit('SIGINT');
    await expect(interrupted).rejects.toMatchObject({ code: 'cancelled' });
    const done = await extraCommands.detect.run(model, v) as { layers: { probeAuroc: number }[] };
    expect(done.layers).toHaveLength(fixtureConfig({ family: 'llama' }).numLayers);
    for (const l of done.layers) expect(l.probeAuroc).toBeGreaterThanOrEqual(0);
  });
});
