/**
 * The engine in real headless Chromium (Debian's), on WebGPU (SwiftShader via --enable-unsafe-webgpu)
 * and on wasm: fp32 and q4 fixtures must match across devices, and an f16 model on an adapter
 * without shader-f16 must be refused or fall back — never run with wrong numbers.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relErr } from '../helpers/compare';
import { browserReady } from './harness';
import { gpuFeatures, startEnginePages, type EnginePages, type RepoSpec } from './enginePage';

const REPOS: Record<string, RepoSpec> = {
  'fixtures/llama-builder': { family: 'llama', layout: 'builder', attention: 'mha', dtype: 'q4', extra: ['fp32', 'q4f16'] },
  'fixtures/qwen-decomposed': { family: 'qwen2', layout: 'decomposed', dtype: 'fp32', extra: ['q4'] },
  'fixtures/fp16-only': { family: 'llama', layout: 'decomposed', dtype: 'fp16' },
};

type CaseResult = { info?: { device: string; dtype: string; deviceReason: string }; tokens?: number[][]; capture?: number[]; error?: { code: string; message: string } };

describe.skipIf(!browserReady(false))('engine in headless Chromium', () => {
  let pages: EnginePages;
  beforeAll(async () => { pages = await startEnginePages(REPOS); });
  afterAll(async () => { await pages?.close(); });
  const page = (webgpu: boolean): Promise<Page> => pages.page(webgpu);

  const run = (p: Page, id: string, dtype: string, device: string): Promise<CaseResult> =>
    p.evaluate((c) => (window as unknown as { runCase(c: unknown): Promise<CaseResult> }).runCase(c), { id, dtype, device });

  it('WebGPU and wasm agree on fp32 and q4 fixtures (both layouts)', async () => {
    const gpu = await page(true);
    const cpu = await page(false);
    expect(await gpuFeatures(gpu)).not.toBeNull();
    for (const [id, dtype] of [['fixtures/qwen-decomposed', 'fp32'], ['fixtures/qwen-decomposed', 'q4'], ['fixtures/llama-builder', 'fp32'], ['fixtures/llama-builder', 'q4']]) {
      const g = await run(gpu, id, dtype, 'webgpu');
      const w = await run(cpu, id, dtype, 'wasm');
      expect(g.error, `${id} ${dtype} webgpu`).toBeUndefined();
      expect(w.error, `${id} ${dtype} wasm`).toBeUndefined();
      expect(g.info!.device).toBe('webgpu');
      expect(w.info!.device).toBe('wasm');
      expect(g.tokens, `${id} ${dtype}`).toEqual(w.tokens);
      expect(g.tokens![1], 'steering changes the text').not.toEqual(g.tokens![0]);
      expect(relErr(g.capture!, w.capture!), `${id} ${dtype}`).toBeLessThan(1e-3);
    }
  });

  it('without shader-f16, an f16 model falls back to a non-f16 variant and says why, or is refused', async () => {
    const gpu = await page(true);
    const features = await gpuFeatures(gpu);
    expect(features).not.toContain('shader-f16'); // SwiftShader: the case real users hit on some GPUs
    const fallback = await run(gpu, 'fixtures/llama-builder', 'q4f16', 'auto');
    expect(fallback.error).toBeUndefined();
    expect(fallback.info!.dtype === 'q4f16' && fallback.info!.device === 'webgpu').toBe(false);
    expect(fallback.info!.deviceReason).toMatch(/shader-f16/);
    const refused = await run(gpu, 'fixtures/fp16-only', 'fp16', 'webgpu');
    expect(refused.error?.code).toBe('device');
    expect(refused.error?.message).toMatch(/shader-f16/);
  });
});
