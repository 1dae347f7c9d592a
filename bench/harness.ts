/**
 * Timing helpers shared by the benchmarks: one generation through the engine's own loop with
 * per-token timestamps, interleaved repetitions and medians.
 */
import { PrefixCache, runLoop } from '../src/engine/core/runtime/generate';
import type { Decoder } from '../src/engine/core/runtime/decoder';
import { argmax } from '../src/engine/core/runtime/sampling';
import type { ResolvedSpec } from '../src/engine/shared/steering';
import type { TapName } from '../src/engine/shared/api';

export interface BenchResult {
  name: string;
  /** The benchmark's figure (see `target`). */
  ratio: number;
  /** e.g. ">= 0.97"; instrument-1b adds a seconds target in `details`. */
  target: string;
  pass: boolean;
  /** One line for the table. */
  summary: string;
  [detail: string]: unknown;
}

export const median = (xs: number[]): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

export const check = (value: number, target: string): boolean => {
  const [op, num] = target.split(' ');
  return op === '>=' ? value >= Number(num) : value <= Number(num);
};

/**
 * Runs `reps` rounds of the named variants, alternating their order every round (A B, B A, …) so slow
 * drift of the machine's load hits every variant alike. Returns each variant's samples in run order.
 */
export async function interleave<T>(reps: number, variants: Record<string, () => Promise<T>>): Promise<Record<string, T[]>> {
  const names = Object.keys(variants);
  const out: Record<string, T[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const n of order) out[n].push(await variants[n]());
  }
  return out;
}

/**
 * Which clock a figure is read from. `wall`: performance.now(). `cpu`: this process's CPU time
 * (process.cpuUsage, user + system); onnxruntime-web runs on the main thread here (1 wasm thread), so
 * on an idle machine the two agree, and on a shared, oversubscribed one CPU time still measures the
 * work while wall time mostly measures the other processes.
 */
export type Clock = 'wall' | 'cpu';
export interface Stamp { wall: number; cpu: number }
export const stamp = (): Stamp => {
  const u = process.cpuUsage();
  return { wall: performance.now(), cpu: (u.user + u.system) / 1000 };
};
export const since = (a: Stamp, b: Stamp = stamp()): Stamp => ({ wall: b.wall - a.wall, cpu: b.cpu - a.cpu });

export interface GenStats {
  tokens: number[][];
  /** Durations between consecutive generated tokens (decode steps), ms, on each clock. */
  steps: Stamp[];
  /** From the call to the first generated token (prefill), ms. */
  firstToken: Stamp;
  total: Stamp;
  prefixReused: boolean;
  captures: Record<string, { shape: number[]; data: Float32Array }>;
  /** Drafted tokens the run kept (`GenRequest.drafts`). */
  draftAccepted: number;
}

export interface GenRequest {
  ids: number[][];
  steering?: ResolvedSpec[][];
  maxNewTokens: number;
  taps?: TapName[];
  /** Taps to accumulate over the whole run (as activation collection does); also fetched. */
  captures?: TapName[];
  /** Per row, tokens to check in the prompt pass (LoopRequest.drafts). */
  drafts?: number[][];
}

/** One generation with the engine's loop (greedy, no EOS stop), timing every token. */
export async function generate(dec: Decoder, cache: PrefixCache, req: GenRequest): Promise<GenStats> {
  const times: Stamp[] = [];
  const t0 = stamp();
  const r = await runLoop(dec, cache, {
    ids: req.ids,
    steering: req.steering ?? req.ids.map(() => []),
    maxNewTokens: req.maxNewTokens,
    pick: (_row, logits) => argmax(logits),
    eos: new Set(),
    padId: 0,
    stopAtEos: false,
    taps: [...new Set([...(req.taps ?? []), ...(req.captures ?? [])])],
    captures: req.captures ?? [],
    drafts: req.drafts,
    onToken: (row) => { if (row === 0) times.push(stamp()); },
  });
  return { tokens: r.tokens, ...timing(t0, times), prefixReused: r.prefixReused, captures: r.captures, draftAccepted: r.draftAccepted };
}

/** Step durations and time to first token from the stamps taken at each generated token. */
export function timing(t0: Stamp, times: Stamp[]): { steps: Stamp[]; firstToken: Stamp; total: Stamp } {
  return { steps: times.slice(1).map((t, i) => since(times[i], t)), firstToken: since(t0, times[0]), total: since(t0) };
}

/** Decode tokens/s of a set of runs: 1000 / median step time over all their decode steps. */
export const decodeRate = (runs: { steps: Stamp[] }[], clock: Clock): number => 1000 / median(runs.flatMap((r) => r.steps.map((s) => s[clock])));
/** Each run's own decode tokens/s (steps ÷ their total time), for the details. */
export const perRunRates = (runs: { steps: Stamp[] }[], clock: Clock): number[] =>
  runs.map((r) => round((1000 * r.steps.length) / r.steps.reduce((a, s) => a + s[clock], 0), 3));

export { PrefixCache };

/** A deterministic prompt of `n` token ids in [lo, hi). */
export function promptIds(n: number, seed: number, lo = 100, hi = 30000): number[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => lo + Math.floor(rand() * (hi - lo)));
}

/** A deterministic unit vector of length `d`. */
export function unitVector(d: number, seed: number): Float32Array {
  const ids = promptIds(d, seed, 0, 1 << 20);
  const v = Float32Array.from(ids, (x) => x / (1 << 19) - 1);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
