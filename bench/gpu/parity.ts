/**
 * The device-parity requests (tests/e2e/parityCases.ts, the same as the Chromium harness) run through the
 * real engine on WebGPU and on wasm in this process, each compared with the other and with the float64
 * reference forward pass. fp16 is added where the adapter has shader-f16 (measured, not judged: its bar is
 * the fp16 tolerance, not fp32's).
 */
import { createEngine } from '../../src/engine/core/runtime/engine';
import type { Device } from '../../src/engine/shared/api';
import { buildFixture } from '../../tests/fixtures/hubRepo';
import { effectiveWeights } from '../../tests/fixtures/reference';
import type { FixtureDtype } from '../../tests/fixtures/spec';
import { fixtureConfig } from '../../tests/fixtures/weights';
import type { CaseOutput, RunResult } from '../../tests/e2e/enginePage';
import { runJsonRequests } from '../../tests/e2e/engine-page/runRequests';
import { measureParity, PARITY_REPOS, parityRequests } from '../../tests/e2e/parityCases';

export interface FixtureParity {
  fixture: string;
  dtype: FixtureDtype;
  devices: string[];
  sameTokens: boolean;
  /** Worst over requests, rows and taps (L2-relative). */
  webgpuVsWasm: number;
  vsReference: number;
  projections: number;
  seconds: { webgpu: number; wasm: number };
}

const hasF16 = (): Promise<boolean> =>
  (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<{ features: Set<string> } | null> } } }).navigator?.gpu?.requestAdapter()
    .then((a) => !!a?.features.has('shader-f16')) ?? Promise.resolve(false);

export async function runParity(log: (m: string) => void): Promise<{ fixtures: FixtureParity[]; worst: { webgpuVsWasm: number; vsReference: number }; allSameTokens: boolean }> {
  const f16 = await hasF16();
  const out: FixtureParity[] = [];
  for (const [id, { extra, ...spec }] of Object.entries(PARITY_REPOS)) {
    const dtypes: FixtureDtype[] = ['fp32', ...(extra ?? []), ...(f16 ? ['fp16' as const] : [])];
    const repo = buildFixture(fixtureConfig(spec), { extraDtypes: dtypes.slice(1) });
    for (const dtype of dtypes) {
      const cfg = fixtureConfig({ ...spec, dtype });
      const weights = effectiveWeights(cfg, repo.rawWeights);
      const reqs = parityRequests(cfg.hiddenSize, cfg.numLayers);
      const run = async (device: Device) => {
        const t0 = performance.now();
        const r = await runJsonRequests(createEngine(), { kind: 'files', name: id, files: repo.files }, { dtype, device }, reqs) as CaseOutput;
        if ('error' in r) throw new Error(`${id} ${dtype} on ${device}: ${r.error.code}: ${r.error.message}`);
        return { r, seconds: (performance.now() - t0) / 1000 };
      };
      const g = await run('webgpu');
      const w = await run('wasm');
      const row: FixtureParity = {
        fixture: id, dtype, devices: [g.r.info.device, w.r.info.device], sameTokens: true, webgpuVsWasm: 0, vsReference: 0, projections: 0,
        seconds: { webgpu: +g.seconds.toFixed(1), wasm: +w.seconds.toFixed(1) },
      };
      reqs.forEach((req, q) => {
        const a = g.r.results[q], b = w.r.results[q];
        if ('error' in a || 'error' in b) throw new Error(`${id} ${dtype} request ${q}: ${'error' in a ? `webgpu ${a.error.message}` : ''} ${'error' in b ? `wasm ${b.error.message}` : ''}`);
        const m = measureParity(cfg, weights, req, a as RunResult, b as RunResult);
        row.sameTokens &&= m.sameTokens;
        row.webgpuVsWasm = Math.max(row.webgpuVsWasm, m.worstDev);
        row.vsReference = Math.max(row.vsReference, m.worstRef);
        row.projections = Math.max(row.projections, m.worstProjection);
      });
      log(`  ${id} ${dtype} [${row.devices.join(', ')}]: same tokens ${row.sameTokens}, webgpu~wasm ${row.webgpuVsWasm.toExponential(1)}, vs reference ${row.vsReference.toExponential(1)} (${row.seconds.webgpu} s / ${row.seconds.wasm} s)`);
      out.push(row);
    }
  }
  const judged = out.filter((r) => r.dtype !== 'fp16');
  return {
    fixtures: out,
    worst: { webgpuVsWasm: Math.max(...judged.map((r) => r.webgpuVsWasm)), vsReference: Math.max(...judged.map((r) => r.vsReference)) },
    allSameTokens: judged.every((r) => r.sameTokens),
  };
}
