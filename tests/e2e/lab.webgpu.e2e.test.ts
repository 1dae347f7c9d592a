/**
 * The lab on WebGPU: headless Chromium with --enable-unsafe-webgpu gets a SwiftShader adapter (correct, slow,
 * and without shader-f16). The lab must run there on WebGPU and say so; asked for the q4f16 variant, it must
 * pick a non-f16 one and say why. (Without the flag the lab runs on wasm and says so: lab.e2e.test.ts.)
 */
import type { Browser, BrowserContext } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeShareLink } from '../../src/engine/clients/io/shareLink';
import { linkSteering } from '../../src/app/slotKinds';
import {
  chartTraces, columns, errorTexts, expectClean, launch, loadTiny, logLength, newContext, openLab, ready, settle, shot,
  SKIP_NOTE, startPreview, WEBGPU, workerLog, type LabPage,
} from './harness';

describe.skipIf(!ready)(`Steering Lab on WebGPU (SwiftShader) (${SKIP_NOTE})`, () => {
  let server: PreviewServer;
  let base: string;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: LabPage;
  let pushedPeak = NaN;

  beforeAll(async () => {
    ({ server, base } = await startPreview());
    browser = await launch(WEBGPU);
    ctx = await newContext(browser, base);
    page = await openLab(ctx, base);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('this browser has a WebGPU adapter without shader-f16 (the case the lab must handle)', async () => {
    const features = await page.evaluate(async () => {
      const adapter = await (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ features: Set<string> } | null> } }).gpu?.requestAdapter();
      return adapter ? [...adapter.features] : null;
    });
    expect(features).not.toBeNull();
    expect(features).not.toContain('shader-f16');
  });

  it('runs the lab on WebGPU and shows it: a share link loads the model there and generates side by side', async () => {
    // A link carries its vector, so no contrast build is needed (activation capture is slow on SwiftShader).
    const link = encodeShareLink({
      modelId: 'tiny-test', dtype: 'fp32', vector: Float32Array.from({ length: 64 }, (_, i) => Math.cos(i)), traitName: 'gpu', layer: 2,
      coeff: 6, mode: 'all', prompt: 'Hello from the GPU', systemPrompt: '', seed: 3, temperature: 0, maxTokens: 6,
    });
    await page.goto(`${base}${link}`);
    const result = await settle(page, 0);
    const loaded = (await workerLog(page)).find((e) => e.type === 'result:load')!;
    expect(loaded.device).toBe('webgpu');
    expect(await page.textContent('.top-status')).toContain('webgpu · fp32');
    expect(await page.textContent('.panel-head .chip.ok')).toBe('WebGPU');
    expect(await page.textContent('.facts')).toMatch(/device\s*webgpu/);
    expect(await page.textContent('.facts')).toContain('WebGPU adapter without shader-f16: running the fp32 variant (not float16) on WebGPU.');

    const [baseline, steered] = await columns(page);
    expect(baseline.length).toBeGreaterThan(0);
    expect(steered).not.toBe(baseline);
    const chart = await chartTraces(page, result.tokens!);
    chart.forEach((t, r) => expect(t.y).toEqual(result.projections![r]));
    pushedPeak = Math.max(...result.projections!.at(-1)!);
    expect(await errorTexts(page)).toEqual([]);
    await shot(page, '20-webgpu');
  });

  it('a link with the slot\'s cap and condition (issue 16) runs on WebGPU: the condition fires and the cap holds the pushed trace', async () => {
    const vector = Float32Array.from({ length: 64 }, (_, i) => Math.cos(i));
    const slot = { layer: 2, coeff: 6, mode: 'all' as const, ablate: false, ablateStrength: 1, capMax: 0.5 };
    const when = { layer: 1, direction: vector, threshold: -1000, pooling: 'mean' as const };
    const link = encodeShareLink({
      modelId: 'tiny-test', dtype: 'fp32', vector, traitName: 'gpu', layer: 2, mode: 'all', prompt: 'Hello from the GPU', systemPrompt: '', seed: 3,
      temperature: 0, maxTokens: 6, ...linkSteering(slot, vector, when),
    });
    const from = await logLength(page);
    await page.goto(`${base}${link}`);
    const result = await settle(page, from);
    expect((await workerLog(page)).find((e) => e.type === 'result:load')!.device).toBe('webgpu');
    expect(await page.$$eval('[data-testid="conditions"] li', (els) => els.map((e) => (e as HTMLElement).dataset.fired))).toEqual(['true']);
    // The link opens in the same page (a hash change): the kept baseline is not generated again, so read the steered trace alone.
    const n = result.tokens!.at(-1)!;
    await page.waitForFunction((n) => (document.querySelector('.output .chart') as unknown as { data?: { name: string; y: number[] }[] } | null)?.data?.find((t) => t.name === 'steered')?.y.length === n, n);
    const steered = await page.$eval('.output .chart', (el) => [...(el as unknown as { data: { name: string; y: number[] }[] }).data.find((t) => t.name === 'steered')!.y]);
    expect(steered).toEqual(result.projections!.at(-1));
    console.log(`WebGPU cap: +6 push peaks at ${pushedPeak.toFixed(3)} without the cap, ${Math.max(...steered).toFixed(3)} with max 0.5`);
    expect(pushedPeak).toBeGreaterThan(1); // the same push without the cap, previous case
    for (const y of steered) expect(y).toBeLessThanOrEqual(0.5 + 1e-3);
    expect(await errorTexts(page)).toEqual([]);
  });

  it('asked for q4f16 without shader-f16, it picks the q4 variant on WebGPU and says why', async () => {
    await loadTiny(page, { dtype: 'q4f16' });
    const loads = (await workerLog(page)).filter((e) => e.type === 'result:load');
    expect(loads.at(-1)).toMatchObject({ device: 'webgpu', dtype: 'q4' });
    expect(await page.textContent('.top-status')).toContain('webgpu · q4');
    const facts = (await page.textContent('.facts'))!;
    expect(facts).toMatch(/weights\s*q4 · body float32/);
    expect(facts).toContain('This GPU adapter lacks shader-f16, so float16 model variants cannot run on WebGPU; running the q4 variant on WebGPU instead of q4f16.');

    // And it generates there.
    const from = await logLength(page);
    await page.click('button.run:has-text("Generate")');
    await settle(page, from);
    expect((await columns(page))[0].length).toBeGreaterThan(0);
    expect(await errorTexts(page)).toEqual([]);
    await shot(page, '21-webgpu-q4f16-fallback');
    await expectClean(page);
  });
});
