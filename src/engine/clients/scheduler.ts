/**
 * The one place that decides which engine call runs, which waits and which is cancelled. The app and the CLI
 * put every engine call through it; the engine (and the worker around it) then only ever sees one call at a
 * time and never cancels anything on its own.
 *
 * Owners and their rules:
 *  - `steer` (interactive steering): latest wins within the owner — a new call cancels its previous one,
 *    waiting or running — and calls are debounced, so a dragged slider starts one generation, not forty.
 *    Highest priority: between two calls of a job, a waiting steer call goes first.
 *  - `job` (experiment views): a job is a sequence of calls. Jobs run one after another (FIFO) and only
 *    their own controls pause, resume or cancel them; no other owner's call cancels a job's call.
 *  - `import` (model loads): queued like jobs (a load waits for the running job, which was started on the
 *    old model); latest wins among loads, and a load ends the interactive run (its output would be the old
 *    model's).
 * Pure TypeScript over the Engine interface: no onnxruntime, no DOM.
 */
import type { CallOptions, Engine, GenerateRequest, GenerateResult, LoadOptions, ModelInfo, ModelSource } from '../shared/api';
import { EngineError } from '../shared/errors';

export type OwnerKind = 'steer' | 'job' | 'import';
/** Who asks: the kind decides the rules, the label is what the UI shows ("waiting for Sweeps"). */
export interface Owner { kind: OwnerKind; label: string }

/** Lower runs first when several calls wait. */
export const PRIORITY: Record<OwnerKind, number> = { steer: 0, job: 1, import: 1 };
export const DEFAULT_DEBOUNCE_MS = 60;

export type CallKind = 'generate' | 'load';
export interface CallView { id: number; owner: Owner; what: CallKind }
export interface SessionView { id: number; owner: Owner; status: 'queued' | 'active' | 'paused' }
/** What runs and what waits, as the UI shows it. A new object on every change. */
export interface SchedulerState { running: CallView | null; waiting: CallView[]; sessions: SessionView[] }

/** A job or a load: holds the exclusive slot from when it starts until its work settles. */
export interface JobHandle<T> {
  id: number;
  result: Promise<T>;
  /** The job's next call waits until resume; the call already running finishes. */
  pause(): void;
  resume(): void;
  cancel(): void;
}

export interface Scheduler {
  /** Interactive steering's generate: debounced, and the latest call of `label`'s owner wins. */
  steer(request: GenerateRequest, call?: CallOptions, label?: string): Promise<GenerateResult>;
  /** Queues a job; `work` starts once every earlier job or load has ended, with an Engine whose calls are the job's. */
  job<T>(label: string, work: (engine: Engine, signal: AbortSignal) => Promise<T>): JobHandle<T>;
  /** Queues a model load (owner kind `import`); a newer load cancels it. */
  load(source: ModelSource, options?: LoadOptions, call?: CallOptions, label?: string): JobHandle<ModelInfo>;
  /** Cancels the interactive run (the Stop button). */
  stopSteer(): void;
  state(): SchedulerState;
  subscribe(listener: () => void): () => void;
  /** The engine underneath (info, tokenize: neither runs the model). */
  readonly engine: Engine;
}

interface Session { id: number; owner: Owner; ctl: AbortController; paused: boolean; started: boolean; start: () => void }
interface Call {
  id: number;
  owner: Owner;
  what: CallKind;
  session: Session | null;
  readyAt: number;
  ctl: AbortController;
  run: (signal: AbortSignal) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

const cancelled = (why: string) => new EngineError('cancelled', why);

export interface SchedulerOptions {
  debounceMs?: number;
  /** The clock (ms), replaceable in tests. */
  now?: () => number;
}

export function createScheduler(engine: Engine, options: SchedulerOptions = {}): Scheduler {
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  const now = options.now ?? (() => Date.now());
  let nextId = 1;
  let waiting: Call[] = [];
  let running: Call | null = null;
  let sessions: Session[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  const listeners = new Set<() => void>();
  let snapshot: SchedulerState = { running: null, waiting: [], sessions: [] };

  const view = (c: Call): CallView => ({ id: c.id, owner: c.owner, what: c.what });
  function changed(): void {
    snapshot = {
      running: running ? view(running) : null,
      waiting: [...waiting].sort(order).map(view),
      sessions: sessions.map((s) => ({ id: s.id, owner: s.owner, status: !s.started ? 'queued' : s.paused ? 'paused' : 'active' })),
    };
    for (const l of [...listeners]) l();
  }
  const order = (a: Call, b: Call) => PRIORITY[a.owner.kind] - PRIORITY[b.owner.kind] || a.id - b.id;

  /** The only way a call ends early: removed if waiting, aborted if running. */
  function cancelCall(c: Call, why: string): void {
    if (waiting.includes(c)) {
      waiting = waiting.filter((x) => x !== c);
      c.reject(cancelled(why));
      changed();
      pump();
    } else if (running === c) {
      // The caller hears at once; the slot stays taken until the engine has actually stopped.
      c.ctl.abort();
      c.reject(cancelled(why));
    }
  }

  function eligible(c: Call, t: number): boolean {
    if (c.readyAt > t) return false;
    if (c.session) return c.session.started && !c.session.paused;
    // Interactive calls wait while a model loads: they would run on a model that is being replaced.
    return !sessions.some((s) => s.started && s.owner.kind === 'import');
  }

  function pump(): void {
    if (running) return;
    const t = now();
    const next = [...waiting].sort(order).find((c) => eligible(c, t));
    if (!next) {
      const soonest = Math.min(...waiting.filter((c) => c.readyAt > t).map((c) => c.readyAt));
      if (Number.isFinite(soonest) && !timer) timer = setTimeout(() => { timer = null; pump(); }, soonest - t);
      return;
    }
    waiting = waiting.filter((c) => c !== next);
    running = next;
    changed();
    // Through a promise even if the engine throws synchronously: the slot must be freed whatever happens.
    void Promise.resolve().then(() => next.run(next.ctl.signal)).then(next.resolve, next.reject).finally(() => {
      running = null;
      changed();
      pump();
    });
  }

  function enqueue<T>(owner: Owner, what: CallKind, session: Session | null, run: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal, delay = 0): { call: Call | null; promise: Promise<T> } {
    if (signal?.aborted || session?.ctl.signal.aborted) return { call: null, promise: Promise.reject(cancelled('The request was cancelled before it started.')) };
    let resolve!: (v: T) => void, reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
    const c: Call = { id: nextId++, owner, what, session, readyAt: now() + delay, ctl: new AbortController(), run, resolve: resolve as (v: unknown) => void, reject };
    const onAbort = () => cancelCall(c, 'The request was cancelled.');
    signal?.addEventListener('abort', onAbort, { once: true });
    session?.ctl.signal.addEventListener('abort', onAbort, { once: true });
    const detach = () => { signal?.removeEventListener('abort', onAbort); session?.ctl.signal.removeEventListener('abort', onAbort); };
    c.resolve = (v) => { detach(); resolve(v as T); };
    c.reject = (e) => { detach(); reject(e); };
    waiting.push(c);
    changed();
    pump();
    return { call: c, promise };
  }

  /** Starts the first queued session once no earlier one is left. */
  function startSessions(): void {
    const head = sessions[0];
    if (head && !head.started) {
      head.started = true;
      head.start();
      changed();
    }
  }

  function queueSession<T>(owner: Owner, work: (s: Session) => Promise<T>): JobHandle<T> {
    let start!: () => void;
    const gate = new Promise<void>((r) => (start = r));
    const s: Session = { id: nextId++, owner, ctl: new AbortController(), paused: false, started: false, start };
    const end = () => {
      sessions = sessions.filter((x) => x !== s);
      changed();
      startSessions();
      pump();
    };
    const abortWait = new Promise<never>((_, reject) => s.ctl.signal.addEventListener('abort', () => reject(cancelled('The job was cancelled.')), { once: true }));
    abortWait.catch(() => undefined);
    // A job cancelled while queued ends at once; once started, its own calls see the signal.
    const result = Promise.race([gate, abortWait]).then(() => work(s)).then(
      (v) => { if (s.ctl.signal.aborted) throw cancelled('The job was cancelled.'); return v; },
    ).finally(end);
    sessions.push(s);
    changed();
    startSessions();
    return {
      id: s.id,
      result,
      pause: () => { s.paused = true; changed(); },
      resume: () => { s.paused = false; changed(); pump(); },
      cancel: () => s.ctl.abort(),
    };
  }

  const withSignal = (call: CallOptions | undefined, signal: AbortSignal): CallOptions => ({ ...call, signal });

  /** The Engine a job sees: its model calls go through the queue as the job's. */
  function sessionEngine(s: Session): Engine {
    return {
      info: () => engine.info(),
      tokenize: (prompt, opts) => engine.tokenize(prompt, opts),
      generate: (req, call) => enqueue(s.owner, 'generate', s, (signal) => engine.generate(req, withSignal(call, signal)), call?.signal).promise,
      load: (source, opts, call) => enqueue(s.owner, 'load', s, (signal) => engine.load(source, opts, withSignal(call, signal)), call?.signal).promise,
      dispose: () => Promise.reject(new EngineError('bad-input', 'A job cannot dispose of the engine; it is shared.')),
    };
  }

  /** The current interactive call per label: latest wins. */
  const steering = new Map<string, Call>();
  function steerCall(request: GenerateRequest, call: CallOptions | undefined, label: string): Promise<GenerateResult> {
    const prev = steering.get(label);
    if (prev) cancelCall(prev, 'Superseded by a newer steering request.');
    const { call: mine, promise } = enqueue({ kind: 'steer', label }, 'generate', null, (signal) => engine.generate(request, withSignal(call, signal)), call?.signal, debounceMs);
    if (mine) steering.set(label, mine);
    return promise.finally(() => { if (steering.get(label) === mine) steering.delete(label); });
  }

  return {
    engine,
    steer: (request, call, label = 'Steer') => steerCall(request, call, label),
    job: (label, work) => queueSession({ kind: 'job', label }, (s) => work(sessionEngine(s), s.ctl.signal)),
    load(source, opts, call, label = 'Model load') {
      for (const s of sessions) if (s.owner.kind === 'import') s.ctl.abort();
      for (const c of [...steering.values()]) cancelCall(c, 'A model load ended the interactive run.');
      return queueSession({ kind: 'import', label }, (s) => sessionEngine(s).load(source, opts, call));
    },
    stopSteer: () => { for (const c of [...steering.values()]) cancelCall(c, 'Stopped.'); },
    state: () => snapshot,
    subscribe(l) { listeners.add(l); return () => { listeners.delete(l); }; },
  };
}

/** What a call of `label`'s owner waits for right now (the owner running instead of it), or null. */
export function waitingFor(state: SchedulerState, label: string): string | null {
  const session = state.sessions.find((s) => s.owner.label === label);
  if (session?.status === 'queued') return state.sessions.find((s) => s.status !== 'queued')?.owner.label ?? null;
  if (!state.waiting.some((c) => c.owner.label === label)) return null;
  if (state.running && state.running.owner.label !== label) return state.running.owner.label;
  const importing = state.sessions.find((s) => s.status !== 'queued' && s.owner.kind === 'import' && s.owner.label !== label);
  return importing?.owner.label ?? null;
}
