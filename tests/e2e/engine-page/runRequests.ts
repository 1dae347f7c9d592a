/**
 * Loads one model into an engine and runs JSON requests on it, returning plain arrays: the body of the
 * engine page's `runRequests` (a browser) and of the Node-on-Dawn GPU check (bench/gpu), so both
 * produce results of one shape. Needs no DOM.
 */
import { toErrorData } from '../../../src/engine/shared/errors';
import type { Engine, GenerateRequest, LoadOptions, ModelSource } from '../../../src/engine/shared/api';

/** A LoRA adapter as JSON (its safetensors bytes as numbers). */
export interface JsonAdapter { config: string; weights: number[] }

/** A request as JSON: vectors and directions as number arrays (turned into Float32Array here). */
export type JsonRequest = Omit<GenerateRequest, 'monitor'> & { monitor?: { layer: number; direction: number[]; tap?: 'hook_resid_post' | 'hook_resid_mid' } };

function toRequest(r: JsonRequest): GenerateRequest {
  return { ...r, monitor: r.monitor ? { ...r.monitor, direction: Float32Array.from(r.monitor.direction) } : undefined };
}

/** Loads `source` into `engine`, runs `requests` one by one (a failing request is reported in its slot), disposes the engine. */
export async function runJsonRequests(engine: Engine, source: ModelSource, load: LoadOptions, requests: JsonRequest[], adapter?: JsonAdapter) {
  try {
    const info = await engine.load(source, {
      ...load,
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
