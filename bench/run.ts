/**
 * `npm run bench [-- --json] [-- --only NAME[,NAME]] [-- --quick]`
 *
 * Engine benchmarks in Node on onnxruntime-web's wasm backend. Every figure is a ratio of two
 * variants measured side by side in this run (interleaved repetitions, medians), so it means the
 * same on a fast or a slow machine; absolute numbers are printed alongside for context.
 * Synthetic models are generated on first use into .cache/bench/ (gitignored) and reused.
 */
import './ortGlobal'; // FIRST: transformers.js must see the engine's onnxruntime-web (see the file)
import { cpus, loadavg } from 'node:os';
import { undoCdnWasmPaths, ortWeb } from './ortGlobal';
import { CACHE_DIR } from './models';
import {
  FULL, QUICK, batchedSweep, collectSpeedup, decodeContext, loraOverhead, disposeTransformersJs, sliderRestart, sliderSteeredOnly, steerOverhead, tapReadback, ttftVsTransformersJs, vsTransformersJs,
  type Opts, type Scale,
} from './decode';
import { runInstrument1b } from './instrument1b';
import { check, median, round, type BenchResult, type Clock } from './harness';

const NAMES = ['steer-overhead', 'vs-transformers-js', 'ttft-vs-transformers-js', 'batched-sweep', 'slider-restart', 'slider-steered-only', 'tap-readback', 'collect-speedup', 'instrument-1b', 'lora-overhead'] as const;
type Name = (typeof NAMES)[number];

function parseArgs(argv: string[]): { json: boolean; only: Name[]; scale: Scale; clock: Clock | 'auto' } {
  let json = false;
  let clock: Clock | 'auto' = 'auto';
  let only: Name[] = [...NAMES];
  let scale = FULL;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--quick') scale = QUICK;
    else if (a === '--clock' || a.startsWith('--clock=')) {
      const v = a.includes('=') ? a.slice(8) : argv[++i];
      if (v !== 'wall' && v !== 'cpu' && v !== 'auto') throw new Error(`--clock takes wall, cpu or auto; got "${v ?? ''}"`);
      clock = v;
    }
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a.includes('=') ? a.slice(7) : argv[++i];
      const names = (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const bad = names.filter((n) => !NAMES.includes(n as Name));
      if (!names.length || bad.length) throw new Error(`--only takes one or more of ${NAMES.join(', ')} (comma-separated); got "${v ?? ''}"`);
      only = names as Name[];
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(`usage: npm run bench -- [--json] [--only NAME[,NAME]] [--quick] [--clock auto|wall|cpu]\nbenchmarks: ${NAMES.join(', ')}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument "${a}" (try --help)`);
  }
  return { json, only, scale, clock };
}

const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

async function instrument1b(clock: Clock): Promise<BenchResult> {
  const r = runInstrument1b(CACHE_DIR, log, 3);
  const seconds = median(clock === 'cpu' ? r.cpuSeconds : r.seconds);
  const memRatio = Math.max(...r.peakExtraBytes) / r.fileBytes;
  const target = '<= 0.1';
  const secondsTarget = '<= 0.5';
  const okMem = check(memRatio, target);
  const okTime = check(seconds, secondsTarget);
  return {
    name: 'instrument-1b', ratio: round(memRatio), target, pass: okMem && okTime,
    summary: `${(r.fileBytes / 1e9).toFixed(2)} GB q4f16: ${seconds.toFixed(2)} s ${clock} (target ${secondsTarget} s${okTime ? '' : ': FAIL'}), peak extra memory ${(memRatio).toFixed(2)}x file size`,
    seconds: round(seconds), clock, secondsTarget, secondsPass: okTime, memoryPass: okMem,
    perRunSeconds: { wall: r.seconds.map((x) => round(x)), cpu: r.cpuSeconds.map((x) => round(x)) }, perRunPeakExtraBytes: r.peakExtraBytes,
    fileBytes: r.fileBytes, heldAfterBytes: r.heldAfterBytes, memoryMethod: r.method, inPlace: r.inPlace,
    model: 'structure-only Llama-3.2-1B (16 layers, hidden 2048, 32/8 heads, intermediate 8192, vocab 128256), decomposed layout, q4f16, one file, random packed weights',
  };
}

function table(results: BenchResult[]): string {
  const rows = results.map((r) => [r.name, String(r.ratio), r.target, r.pass ? 'PASS' : 'FAIL', r.summary]);
  const head = ['benchmark', 'ratio', 'target', 'result', 'measured'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(w[i]))).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const { json, only, scale, clock: clockArg } = parseArgs(process.argv.slice(2));
  undoCdnWasmPaths();
  const t0 = performance.now();
  const load0 = loadavg();
  // Wall clock unless the machine is oversubscribed, where CPU time is the meaningful figure (harness.ts).
  const clock: Clock = clockArg === 'auto' ? (load0[0] > cpus().length ? 'cpu' : 'wall') : clockArg;
  if (clockArg === 'auto' && clock === 'cpu') log(`load average ${load0[0].toFixed(1)} > ${cpus().length} CPUs: ratios read from CPU time (both clocks are in --json)`);
  const opts: Opts = { scale, clock };
  const results: BenchResult[] = [];
  const needsDecode = only.some((n) => n !== 'instrument-1b');
  const c = needsDecode ? await decodeContext(log) : null;
  for (const name of only) {
    log(`${name}…`);
    const t = performance.now();
    let r: BenchResult;
    try {
      if (name === 'steer-overhead') r = await steerOverhead(c!, opts);
      else if (name === 'tap-readback') r = await tapReadback(c!, opts);
      else if (name === 'batched-sweep') r = await batchedSweep(c!, opts);
      else if (name === 'slider-restart') r = await sliderRestart(c!, opts);
      else if (name === 'slider-steered-only') r = await sliderSteeredOnly(c!, opts);
      else if (name === 'vs-transformers-js') r = await vsTransformersJs(c!, opts, log);
      else if (name === 'ttft-vs-transformers-js') r = await ttftVsTransformersJs(c!, opts, log);
      else if (name === 'collect-speedup') r = await collectSpeedup(c!, opts);
      else if (name === 'lora-overhead') r = await loraOverhead(c!, opts);
      else r = await instrument1b(clock);
    } catch (e) {
      r = { name, ratio: NaN, target: '', pass: false, summary: `ERROR: ${(e as Error).message}`, error: String((e as Error).stack ?? e) };
    }
    r.seconds_wall = round((performance.now() - t) / 1000, 1);
    log(`${name}: ${r.ratio} (${r.target}) ${r.pass ? 'PASS' : 'FAIL'} — ${r.summary} [${r.seconds_wall} s]`);
    results.push(r);
  }
  await disposeTransformersJs();
  const environment = {
    node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, onnxruntimeWeb: ortWeb.env.versions.web,
    backend: 'wasm', threads: ortWeb.env.wasm.numThreads, loadavgStart: load0.map((x) => round(x, 2)), loadavgEnd: loadavg().map((x) => round(x, 2)),
    decodeModel: c ? { config: c.model.cfg, bytes: c.model.bytes.length, dir: c.model.dir, builtThisRun: c.model.built } : undefined,
    scale, clock, totalSeconds: round((performance.now() - t0) / 1000, 1),
  };
  if (json) process.stdout.write(`${JSON.stringify({ results, environment })}\n`);
  else {
    process.stdout.write(`${table(results)}\n\n`);
    process.stdout.write(`node ${environment.node}, ${environment.cpus} CPUs, onnxruntime-web ${environment.onnxruntimeWeb} wasm x${environment.threads} thread(s); load average ${environment.loadavgStart.join('/')} -> ${environment.loadavgEnd.join('/')}; ${environment.totalSeconds} s\n`);
    process.stdout.write(`decode ratios read from the ${clock} clock${clock === 'cpu' ? ' (machine oversubscribed: wall-clock ratios are in --json)' : ''}.\n`);
  }
  process.exitCode = results.every((r) => r.pass) ? 0 : 1;
  // onnxruntime-web keeps no handles open, but make sure a stuck worker cannot hold the process.
  setTimeout(() => process.exit(process.exitCode), 100).unref();
}

main().catch((e) => {
  log(String((e as Error).stack ?? e));
  process.exit(2);
});
