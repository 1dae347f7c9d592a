/**
 * The lab on WebGPU end to end, as a new user meets it: load the tiny model on WebGPU, build a quick-contrast
 * vector, generate, move the slider, change positions, add ablation, run a sweep — no error anywhere — and the
 * vector built on WebGPU equals the one the same clicks build on wasm (cosine ≥ 0.999 at every layer).
 */
import type { Browser, Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildVector, columns, errorTexts, expectClean, launch, loadTiny, logLength, newContext, NO_GPU, openLab, ready, settle, shot,
  SKIP_NOTE, startPreview, WEBGPU, workerLog, type LabPage,
} from './harness';

/** The newest vector in the lab's IndexedDB library: [numLayers][hidden]. */
async function newestVector(page: Page): Promise<number[][]> {
  return page.evaluate(() => new Promise<number[][]>((resolve, reject) => {
    const open = indexedDB.open('steering-lab');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const req = open.result.transaction('vectors').objectStore('vectors').getAll();
      req.onsuccess = () => {
        const recs = (req.result as { createdAt: number; set: { vectors: Float32Array; meta: { numLayers: number; hiddenSize: number } } }[]).sort((a, b) => b.createdAt - a.createdAt);
        const { vectors, meta } = recs[0].set;
        resolve(Array.from({ length: meta.numLayers }, (_, l) => Array.from(vectors.subarray(l * meta.hiddenSize, (l + 1) * meta.hiddenSize))));
      };
    };
  }));
}

const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0) / Math.hypot(...a) / Math.hypot(...b);

/** Clicks something that regenerates, and waits for that generation to settle with no error shown. */
async function regenerates(page: LabPage, act: () => Promise<void>): Promise<void> {
  const from = await logLength(page);
  await act();
  await settle(page, from);
  expect(await errorTexts(page)).toEqual([]);
  expect((await workerLog(page)).slice(from).filter((e) => e.type === 'error' && e.code !== 'cancelled')).toEqual([]);
}

describe.skipIf(!ready)(`The lab journey on WebGPU (SwiftShader) (${SKIP_NOTE})`, () => {
  let server: PreviewServer;
  let base: string;
  const browsers: Browser[] = [];

  beforeAll(async () => { ({ server, base } = await startPreview()); });
  afterAll(async () => {
    await Promise.all(browsers.map((b) => b.close()));
    await server?.close();
  });

  async function lab(args: string[]): Promise<LabPage> {
    const browser = await launch(args);
    browsers.push(browser);
    return openLab(await newContext(browser, base), base);
  }

  it('builds the same vector as wasm, then steers, slides, switches positions, ablates and sweeps without an error', async () => {
    const gpu = await lab(WEBGPU);
    const cpu = await lab(NO_GPU);
    await loadTiny(gpu, { dtype: 'fp32', device: 'webgpu' });
    await loadTiny(cpu, { dtype: 'fp32', device: 'wasm' });
    expect((await workerLog(gpu)).find((e) => e.type === 'result:load')?.device).toBe('webgpu');
    await buildVector(gpu);
    await buildVector(cpu);
    const [vg, vc] = [await newestVector(gpu), await newestVector(cpu)];
    const cosines = vg.map((v, l) => cosine(v, vc[l]));
    console.log(`contrast vector cosine(WebGPU, wasm) per layer: ${cosines.map((c) => c.toFixed(6)).join(', ')}`);
    for (const c of cosines) expect(c).toBeGreaterThanOrEqual(0.999);

    await regenerates(gpu, () => gpu.click('button.run:has-text("Generate")'));
    const [baseline, steered0] = await columns(gpu);
    expect(baseline.length).toBeGreaterThan(0);
    await regenerates(gpu, () => gpu.locator('input[aria-label="Coefficient"]').fill('8'));
    const [baseline1, steered1] = await columns(gpu);
    expect(baseline1).toBe(baseline);
    expect(steered1).not.toBe(steered0);
    await regenerates(gpu, () => gpu.click('[role="radiogroup"][aria-label="Positions"] button:has-text("response")'));
    await regenerates(gpu, () => gpu.locator('.slot .ctl', { hasText: 'Ablate direction' }).locator('label.toggle').click());
    expect(await gpu.isChecked('.slot .ctl:has-text("Ablate direction") input[type="checkbox"]')).toBe(true);
    // The steered column still names its vector, layer and coefficient (an ablating slot is still steering).
    expect(await gpu.textContent('.output')).toMatch(/@ L\d+ × [+-]\d/);
    await shot(gpu, '21-webgpu-journey');

    await gpu.click('.tabs button[data-tab="sweep"]');
    await gpu.fill('input[aria-label="Coefficients"]', '-4, 0, 4');
    await gpu.fill('textarea[aria-label="Sweep questions"]', 'What should I do today?');
    await gpu.fill('input[aria-label="Sweep max tokens"]', '4');
    await gpu.click('button:has-text("Run sweep")');
    await gpu.waitForSelector('.step[data-step="sweep"][data-status="done"], .step[data-step="sweep"][data-status="error"]', { timeout: 240_000 });
    expect(await gpu.getAttribute('.step[data-step="sweep"]', 'data-status'), await gpu.textContent('.step[data-step="sweep"]') ?? '').toBe('done');
    await shot(gpu, '22-webgpu-sweep');

    // An error shows next to the action that failed (here: a hub model that cannot be fetched offline) in that
    // action's panel, not in the banner at the top of the page.
    await gpu.click('.tabs button[data-tab="steer"]');
    await gpu.selectOption('select[aria-label="Model"]', 'hub');
    await gpu.fill('input[placeholder="onnx-community/…"]', 'nobody/no-such-model');
    await gpu.click('button:has-text("Load model")');
    const inPanel = gpu.locator('.panel', { hasText: 'Hub id' }).locator('.errors .error');
    await inPanel.waitFor({ timeout: 60_000 });
    expect(await inPanel.textContent()).toMatch(/^load-failedModel:/);
    expect(await gpu.locator('.app > .errors').count()).toBe(0);
    await inPanel.locator('button[aria-label="Dismiss"]').click();
    await expectClean(gpu);
    await expectClean(cpu);
  });
});
