/**
 * A bare page that runs the real engine in the browser for the e2e tests: load a fixture by hub id
 * from the test server and run requests sent as JSON; results come back as plain arrays.
 */
import { createEngine } from '../../../src/engine/core/runtime/engine';
import { toErrorData } from '../../../src/engine/shared/errors';
import type { DevicePreference, ModelDtype } from '../../../src/engine/shared/api';
import { runJsonRequests, type JsonAdapter, type JsonRequest } from './runRequests';

export type { JsonAdapter, JsonRequest } from './runRequests';

export interface CaseInput { id: string; dtype: ModelDtype; device: DevicePreference; adapter?: JsonAdapter }

const runRequests = ({ id, dtype, device, requests, adapter }: CaseInput & { requests: JsonRequest[] }) =>
  runJsonRequests(createEngine({ wasmPaths: '/ort/' }), { kind: 'hub', id }, { dtype, device, remoteHost: `${location.origin}/models/` }, requests, adapter);

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
