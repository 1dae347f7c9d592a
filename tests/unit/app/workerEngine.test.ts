/**
 * Protocol tests: workers/handler.ts on one end of a real MessageChannel, src/app/workerEngine.ts on the
 * other. The engine behind the handler is a tiny deterministic stand-in: these tests are about ids,
 * cancellation, stale events, error mapping and progress rules, not about any model.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallOptions, Engine, GenerateRequest, GenerateResult, ModelInfo, ProgressEvent, TokenEvent } from '../../../src/engine/shared/api';
import { EngineError } from '../../../src/engine/shared/errors';
import { createHandler } from '../../../workers/handler';
import { CancelFlags, markCancelled, type WorkerRequest, type WorkerResponse } from '../../../workers/protocol';
import { createWorkerEngine, type PortLike } from '../../../src/app/workerEngine';

const INFO: ModelInfo = {
  id: 'stub', layout: 'decomposed', architecture: 'stub', numLayers: 2, hiddenSize: 4, vocabSize: 10, maxPositions: 64,
  dtype: 'fp32', bodyDtype: 'float32', device: 'wasm', deviceReason: 'stub', taps: [], hasChatTemplate: false, eosTokenIds: [],
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Deterministic stand-in: token t of row r is 10*r+t; checks the signal between steps like the real loop must. */
function stubEngine(log: string[]): Engine {
  let loaded = false;
  return {
    info: () => (loaded ? INFO : null),
    async load(source, _o, call?: CallOptions) {
      if (source.kind === 'hub' && source.id === 'missing') throw new EngineError('load-failed', 'no such model');
      // Deliberately unruly: a regression and no final done; the handler must fix both.
      for (const loadedBytes of [0, 50, 30, 80]) { call?.onProgress?.({ stage: 'download', loaded: loadedBytes, total: 100, done: false }); await sleep(1); }
      loaded = true;
      return INFO;
    },
    async generate(req: GenerateRequest, call?: CallOptions): Promise<GenerateResult> {
      if (req.maxNewTokens < 0) throw new EngineError('bad-input', 'maxNewTokens must be >= 0');
      if (req.rows[0]?.prompt === 'boom') throw new Error('kaboom');
      const tokens = req.rows.map(() => [] as number[]);
      for (let step = 0; step < req.maxNewTokens; step++) {
        await sleep(3);
        if (call?.signal?.aborted) { log.push(`aborted ${String(req.rows[0].prompt)} at ${step}`); throw new DOMException('aborted', 'AbortError'); }
        req.rows.forEach((_, row) => {
          tokens[row].push(10 * row + step);
          call?.onToken?.({ row, step, token: 10 * row + step, text: tokens[row].join(' '), projection: step * 0.5 });
        });
      }
      const data = new Float32Array([1, 2, 3, 4]);
      return { tokens, text: tokens.map((t) => t.join(' ')), promptLengths: req.rows.map(() => 1), padLeft: req.rows.map(() => 0), captures: { 'blocks.0.hook_resid_post': { shape: [1, 1, 4], data } }, prefixReused: false };
    },
    async tokenize(prompt) { return { ids: [...String(prompt)].map((c) => c.charCodeAt(0)) }; },
    async dispose() { loaded = false; },
  };
}

const asPort = (p: MessagePort) => p as unknown as PortLike;
let ports: MessagePort[] = [];
afterEach(() => { ports.forEach((p) => p.close()); ports = []; });

function setup() {
  const log: string[] = [];
  const seen: WorkerResponse[] = [];
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  const handle = createHandler(stubEngine(log), (msg, transfer) => { seen.push(msg); port2.postMessage(msg, transfer); });
  port2.on('message', handle);
  const engine = createWorkerEngine(asPort(port1));
  return { engine, log, seen };
}

const gen = (prompt: string, maxNewTokens = 5): GenerateRequest => ({ rows: [{ prompt }, { prompt }], maxNewTokens });

describe('worker protocol', () => {
  it('round-trips load, generate, tokenize and dispose with the same results as the engine', async () => {
    const { engine } = setup();
    expect(engine.info()).toBeNull();
    expect(await engine.load({ kind: 'hub', id: 'x' })).toEqual(INFO);
    expect(engine.info()).toEqual(INFO);
    const tokens: TokenEvent[] = [];
    const r = await engine.generate(gen('hi', 3), { onToken: (e) => tokens.push(e) });
    expect(r.tokens).toEqual([[0, 1, 2], [10, 11, 12]]);
    expect(r.captures['blocks.0.hook_resid_post'].data).toBeInstanceOf(Float32Array);
    expect([...r.captures['blocks.0.hook_resid_post'].data]).toEqual([1, 2, 3, 4]);
    expect(tokens).toHaveLength(6);
    expect(tokens.filter((t) => t.row === 1).map((t) => t.step)).toEqual([0, 1, 2]);
    expect(await engine.tokenize('ab')).toEqual({ ids: [97, 98] });
    await engine.dispose();
    expect(engine.info()).toBeNull();
    expect(engine.pendingCount()).toBe(0);
  });

  it('maps errors to EngineError with the closed set of codes', async () => {
    const { engine } = setup();
    await expect(engine.load({ kind: 'hub', id: 'missing' })).rejects.toMatchObject({ code: 'load-failed', message: 'no such model' });
    await expect(engine.generate({ rows: [{ prompt: 'a' }], maxNewTokens: -1 })).rejects.toMatchObject({ code: 'bad-input' });
    const e = await engine.generate(gen('boom')).catch((x) => x);
    expect(e).toBeInstanceOf(EngineError);
    // An unknown error reaches the user in words; the raw text is kept as the detail behind a disclosure.
    expect(e).toMatchObject({ code: 'internal', detail: 'kaboom', message: expect.stringMatching(/went wrong/) });
  });

  it('two generates do not cancel each other: the worker cancels nothing on its own (the scheduler decides)', async () => {
    const { engine, log, seen } = setup();
    const firstTokens: TokenEvent[] = [];
    const first = engine.generate(gen('first', 6), { onToken: (e) => firstTokens.push(e) });
    await sleep(5);
    const second = engine.generate(gen('second', 3));
    expect((await first).tokens[0]).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await second).tokens[0]).toEqual([0, 1, 2]);
    expect(firstTokens).toHaveLength(12);
    expect(log).toEqual([]);
    expect(seen.filter((m) => m.type === 'error')).toEqual([]);
    expect(engine.pendingCount()).toBe(0);
  });

  it('a cancelled generate sends no events after the cancel and the worker aborts it', async () => {
    const { engine, log, seen } = setup();
    const ctl = new AbortController();
    const tokens: TokenEvent[] = [];
    const p = engine.generate(gen('first', 50), { signal: ctl.signal, onToken: (e) => tokens.push(e) });
    await sleep(15);
    ctl.abort();
    await expect(p).rejects.toMatchObject({ code: 'cancelled' });
    const countAtCancel = tokens.length;
    await sleep(20);
    expect(tokens.length).toBe(countAtCancel);
    expect(log.some((l) => l.startsWith('aborted first'))).toBe(true);
    expect(seen.filter((m) => m.type === 'error').map((m) => m.type === 'error' && m.error.code)).toEqual(['cancelled']);
  });

  it('an AbortSignal cancels at once and stops the engine', async () => {
    const { engine, log } = setup();
    const ctl = new AbortController();
    const p = engine.generate(gen('sig', 50), { signal: ctl.signal });
    await sleep(10);
    ctl.abort();
    await expect(p).rejects.toMatchObject({ code: 'cancelled' });
    await sleep(20);
    expect(log.some((l) => l.startsWith('aborted sig'))).toBe(true);
    const pre = new AbortController(); pre.abort();
    await expect(engine.generate(gen('never'), { signal: pre.signal })).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('progress is monotonic per stage and ends with done', async () => {
    const { engine } = setup();
    const events: ProgressEvent[] = [];
    await engine.load({ kind: 'hub', id: 'x' }, {}, { onProgress: (e) => events.push(e) });
    expect(events.map((e) => e.loaded)).toEqual([0, 50, 50, 80, 100]);
    expect(events.at(-1)).toMatchObject({ done: true, loaded: 100, total: 100 });
  });

  it('rejects malformed messages with bad-input and ignores stale ids on the client', async () => {
    const seen: WorkerResponse[] = [];
    const handle = createHandler(stubEngine([]), (m) => seen.push(m));
    handle({ type: 'explode', id: 7 });
    handle('nonsense');
    expect(seen).toEqual([
      { type: 'error', id: 7, error: { code: 'bad-input', message: expect.any(String) } },
      { type: 'error', id: -1, error: { code: 'bad-input', message: expect.any(String) } },
    ]);
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const engine = createWorkerEngine(asPort(port1));
    port2.postMessage({ type: 'token', id: 999, event: { row: 0, step: 0, token: 1, text: 'x' } });
    port2.postMessage({ type: 'result', id: 998, op: 'load', value: INFO });
    await sleep(10);
    expect(engine.info()).toBeNull();
  });

  it('a crashed worker rejects every pending request', async () => {
    let fire: (e: unknown) => void = () => {};
    const port: PortLike = {
      postMessage() {},
      addEventListener(type: string, l: (e: never) => void) { if (type === 'error') fire = l as (e: unknown) => void; },
    };
    const engine = createWorkerEngine(port);
    const p = engine.tokenize('x');
    fire({ message: 'worker script failed to load' });
    await expect(p).rejects.toMatchObject({ code: 'internal', message: 'worker script failed to load' });
  });

  it('shared cancel flags stop a generation that never yields to the event loop (wasm decode steps do not)', async () => {
    // The engine below awaits only microtasks, like a wasm session.run: a cancel message could not be
    // handled until it ends. The client's writes to shared memory are seen between tokens instead.
    const flags = new Int32Array(new SharedArrayBuffer(4 * CancelFlags.length));
    const seen: WorkerResponse[] = [];
    const steps: number[] = [];
    let atStep = (step: number) => { if (step === 3) { markCancelled(flags, 2); markCancelled(flags, 3); } }; // the client cancelled 2, and 3 before sending it
    const busy: Engine = {
      ...stubEngine([]),
      async generate(req, call) {
        for (let step = 0; step < req.maxNewTokens; step++) {
          await Promise.resolve();
          if (call?.signal?.aborted) throw new EngineError('cancelled', 'stopped');
          steps.push(step);
          call?.onToken?.({ row: 0, step, token: step, text: String(step) });
          atStep(step);
        }
        return { tokens: [], text: [], promptLengths: [], padLeft: [], captures: {}, prefixReused: false };
      },
    };
    const handle = createHandler(busy, (m) => seen.push(m));
    handle({ type: 'attach', id: 1, flags: flags.buffer as SharedArrayBuffer } satisfies WorkerRequest);
    handle({ type: 'generate', id: 2, request: gen('busy', 50) } satisfies WorkerRequest);
    await vi.waitFor(() => expect(seen.some((m) => m.type === 'error' || m.type === 'result')).toBe(true));
    expect(steps).toEqual([0, 1, 2, 3, 4]); // token 4 is where the handler saw the flag; step 5 never ran
    expect(seen.filter((m) => m.type === 'token')).toHaveLength(4);
    expect(seen.at(-1)).toMatchObject({ type: 'error', id: 2, error: { code: 'cancelled' } });

    // A generate that is already cancelled when the worker reads its message does not start at all.
    steps.length = 0;
    handle({ type: 'generate', id: 3, request: gen('stale', 50) } satisfies WorkerRequest);
    await vi.waitFor(() => expect(seen.at(-1)).toMatchObject({ type: 'error', id: 3, error: { code: 'cancelled' } }));
    expect(steps).toEqual([]);

    // The Stop button: the client cancels the running generate by id.
    atStep = (step) => { if (step === 1) markCancelled(flags, 100); };
    handle({ type: 'generate', id: 100, request: gen('stopped', 50) } satisfies WorkerRequest);
    await vi.waitFor(() => expect(seen.at(-1)).toMatchObject({ type: 'error', id: 100, error: { code: 'cancelled' } }));
    expect(steps).toEqual([0, 1, 2]);
  });
});
