/**
 * instrument-1b: instrumenting the structure-only Llama-3.2-1B q4f16 file (bench/llama1b.ts).
 *
 * Measured in a child process (`node --expose-gc --import tsx bench/instrument1b.ts --child FILE`) so
 * the parent's heap and buffers do not blur the memory figure:
 *   1. the file is read as the engine reads it (`readNodeFile`: one `modelBuffer` with room after the
 *      bytes; not timed), the heap is collected, the baseline RSS taken;
 *   2. the kernel's peak-RSS counter is reset (`echo 5 > /proc/self/clear_refs`, Linux) and a worker
 *      thread samples RSS every millisecond (the instrumentation itself is one synchronous call);
 *   3. `instrument(bytes, { inPlace: true, ...deviceInstrumentOptions('wasm') })` (what the engine calls
 *      for a wasm session: the lm_head is split too) is timed (wall clock,
 *      performance.now) and the peak RSS above the baseline is the extra memory: max(VmHWM after the
 *      call, the sampled maximum) − baseline RSS.
 * Extra memory ÷ file size should be about 0: the graph is edited where it lies (a few renamed bytes
 * and a fragment written into the room after the file), so nothing model-sized is allocated. Three runs, each in a fresh child (a freed 1.2 GB buffer is
 * returned to the OS lazily, which would blur a second run in the same process): median time,
 * maximum memory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { LLAMA_1B, ensureLlama1b } from './llama1b';
import { deviceInstrumentOptions } from '../src/engine/core/runtime/decoder';

export interface Instrument1bResult {
  fileBytes: number;
  seconds: number[];
  /** Process CPU time (user + system) of the same calls. */
  cpuSeconds: number[];
  peakExtraBytes: number[];
  heldAfterBytes: number;
  method: string;
  inPlace: boolean;
  hwmAvailable: boolean;
}

const readHwm = (): number | null => {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
};
const resetHwm = (): boolean => {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
};

/** Samples process RSS every ms into shared memory until told to stop. */
const SAMPLER = `
const { workerData } = require('node:worker_threads');
const shared = new Float64Array(workerData);
const tick = () => {
  if (shared[1] === 1) return;
  const r = process.memoryUsage.rss();
  if (r > shared[0]) shared[0] = r;
  setTimeout(tick, 1);
};
tick();
`;

async function child(file: string): Promise<void> {
  const { instrument } = await import('../src/engine/core/onnx/instrument');
  const { readNodeFile } = await import('../src/engine/core/runtime/modelFiles');
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const bytes = (await readNodeFile(file))!;
  const sab = new SharedArrayBuffer(16);
  const shared = new Float64Array(sab);
  const worker = new Worker(SAMPLER, { eval: true, workerData: sab });
  await new Promise((r) => setTimeout(r, 50));
  const opts = { numLayers: LLAMA_1B.numLayers, hiddenSize: LLAMA_1B.hiddenSize, inPlace: true, ...deviceInstrumentOptions('wasm') };
  gc();
  await new Promise((r) => setTimeout(r, 20));
  const base = process.memoryUsage();
  const hwmAvailable = resetHwm() && readHwm() !== null;
  shared[0] = process.memoryUsage.rss();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = instrument(bytes, opts);
  const t1 = performance.now();
  const c1 = process.cpuUsage(c0);
  await new Promise((r) => setTimeout(r, 5));
  const hwm = hwmAvailable ? readHwm()! : 0;
  const seconds = [(t1 - t0) / 1000];
  const cpuSeconds = [(c1.user + c1.system) / 1e6];
  const peaks = [Math.max(hwm, shared[0]) - base.rss];
  const held = process.memoryUsage().arrayBuffers - base.arrayBuffers;
  if (out.bytes.length <= bytes.length) throw new Error('instrumented model is not larger than the original');
  if (out.bytes.buffer !== bytes.buffer) throw new Error('the model was copied instead of instrumented in place');
  shared[1] = 1;
  await worker.terminate();
  const method = hwmAvailable
    ? 'child process (--expose-gc); file read and GC before timing; extra = max(kernel peak RSS VmHWM after resetting it via /proc/self/clear_refs, 1 ms RSS samples from a worker) - RSS before the call'
    : 'child process (--expose-gc); file read and GC before timing; extra = max RSS sampled every 1 ms by a worker thread - RSS before the call';
  const result: Instrument1bResult = { fileBytes: bytes.length, seconds, cpuSeconds, peakExtraBytes: peaks, heldAfterBytes: held, method, hwmAvailable, inPlace: out.bytes.buffer === bytes.buffer };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Parent side: ensures the model file, runs the child, parses its result. */
export function runInstrument1b(cacheDir: string, log: (s: string) => void, runs = 3): Instrument1bResult & { writeSeconds: number; path: string } {
  const w = ensureLlama1b(join(cacheDir, 'llama-3.2-1b-structure-q4f16.onnx'), log);
  const all: Instrument1bResult[] = [];
  for (let k = 0; k < runs; k++) {
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', new URL(import.meta.url).pathname, '--child', w.path], {
      encoding: 'utf8', maxBuffer: 1 << 20, cwd: process.cwd(),
    });
    if (r.status !== 0) throw new Error(`instrument-1b child failed (${r.status}): ${r.stderr.slice(-2000)}`);
    all.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as Instrument1bResult);
  }
  return {
    ...all[0],
    seconds: all.flatMap((a) => a.seconds),
    cpuSeconds: all.flatMap((a) => a.cpuSeconds),
    peakExtraBytes: all.flatMap((a) => a.peakExtraBytes),
    heldAfterBytes: Math.max(...all.map((a) => a.heldAfterBytes)),
    writeSeconds: w.seconds,
    path: w.path,
  };
}

const argv = process.argv;
const i = argv.indexOf('--child');
if (i >= 0 && existsSync(argv[i + 1] ?? '')) {
  child(argv[i + 1]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
