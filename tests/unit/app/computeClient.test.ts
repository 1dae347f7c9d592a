/**
 * The compute worker's protocol: workers/computeHandler.ts on one end of a real MessageChannel (structured clone,
 * as between the page and the worker), src/app/computeClient.ts on the other. Cosines against hand values, errors
 * as {code, message}, and the detection workflow on the fixture engine with its probe training sent across.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { createComputeClient } from '../../../src/app/computeClient';
import type { PortLike } from '../../../src/app/workerEngine';
import { createComputeHandler } from '../../../workers/computeHandler';
import type { ComputeResponse } from '../../../workers/protocol';
import { EngineError } from '../../../src/engine/shared/errors';
import { createMemoryStore } from '../../../src/engine/clients/eval/cache';
import { detectionWorkflow } from '../../../src/engine/clients/eval/detectionWorkflow';
import { modelKeyOf, type WorkflowCtx } from '../../../src/engine/clients/eval/workflow';
import { fixtureEngine, type FixtureEngine } from '../../helpers/fixtureEngine';

let ports: MessagePort[] = [];
afterEach(() => { ports.forEach((p) => p.close()); ports = []; });

function setup() {
  const seen: ComputeResponse[] = [];
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  const handle = createComputeHandler((msg, transfer) => { seen.push(msg); port2.postMessage(msg, transfer); });
  port2.on('message', handle);
  return { client: createComputeClient(port1 as unknown as PortLike), seen, raw: port1 };
}

describe('compute worker protocol', () => {
  it('answers cosine matrices with the values worked by hand, and leaves the sender its arrays', async () => {
    const { client } = setup();
    const vs = [Float32Array.of(1, 0), Float32Array.of(0, 2), Float32Array.of(3, 3)];
    const m = await client.cosineMatrix(vs);
    const r = Math.SQRT1_2;
    [[1, 0, r], [0, 1, r], [r, r, 1]].forEach((row, i) => row.forEach((x, j) => expect(m[i][j]).toBeCloseTo(x, 6)));
    expect([...vs[2]]).toEqual([3, 3]); // copied, not transferred
    // Two layers of D = 2: [1, 1] and [1, −1] are orthogonal.
    const layers = await client.layerCosineMatrix(Float32Array.of(1, 1, 1, -1), 2);
    expect(layers.map((row) => row.map((x) => Math.round(x * 1e6) / 1e6 + 0))).toEqual([[1, 0], [0, 1]]);
    expect(client.pendingCount()).toBe(0);
  });

  it('sends errors back as {code, message}, thrown as EngineError; a malformed message gets one too', async () => {
    const { client, seen, raw } = setup();
    const err = await client.layerCosineMatrix(Float32Array.of(1, 2, 3), 2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ code: 'bad-input', message: '3 values is not a whole number of layers of 2.' });
    raw.postMessage({ type: 'trainEverything', id: 77 });
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.at(-1)).toMatchObject({ type: 'error', id: 77, error: { code: 'bad-input' } });
    expect(client.pendingCount()).toBe(0);
  });
});

describe('detection with its probes in the compute worker', () => {
  let fx: FixtureEngine;
  beforeAll(async () => { fx = await fixtureEngine({ family: 'llama' }); });
  afterAll(async () => { await fx?.close(); });

  it('sends the per-layer table across and shows the numbers of the in-thread run', async () => {
    const { client, seen } = setup();
    const ctx = (compute?: WorkflowCtx['compute']): WorkflowCtx => ({ engine: fx.engine, store: createMemoryStore(), signal: new AbortController().signal, modelKey: modelKeyOf(fx.engine.info()!), compute });
    const cfg = { labelA: 'a', labelB: 'b', setA: ['The sea is wide.', 'Boats float.', 'Waves crash.'], setB: ['Bread is baked.', 'Ovens are hot.', 'Flour is white.'], seed: 3, batchSize: 4 };
    const away = await detectionWorkflow(ctx(client), cfg, 'm', () => undefined);
    expect(seen.filter((m) => m.type === 'result' && m.op === 'detectionTable')).toHaveLength(1);
    const here = await detectionWorkflow(ctx(), cfg, 'm', () => undefined);
    expect(away).toEqual(here);
    expect(away.probeAuroc).toHaveLength(fx.engine.info()!.numLayers);
  });
});
