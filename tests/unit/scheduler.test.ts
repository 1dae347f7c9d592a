/**
 * The scheduler's rules: ordering, latest-wins for steering only, debounce, jobs queued and never cancelled by
 * another owner, pause/resume/cancel by their own controls, loads. The first block drives a small recording
 * engine whose calls end when the test says so (ordering is the subject); the last one runs the real engine on
 * a fixture model and checks a job's and a steer call's results against the same requests run directly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallOptions, Engine, GenerateRequest, GenerateResult, ModelInfo } from '../../src/engine/shared/api';
import { EngineError } from '../../src/engine/shared/errors';
import { createScheduler, waitingFor, type Scheduler } from '../../src/engine/clients/scheduler';
import { fixtureEngine, type FixtureEngine } from '../helpers/fixtureEngine';

const INFO = { id: 'rec' } as ModelInfo;
const tick = () => new Promise((r) => setTimeout(r, 0));
const code = (e: unknown) => (e instanceof EngineError ? e.code : String(e));

interface Pending { name: string; signal?: AbortSignal; finish: () => void }

/** Every generate/load waits until the test finishes it (or its signal aborts); the log says what started and how it ended. */
function recordingEngine() {
  const log: string[] = [];
  const open: Pending[] = [];
  const wait = (name: string, call?: CallOptions) => new Promise<void>((resolve, reject) => {
    log.push(`start ${name}`);
    const p: Pending = { name, signal: call?.signal, finish: () => { open.splice(open.indexOf(p), 1); log.push(`end ${name}`); resolve(); } };
    open.push(p);
    call?.signal?.addEventListener('abort', () => { open.splice(open.indexOf(p), 1); log.push(`abort ${name}`); reject(new EngineError('cancelled', 'aborted')); }, { once: true });
  });
  const engine: Engine = {
    info: () => INFO,
    async load(source, _o, call) { await wait(`load ${source.kind === 'hub' ? source.id : '?'}`, call); return INFO; },
    async generate(req: GenerateRequest, call?: CallOptions): Promise<GenerateResult> {
      const name = String(req.rows[0].prompt);
      await wait(name, call);
      return { tokens: [[1]], text: [name], promptLengths: [1], padLeft: [0], captures: {}, prefixReused: false };
    },
    tokenize: async () => ({ ids: [1] }),
    dispose: async () => undefined,
  };
  /** Finishes the one running call (there is never more than one), after checking its name. */
  const finish = async (name: string) => {
    await tick();
    expect(open.map((p) => p.name)).toEqual([name]);
    open[0].finish();
    await tick();
  };
  return { engine, log, open, finish };
}

const gen = (prompt: string): GenerateRequest => ({ rows: [{ prompt }], maxNewTokens: 1 });

describe('scheduler rules (recording engine)', () => {
  function setup(debounceMs = 0) {
    const r = recordingEngine();
    return { ...r, s: createScheduler(r.engine, { debounceMs }) };
  }

  it('runs one call at a time; a steer call goes before the job\'s next call but never cancels the job', async () => {
    const { s, log, finish } = setup();
    const job = s.job('Sweeps', async (e) => {
      const out: string[] = [];
      for (const q of ['sweep1', 'sweep2', 'sweep3']) out.push((await e.generate(gen(q))).text[0]);
      return out;
    });
    await finish('sweep1');
    // While sweep2 runs, the Steer tab generates: it waits, visibly, and runs before sweep3.
    const steer = s.steer(gen('steer'));
    await tick();
    expect(waitingFor(s.state(), 'Steer')).toBe('Sweeps');
    await finish('sweep2');
    await finish('steer');
    await finish('sweep3');
    expect(await job.result).toEqual(['sweep1', 'sweep2', 'sweep3']);
    expect((await steer).text).toEqual(['steer']);
    expect(log).toEqual(['start sweep1', 'end sweep1', 'start sweep2', 'end sweep2', 'start steer', 'end steer', 'start sweep3', 'end sweep3']);
    expect(s.state()).toEqual({ running: null, waiting: [], sessions: [] });
  });

  it('latest steer call wins: the running one is aborted, a waiting one never starts', async () => {
    const { s, log, finish } = setup();
    const a = s.steer(gen('a'));
    await tick();
    const b = s.steer(gen('b'));
    const c = s.steer(gen('c'));
    await expect(a).rejects.toSatisfy((e) => code(e) === 'cancelled');
    await expect(b).rejects.toSatisfy((e) => code(e) === 'cancelled');
    await finish('c');
    expect((await c).text).toEqual(['c']);
    expect(log).toEqual(['start a', 'abort a', 'start c', 'end c']);
  });

  it('debounces steer calls: a burst inside the window starts one generation, the last', async () => {
    const { s, log, finish } = setup(30);
    const calls = ['m1', 'm2', 'm3', 'm4'].map((m) => s.steer(gen(m)).catch(code));
    await new Promise((r) => setTimeout(r, 50));
    await finish('m4');
    expect(await Promise.all(calls)).toEqual(['cancelled', 'cancelled', 'cancelled', expect.objectContaining({ text: ['m4'] })]);
    expect(log).toEqual(['start m4', 'end m4']);
  });

  it('jobs queue in order; the second waits visibly for the first and neither cancels the other', async () => {
    const { s, log, finish } = setup();
    const one = s.job('Sweeps', async (e) => (await e.generate(gen('one'))).text[0]);
    const two = s.job('Trait pipeline', async (e) => (await e.generate(gen('two'))).text[0]);
    await tick();
    expect(s.state().sessions.map((x) => [x.owner.label, x.status])).toEqual([['Sweeps', 'active'], ['Trait pipeline', 'queued']]);
    expect(waitingFor(s.state(), 'Trait pipeline')).toBe('Sweeps');
    await finish('one');
    await finish('two');
    expect([await one.result, await two.result]).toEqual(['one', 'two']);
    expect(log).toEqual(['start one', 'end one', 'start two', 'end two']);
  });

  it('a paused job starts no call until resumed, and lets other owners run meanwhile', async () => {
    const { s, log, finish } = setup();
    const job = s.job('Sweeps', async (e) => { await e.generate(gen('j1')); await e.generate(gen('j2')); return 'ok'; });
    await tick();
    job.pause();
    await finish('j1');
    expect(s.state().sessions[0].status).toBe('paused');
    const steer = s.steer(gen('steer'));
    await finish('steer');
    await steer;
    await tick();
    expect(log).toEqual(['start j1', 'end j1', 'start steer', 'end steer']);
    job.resume();
    await finish('j2');
    expect(await job.result).toBe('ok');
  });

  it('a job is cancelled by its own control only: the running call aborts, the job rejects, the next job starts', async () => {
    const { s, log, finish } = setup();
    const one = s.job('Sweeps', async (e) => { await e.generate(gen('one')); return 'never'; });
    const two = s.job('Projections', async (e) => (await e.generate(gen('two'))).text[0]);
    await tick();
    one.cancel();
    await expect(one.result).rejects.toSatisfy((e) => code(e) === 'cancelled');
    await finish('two');
    expect(await two.result).toBe('two');
    expect(log).toEqual(['start one', 'abort one', 'start two', 'end two']);
    // Cancelled while still queued: its work never starts.
    const three = s.job('A', async (e) => (await e.generate(gen('three'))).text[0]);
    let ran = false;
    const four = s.job('B', async () => { ran = true; });
    four.cancel();
    await expect(four.result).rejects.toSatisfy((e) => code(e) === 'cancelled');
    await finish('three');
    expect(await three.result).toBe('three');
    expect(ran).toBe(false);
  });

  it('a load waits for the running job, ends the interactive run, and a newer load replaces it', async () => {
    const { s, log, finish } = setup();
    const job = s.job('Sweeps', async (e) => (await e.generate(gen('sweep'))).text[0]);
    await tick();
    const steer = s.steer(gen('steer')).catch(code);
    const first = s.load({ kind: 'hub', id: 'm1' });
    expect(await steer).toBe('cancelled');
    const second = s.load({ kind: 'hub', id: 'm2' });
    await expect(first.result).rejects.toSatisfy((e) => code(e) === 'cancelled');
    expect(waitingFor(s.state(), 'Model load')).toBe('Sweeps');
    // A steer call made while the load waits or runs waits for it (it would run on the old model).
    await finish('sweep');
    expect(await job.result).toBe('sweep');
    const after = s.steer(gen('after'));
    await tick();
    expect(waitingFor(s.state(), 'Steer')).toBe('Model load');
    await finish('load m2');
    expect(await second.result).toBe(INFO);
    await finish('after');
    await after;
    expect(log).toEqual(['start sweep', 'end sweep', 'start load m2', 'end load m2', 'start after', 'end after']);
  });

  it('a caller\'s AbortSignal cancels only its own call; stopSteer stops the interactive run', async () => {
    const { s, log, finish } = setup();
    const ctl = new AbortController();
    const job = s.job('Sweeps', async (e) => (await e.generate(gen('j'))).text[0]);
    await tick();
    const waitingSteer = s.steer(gen('w'), { signal: ctl.signal });
    ctl.abort();
    await expect(waitingSteer).rejects.toSatisfy((e) => code(e) === 'cancelled');
    await finish('j');
    await job.result;
    const st = s.steer(gen('stop-me'));
    await tick();
    s.stopSteer();
    await expect(st).rejects.toSatisfy((e) => code(e) === 'cancelled');
    expect(log).toEqual(['start j', 'end j', 'start stop-me', 'abort stop-me']);
  });

  it('an engine that throws at once fails only that call; the next one runs', async () => {
    const r = recordingEngine();
    let first = true;
    const engine: Engine = { ...r.engine, generate: (req, call) => { if (first) { first = false; throw new EngineError('bad-input', 'no'); } return r.engine.generate(req, call); } };
    const s = createScheduler(engine, { debounceMs: 0 });
    await expect(s.steer(gen('bad'))).rejects.toSatisfy((e) => code(e) === 'bad-input');
    const ok = s.steer(gen('ok'));
    await r.finish('ok');
    expect((await ok).text).toEqual(['ok']);
  });

  it('state changes are announced and a job\'s engine cannot dispose of the shared one', async () => {
    const { s, finish } = setup();
    let n = 0;
    const off = s.subscribe(() => n++);
    const job = s.job('X', async (e) => { await e.generate(gen('x')); return e.dispose().catch(code); });
    await finish('x');
    expect(await job.result).toBe('bad-input');
    expect(n).toBeGreaterThan(2);
    off();
  });
});

describe('scheduler over the real engine (fixture model)', () => {
  let fx: FixtureEngine;
  let s: Scheduler;
  beforeAll(async () => { fx = await fixtureEngine({ family: 'llama', layout: 'decomposed', dtype: 'fp32' }); s = createScheduler(fx.engine, { debounceMs: 5 }); });
  afterAll(async () => { await fx?.close(); });

  it('a job\'s generations and a steer call between them give the same tokens as the same requests run directly', async () => {
    const reqs = [1, 2, 3].map((k): GenerateRequest => ({ rows: [{ prompt: `hello ${k}` }, { prompt: `sea ${k}` }], maxNewTokens: 6 }));
    const steerReq: GenerateRequest = { rows: [{ prompt: 'the steer tab' }], maxNewTokens: 8, sampling: { temperature: 0.8, seed: 3 } };
    const direct = [];
    for (const r of reqs) direct.push((await fx.engine.generate(r)).tokens);
    const directSteer = (await fx.engine.generate(steerReq)).tokens;
    let steer: Promise<GenerateResult> | null = null;
    const job = s.job('Sweeps', async (e) => {
      const out = [];
      for (const [i, r] of reqs.entries()) {
        out.push((await e.generate(r, { onToken: () => { if (i === 0 && !steer) steer = s.steer(steerReq); } })).tokens);
      }
      return out;
    });
    expect(await job.result).toEqual(direct);
    expect(steer).not.toBeNull();
    expect((await steer!).tokens).toEqual(directSteer);
  });
});
