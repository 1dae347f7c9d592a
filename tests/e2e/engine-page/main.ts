/**
 * A bare page that runs the real engine in the browser for the e2e tests: load a fixture by hub id
 * from the test server and run requests sent as JSON; results come back as plain arrays.
 */
import { createEngine } from '../../../src/engine/core/runtime/engine';
import { toErrorData } from '../../../src/engine/shared/errors';
import type { DevicePreference, GenerateRequest, ModelDtype } from '../../../src/engine/shared/api';

/** A LoRA adapter as JSON (its safetensors bytes as numbers). */
export interface JsonAdapter { config: string; weights: number[] }

export interface CaseInput { id: string; dtype: ModelDtype; device: DevicePreference; adapter?: JsonAdapter }

/** A request as JSON: vectors and directions as number arrays (turned into Float32Array here). */
export type JsonRequest = Omit<GenerateRequest, 'monitor'> & { monitor?: { layer: number; direction: number[]; tap?: 'hook_resid_post' | 'hook_resid_mid' } };

function toRequest(r: JsonRequest): GenerateRequest {
  return { ...r, monitor: r.monitor ? { ...r.monitor, direction: Float32Array.from(r.monitor.direction) } : undefined };
}

async function runRequests({ id, dtype, device, requests, adapter }: CaseInput & { requests: JsonRequest[] }) {
  const engine = createEngine({ wasmPaths: '/ort/' });
  try {
    const info = await engine.load({ kind: 'hub', id }, {
      dtype, device, remoteHost: `${location.origin}/models/`,
      ...(adapter ? { adapter: { config: adapter.config, weights: Uint8Array.from(adapter.weights) } } : {}),
    });
    const results = [];
    for (const req of requests) {
      try {
        const res = await engine.generate(toRequest(req));
        const ids = await Promise.all(req.rows.map(async (row) => (await engine.tokenize(row.prompt, { continueFinal: row.continueFinal })).ids));
        results.push({
          ids,
          tokens: res.tokens, padLeft: res.padLeft, promptLengths: res.promptLengths, projections: res.projections ?? null,
          captures: Object.fromEntries(Object.entries(res.captures).map(([k, c]) => [k, { shape: c.shape, data: Array.from(c.data) }])),
        });
      } catch (e) {
        results.push({ error: toErrorData(e) });
      }
    }
    return { info, results };
  } catch (e) {
    return { error: toErrorData(e) };
  } finally {
    await engine.dispose();
  }
}

async function runCase({ id, dtype, device }: CaseInput) {
  const engine = createEngine({ wasmPaths: '/ort/' });
  try {
    const info = await engine.load({ kind: 'hub', id }, { dtype, device, remoteHost: `${location.origin}/models/` });
    const D = info.hiddenSize;
    const vector = Array.from({ length: D }, (_, i) => Math.sin(i));
    const tap = `blocks.${info.numLayers - 1}.hook_resid_post` as const;
    const res = await engine.generate({
      rows: [{ prompt: 'The quick brown fox' }, { prompt: 'The quick brown fox', steering: [{ layer: 1, vector, coeff: 3, positions: 'all' }] }],
      maxNewTokens: 6, stopAtEos: false, captures: [tap],
    });
    return { info, tokens: res.tokens, capture: Array.from(res.captures[tap].data) };
  } catch (e) {
    return { error: toErrorData(e) };
  } finally {
    await engine.dispose();
  }
}

Object.assign(window, { runCase, runRequests, gpuFeatures: async () => {
  const adapter = await (navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ features: Set<string> } | null> } }).gpu?.requestAdapter();
  return adapter ? [...adapter.features] : null;
} });
document.getElementById('status')!.textContent = 'ready';
