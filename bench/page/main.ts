/**
 * The browser side of `npm run bench:browser`: fetches the synthetic model served by bench/browser.ts,
 * instruments it with the engine, opens the instrumented and the original graph on WebGPU (when an
 * adapter exists, else wasm) and measures decode tokens/s of both with the engine's generation loop
 * (interleaved repetitions, median step time). Results go to window.__bench and POST /result.
 */
import { instrument, type InstrumentedModel } from '../../src/engine/core/onnx/instrument';
import { createDecoder, deviceInstrumentOptions, type Decoder } from '../../src/engine/core/runtime/decoder';
import { PrefixCache, runLoop } from '../../src/engine/core/runtime/generate';
import { configureRuntime } from '../../src/engine/core/runtime/ort';
import { argmax } from '../../src/engine/core/runtime/sampling';
import { resolveSpec, type ResolvedSpec } from '../../src/engine/shared/steering';
import type { Device } from '../../src/engine/shared/api';

interface PageConfig { numLayers: number; hiddenSize: number; vocabSize: number; device: 'auto' | Device; reps: number; newTokens: number; threads: number }

const status = (s: string) => {
  console.log(`[page] ${s}`);
  const el = document.getElementById('log');
  if (el) el.textContent += `${s}\n`;
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function pickDevice(want: PageConfig['device']): Promise<{ device: Device; adapter: string; why: string }> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ features: Set<string>; info?: Record<string, string> } | null> } }).gpu;
  if (want === 'wasm') return { device: 'wasm', adapter: 'none', why: 'asked for wasm' };
  const adapter = gpu ? await gpu.requestAdapter() : null;
  if (!adapter) {
    if (want === 'webgpu') throw new Error('no WebGPU adapter (start Chromium with --enable-unsafe-webgpu)');
    return { device: 'wasm', adapter: 'none', why: gpu ? 'requestAdapter() returned null' : 'navigator.gpu is missing' };
  }
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ') || 'unknown adapter';
  return { device: 'webgpu', adapter: `${name}; shader-f16: ${adapter.features.has('shader-f16')}`, why: 'WebGPU adapter found (the model is q4 with a float32 body: no shader-f16 needed)' };
}

async function generate(dec: Decoder, ids: number[][], steering: ResolvedSpec[][], n: number): Promise<number[]> {
  const t: number[] = [];
  await runLoop(dec, new PrefixCache(), {
    ids, steering, maxNewTokens: n, pick: (_r, l) => argmax(l), eos: new Set(), padId: 0, stopAtEos: false, taps: [],
    onToken: (row) => { if (row === 0) t.push(performance.now()); },
  });
  return t.slice(1).map((x, i) => x - t[i]);
}

async function main(): Promise<void> {
  const cfg = (await (await fetch('/bench-config.json')).json()) as PageConfig;
  const { device, adapter, why } = await pickDevice(cfg.device);
  status(`device ${device} (${why}); adapter: ${adapter}; crossOriginIsolated ${self.crossOriginIsolated}`);
  configureRuntime({ wasmPaths: '/ort/', numThreads: cfg.threads });
  const bytes = new Uint8Array(await (await fetch('/model.onnx')).arrayBuffer());
  const t0 = performance.now();
  const inst = instrument(bytes, { numLayers: cfg.numLayers, hiddenSize: cfg.hiddenSize, ...deviceInstrumentOptions(device) });
  const instrumentMs = performance.now() - t0;
  status(`model ${(bytes.length / 1e6).toFixed(1)} MB, instrumented in ${instrumentMs.toFixed(0)} ms`);
  const instrumented = await createDecoder(inst, { device, externalData: [], vocabSize: cfg.vocabSize });
  const plain: InstrumentedModel = { ...inst, bytes, steer: [], taps: [], logitsPositions: undefined };
  const original = await createDecoder(plain, { device, externalData: [], vocabSize: cfg.vocabSize });
  const layer = cfg.numLayers >> 1;
  const v = Array.from({ length: cfg.hiddenSize }, (_, i) => Math.sin(i * 12.9898) * 0.5);
  const spec = resolveSpec({ layer, vector: v, coeff: 4, positions: 'response' }, cfg);
  const ids = [Array.from({ length: 16 }, (_, i) => 100 + ((i * 7919) % (cfg.vocabSize - 200)))];
  status('warming up…');
  await generate(original, ids, [[]], 3);
  await generate(instrumented, ids, [[spec]], 3);
  const steps: Record<'original' | 'steered', number[]> = { original: [], steered: [] };
  for (let r = 0; r < cfg.reps; r++) {
    const order: ('original' | 'steered')[] = r % 2 ? ['steered', 'original'] : ['original', 'steered'];
    for (const k of order) {
      const s = k === 'original' ? await generate(original, ids, [[]], cfg.newTokens) : await generate(instrumented, ids, [[spec]], cfg.newTokens);
      steps[k].push(...s);
      status(`rep ${r + 1}/${cfg.reps} ${k}: ${(1000 / median(s)).toFixed(2)} tok/s`);
    }
  }
  // A coefficient sweep: 6 steered rows one after another, then as one batch (the way the lab runs sweeps).
  const coeffs = [-6, -3, -1, 1, 3, 6];
  const sweepSpecs = coeffs.map((c) => [resolveSpec({ layer, vector: v, coeff: c, positions: 'all' }, cfg)]);
  const sweepTokens = Math.max(4, cfg.newTokens >> 1);
  const sweep = { sequentialMs: [] as number[], batchedMs: [] as number[] };
  for (let r = 0; r < cfg.reps; r++) {
    let t = performance.now();
    for (const s of sweepSpecs) await generate(instrumented, ids, [s], sweepTokens);
    sweep.sequentialMs.push(performance.now() - t);
    t = performance.now();
    await generate(instrumented, coeffs.map(() => ids[0]), sweepSpecs, sweepTokens);
    sweep.batchedMs.push(performance.now() - t);
    status(`rep ${r + 1}/${cfg.reps} sweep of ${coeffs.length}: one by one ${sweep.sequentialMs[r].toFixed(0)} ms, one batch ${sweep.batchedMs[r].toFixed(0)} ms`);
  }
  const originalTokPerSec = 1000 / median(steps.original);
  const steeredTokPerSec = 1000 / median(steps.steered);
  const result = {
    device, adapter, why, threads: cfg.threads, crossOriginIsolated: self.crossOriginIsolated, userAgent: navigator.userAgent,
    modelBytes: bytes.length, instrumentMs: Math.round(instrumentMs), reps: cfg.reps, newTokens: cfg.newTokens,
    originalTokPerSec: Number(originalTokPerSec.toFixed(3)), steeredTokPerSec: Number(steeredTokPerSec.toFixed(3)),
    ratio: Number((steeredTokPerSec / originalTokPerSec).toFixed(4)),
    sweepRows: coeffs.length, sweepTokens,
    sweepSequentialMs: Math.round(median(sweep.sequentialMs)), sweepBatchedMs: Math.round(median(sweep.batchedMs)),
    batchedSweepRatio: Number((median(sweep.sequentialMs) / median(sweep.batchedMs)).toFixed(3)),
  };
  await instrumented.release();
  await original.release();
  status(`done: original ${result.originalTokPerSec} tok/s, instrumented + 1 vector ${result.steeredTokPerSec} tok/s`);
  (window as unknown as { __bench: unknown }).__bench = result;
  await fetch('/result', { method: 'POST', body: JSON.stringify(result) });
}

main().catch(async (e) => {
  const error = String((e as Error)?.stack ?? e);
  status(`ERROR ${error}`);
  (window as unknown as { __bench: unknown }).__bench = { error };
  await fetch('/result', { method: 'POST', body: JSON.stringify({ error }) });
});
