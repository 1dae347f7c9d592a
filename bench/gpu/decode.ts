/**
 * Decode speed on WebGPU vs wasm with the Node bench's own measurements (bench/decode.ts) on the bench
 * decode model, built on the spot: decode tok/s of the original and the instrumented graph (one vector
 * active), time to first token of a 256-token prompt (and of a slider move that reuses the prefix), and one
 * slider move generating the steered row alone vs the baseline + steered pair. Wall clock (a GPU's time is
 * not this process's CPU time); wasm runs on one thread, as the engine does in Node.
 */
import type { Device } from '../../src/engine/shared/api';
import { fixtureConfig } from '../../tests/fixtures/weights';
import { decodeContext, sliderRestart, sliderSteeredOnly, steerOverhead, type Scale } from '../decode';
import type { BenchResult } from '../harness';
import { DECODE_CONFIG } from '../models';

const SCALE: Scale = { reps: 3, newTokens: 10, promptTokens: 16, sweepReps: 1, sweepNewTokens: 4, sliderReps: 2 };
/** --small: the decode model's vocabulary (the bench's prompt ids go up to 30000) on 2 layers of width 256, for CPU-emulated adapters. */
const SMALL = fixtureConfig({ ...DECODE_CONFIG, numLayers: 2, hiddenSize: 256, numHeads: 8, numKvHeads: 2, intermediateSize: 704 });

type Figures = Record<string, number | string>;

export async function runDecode(log: (m: string) => void, small: boolean, devices: Device[] = ['webgpu', 'wasm']) {
  const cfg = small ? SMALL : DECODE_CONFIG;
  const opts = { scale: small ? { ...SCALE, reps: 2, newTokens: 4 } : SCALE, clock: 'wall' as const };
  const details: Record<string, Record<string, BenchResult | { error: string }>> = {};
  const headline: Record<string, Figures> = {};
  for (const device of devices) {
    const res: Record<string, BenchResult | { error: string }> = (details[device] = {});
    const h: Figures = (headline[device] = {});
    try {
      const c = await decodeContext(log, device, cfg);
      for (const [name, fn] of [['steer-overhead', steerOverhead], ['slider-restart', sliderRestart], ['slider-steered-only', sliderSteeredOnly]] as const) {
        try {
          const r = await fn(c, opts);
          res[name] = r;
          log(`  ${device} ${name}: ${r.summary}`);
        } catch (e) {
          res[name] = { error: (e as Error).message };
          log(`  ${device} ${name} FAILED: ${(e as Error).message}`);
        }
      }
      const so = res['steer-overhead'] as { tokPerSec?: { wall: Record<string, number> } };
      const sr = res['slider-restart'] as { ms?: { wall: Record<string, number> } };
      const ss = res['slider-steered-only'] as { ms?: { wall: Record<string, number> }; firstTokenMs?: { wall: Record<string, number> } };
      if (so.tokPerSec) Object.assign(h, { decodeTokPerSecOriginal: so.tokPerSec.wall.original, decodeTokPerSecSteered: so.tokPerSec.wall.steered });
      if (sr.ms) Object.assign(h, { ttft256Ms: sr.ms.wall.fullMs, ttftPrefixReusedMs: sr.ms.wall.reuseMs });
      if (ss.ms) Object.assign(h, { sliderMoveKeptMs: ss.ms.wall.keptMs, sliderMovePairMs: ss.ms.wall.bothMs });
    } catch (e) {
      h.error = (e as Error).message;
      log(`  ${device} decode context FAILED: ${(e as Error).message}`);
    }
  }
  return { model: `${cfg.numLayers} layers, hidden ${cfg.hiddenSize}, vocab ${cfg.vocabSize}, ${cfg.dtype}`, scale: opts.scale, headline, details };
}
