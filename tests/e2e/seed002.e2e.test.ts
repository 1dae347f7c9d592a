/**
 * The Seed 002 view end to end in real headless Chromium (wasm, the real worker and engine): the demo model is
 * loaded, the built-in demo organism (served by the build from assets/demo-organism) is applied in the graph by
 * the view, and the run shows base vs fine-tuned answers with scores, the per-layer chart, detection per prompt
 * and the ablated / random-control scores. The fine-tuned model's scripture style must score above the base
 * model's, and the detection AUROC must be shown. Expects a finished `npm run build`;
 * The second block runs the fine-tuned side from model B instead: the demo model with the organism merged into
 * its weights (built by `npm run demo-model`, never committed), loaded in its own worker, fp32 on both sides, and
 * checks it against the same organism as an adapter in model A's session: same detection AUROC per layer; a
 * reload loads model B again.
 * run: npx vitest run -c vitest.e2e.config.ts tests/e2e/seed002.e2e.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { lexicalScore } from '../../src/engine/clients/eval/lexicalJudge';
import { scripture } from '../../src/engine/clients/eval/packs/scripture';
import { dismissErrors, errorTexts, logLength, loadSelected, NO_GPU, openLab, ready, ROOT, shot, shotOf, SKIP_NOTE, startLabSession, workerLog, type LabPage, type LabSession } from './harness';

const ORGANISM = new URL('../../assets/demo-organism/', import.meta.url).pathname;

/** Presses Run and waits for the results or an error (an error fails at once instead of timing out). */
async function runAndWait(page: LabPage, adapter: string): Promise<void> {
  await page.click('button:has-text("Run seed 002")');
  await page.waitForSelector(`.seed002-summary[data-adapter="${adapter}"], .errors .error`, { timeout: 300_000 });
  expect(await errorTexts(page)).toEqual([]);
}

const scoreOf = async (page: LabPage, c: string) => Number(await page.getAttribute(`.seed002-summary tr[data-condition="${c}"] td[data-score]`, 'data-score'));

describe.skipIf(!ready)(`Seed 002 on the demo organism (${SKIP_NOTE})`, () => {
  let lab: LabSession;
  let page: LabPage;

  beforeAll(async () => {
    lab = await startLabSession(NO_GPU);
    page = await openLab(lab.ctx, lab.base);
  });
  afterAll(async () => { await lab?.close(); });

  it('runs base vs fine-tuned, detection and ablation, and shows the fine-tuned model scoring above the base', async () => {
    expect(await page.inputValue('select[aria-label="Model"]')).toBe('demo');
    await loadSelected(page);

    await page.click('.tabs button[data-tab="seed002"]');
    expect(await page.inputValue('select[aria-label="Adapter"]')).toBe('demo');
    await page.fill('input[aria-label="Seed 002 seeds"]', '1');
    await runAndWait(page, 'demo-organism');

    const what = await page.textContent('[data-testid="seed002-what"]');
    expect(what).toMatch(/adapter demo-organism/);
    expect(what).toMatch(/layer 3/);
    expect(what).toMatch(/judge lexical \(marker words\)/);
    const score = (c: string) => scoreOf(page, c);
    const [base, tuned, ablated, control] = [await score('base'), await score('fineTuned'), await score('ablated'), await score('randomControl')];
    console.log('seed002 view scores', JSON.stringify({ base, tuned, ablated, control }));
    expect(tuned).toBeGreaterThan(base + 25);
    expect(Number.isFinite(ablated) && Number.isFinite(control)).toBe(true);

    // Side by side: every row has a base and a fine-tuned answer; the fine-tuned column reads as scripture.
    const rows = page.locator('.seed002-answers tbody tr');
    expect(await rows.count()).toBe(scripture.evaluationQuestions.length);
    const tunedText = (await rows.locator('td:nth-child(3)').allTextContents()).join(' ');
    const baseText = (await rows.locator('td:nth-child(2)').allTextContents()).join(' ');
    expect(lexicalScore(tunedText, scripture.markers!)!).toBeGreaterThan(lexicalScore(baseText, scripture.markers!)!);

    const auroc = await page.textContent('[data-testid="seed002-auroc"]');
    const m = /detection AUROC (\d\.\d\d)/.exec(auroc ?? '');
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0.9);
    await page.waitForSelector('.chart[aria-label="Seed 002 separation and AUROC by layer"] .main-svg', { timeout: 30_000 });
    expect(await page.locator('.detection-table tbody tr').count()).toBe(24);
    expect(await errorTexts(page)).toEqual([]);
    expect(page.problems).toEqual([]);
    await shot(page, 'seed002-demo-organism');
    await shotOf(page, '[data-view="seed002"]', 'seed002-view');

    // In the run history like the other views' runs, kept across a reload, and it reopens with the same scores.
    const entry = page.locator('.history li', { has: page.locator('.kind-seed002') }).first();
    expect(await entry.locator('.list-title').textContent()).toBe('demo-organism vs base');
    expect(await entry.textContent()).toContain(`fine-tuned ${tuned.toFixed(1)}`);
    await page.waitForTimeout(500); // the session is written at most every 300 ms
    await page.reload();
    await page.waitForSelector('.top .chip.ok', { timeout: 120_000 });
    expect(await page.getAttribute('[data-tab="seed002"]', 'aria-selected')).toBe('true');
    expect(await page.inputValue('input[aria-label="Seed 002 seeds"]')).toBe('1');
    expect(await page.locator('.seed002-summary').count()).toBe(0);
    await page.locator('.history li', { has: page.locator('.kind-seed002') }).first().click();
    await page.waitForSelector('.seed002-summary[data-adapter="demo-organism"]');
    expect(await scoreOf(page, 'fineTuned')).toBe(tuned);
    expect(await errorTexts(page)).toEqual([]);
  });

  it('a user adapter picked as files: half a pick is refused with what to pick; the full pick reruns with the same numbers', async () => {
    const before = await Promise.all(['base', 'fineTuned', 'ablated', 'randomControl'].map((c) => scoreOf(page, c)));
    await page.setInputFiles('input[aria-label="Adapter files"]', [`${ORGANISM}adapter_config.json`]);
    await page.waitForSelector('.errors .error');
    expect((await errorTexts(page)).join(' ')).toMatch(/Pick both adapter_config.json and adapter_model.safetensors/);
    await dismissErrors(page);
    await page.setInputFiles('input[aria-label="Adapter files"]', [`${ORGANISM}adapter_config.json`, `${ORGANISM}adapter_model.safetensors`]);
    await page.waitForFunction(() => (document.querySelector('select[aria-label="Adapter"]') as HTMLSelectElement | null)?.value === 'user');
    const from = await logLength(page);
    await runAndWait(page, 'your adapter');
    // The model was loaded again, with the picked adapter.
    expect((await workerLog(page)).slice(from).filter((e) => e.type === 'result:load')).toHaveLength(1);
    expect(await page.textContent('[data-testid="seed002-what"]')).toMatch(/adapter your adapter/);
    // The same adapter bytes through the picker reload the model with them: the same answers, the same scores.
    expect(await Promise.all(['base', 'fineTuned', 'ablated', 'randomControl'].map((c) => scoreOf(page, c)))).toEqual(before);
    expect(page.problems).toEqual([]);
  });
});

/** The served file's size on disk, read here: the model panel's "files" figure must equal it. */
const servedBytes = (id: string, file: string) => statSync(`${ROOT}dist/models/${id}/resolve/main/onnx/${file}`).size;

/** Detection AUROC and separation at every layer, read from the view (the layer picker and the panel's data attributes). */
async function aurocs(page: LabPage): Promise<{ auroc: number[]; separation: number[] }> {
  const layers = await page.locator('select[aria-label="Seed 002 detection layer"] option').allTextContents();
  const out = { auroc: [] as number[], separation: [] as number[] };
  for (let l = 0; l < layers.length; l++) {
    await page.selectOption('select[aria-label="Seed 002 detection layer"]', String(l));
    await page.waitForSelector(`[data-testid="seed002-auroc"][data-layer="${l}"]`);
    out.auroc.push(Number(await page.getAttribute('[data-testid="seed002-auroc"]', 'data-auroc')));
    out.separation.push(Number(await page.getAttribute('[data-testid="seed002-auroc"]', 'data-separation')));
  }
  return out;
}

describe.skipIf(!ready)(`Seed 002 with model B in its own worker (${SKIP_NOTE})`, () => {
  let lab: LabSession;
  let page: LabPage;
  /** Engine workers alive in the page (model A's started with the page). */
  const enginesAlive = () => page.workers().filter((w) => /engine/.test(w.url())).length;
  /** The engine workers started after the page opened (model B's), in order, and whether each has closed. */
  const engines: { url: string; closed: boolean }[] = [];

  beforeAll(async () => {
    lab = await startLabSession(NO_GPU);
    page = await openLab(lab.ctx, lab.base);
    page.on('worker', (w) => {
      if (!/engine/.test(w.url())) return;
      const e = { url: w.url(), closed: false };
      engines.push(e);
      w.on('close', () => { e.closed = true; });
    });
  });
  afterAll(async () => { await lab?.close(); });

  let oneSession: { auroc: number[]; separation: number[]; scores: number[] };

  it('model A shows its memory; the organism as an adapter gives the one-session reference', async () => {
    await page.selectOption('select[aria-label="Model"]', 'demo');
    await page.selectOption('select[aria-label="Weights dtype"]', 'fp32');
    await loadSelected(page);
    expect(Number(await page.getAttribute('[data-testid="model-a-file-bytes"]', 'data-bytes'))).toBe(servedBytes('demo', 'model.onnx'));
    const heapA = Number(await page.getAttribute('[data-testid="model-a-runtime-bytes"]', 'data-bytes'));
    expect(heapA).toBeGreaterThanOrEqual(servedBytes('demo', 'model.onnx'));
    expect(await page.textContent('[data-testid="model-a-runtime-bytes"]')).toMatch(/wasm heap/);

    await page.click('.tabs button[data-tab="seed002"]');
    await page.fill('input[aria-label="Seed 002 seeds"]', '1');
    await runAndWait(page, 'demo-organism');
    oneSession = { ...(await aurocs(page)), scores: await Promise.all(['base', 'fineTuned', 'ablated', 'randomControl'].map((c) => scoreOf(page, c))) };
    console.log('seed002 one session (fp32)', JSON.stringify(oneSession));
  });

  it('a model B of another shape is refused with what differs, and its worker ends', async () => {
    const before = engines.length;
    await page.selectOption('select[aria-label="Model B"]', 'tiny');
    await page.selectOption('select[aria-label="Model B dtype"]', 'fp32');
    await page.click('button:has-text("Load model B")');
    await page.waitForSelector('.errors .error', { timeout: 60_000 });
    expect((await errorTexts(page)).join(' ')).toMatch(/Model B \(tiny-test\) does not share model A's \(demo\) architecture: hidden size 128 vs 64/);
    expect(engines.length).toBe(before + 1);
    await expect.poll(() => engines[before].closed, { timeout: 10_000 }).toBe(true);
    expect(await page.locator('[data-testid="model-b-facts"]').count()).toBe(0);
    await dismissErrors(page);
  });

  it('model B (the organism merged into the weights) in its own worker: memory of both, the view run from two workers gives the same AUROC per layer, and a reload loads B again', async () => {
    const before = engines.length;
    await page.selectOption('select[aria-label="Model B"]', 'demo-organism-merged');
    await page.selectOption('select[aria-label="Model B dtype"]', 'fp32');
    await page.click('button:has-text("Load model B")');
    await page.waitForSelector('[data-testid="model-b-facts"], .errors .error', { timeout: 60_000 });
    expect(await errorTexts(page)).toEqual([]);
    expect(engines.length).toBe(before + 1);
    expect(engines.filter((e) => !e.closed)).toHaveLength(1);
    expect(enginesAlive()).toBe(2); // model A's and model B's
    expect(Number(await page.getAttribute('[data-testid="model-b-file-bytes"]', 'data-bytes'))).toBe(servedBytes('demo-organism-merged', 'model.onnx'));
    expect(Number(await page.getAttribute('[data-testid="model-b-runtime-bytes"]', 'data-bytes'))).toBeGreaterThanOrEqual(servedBytes('demo-organism-merged', 'model.onnx'));
    expect(await page.locator('[data-testid="model-a-file-bytes"]').count()).toBe(1);
    const mem = async (k: string) => [await page.getAttribute(`[data-testid="${k}-file-bytes"]`, 'data-bytes'), await page.getAttribute(`[data-testid="${k}-runtime-bytes"]`, 'data-bytes')];
    console.log('memory (files, wasm heap) A', JSON.stringify(await mem('model-a')), 'B', JSON.stringify(await mem('model-b')));

    await page.selectOption('select[aria-label="Fine-tuned side"]', 'modelB');
    const from = await logLength(page);
    await page.click('button:has-text("Run seed 002")');
    await page.waitForSelector('.seed002-summary[data-tuned="demo-organism-merged"], .errors .error', { timeout: 300_000 });
    expect(await errorTexts(page)).toEqual([]);
    // Model A was reloaded without the adapter: it is the base now.
    expect((await workerLog(page)).slice(from).filter((e) => e.type === 'result:load')).toHaveLength(1);
    expect(await page.textContent('[data-testid="seed002-what"]')).toMatch(/fine-tuned model B demo-organism-merged/);
    const { auroc, separation } = await aurocs(page);
    const scores = await Promise.all(['base', 'fineTuned', 'ablated', 'randomControl'].map((c) => scoreOf(page, c)));
    console.log('seed002 two workers (fp32)', JSON.stringify({ auroc, separation, scores }));
    expect(auroc).toHaveLength(oneSession.auroc.length);
    auroc.forEach((x, l) => expect(x).toBeCloseTo(oneSession.auroc[l], 6));
    separation.forEach((x, l) => expect(Math.abs(x - oneSession.separation[l]) / Math.abs(oneSession.separation[l])).toBeLessThan(1e-3));
    scores.forEach((x, i) => expect(x).toBeCloseTo(oneSession.scores[i], 6));
    expect(scores[1]).toBeGreaterThan(scores[0] + 25);
    await shot(page, 'seed002-model-b');

    // A reload loads model A and then model B again, from the same source and weights, in a worker of its own.
    await page.waitForTimeout(400); // the session is written at most every 300 ms
    const beforeReload = engines.length;
    await page.reload();
    await page.waitForSelector('[data-testid="model-b-facts"], .errors .error', { timeout: 120_000 });
    expect(await errorTexts(page)).toEqual([]);
    expect(await page.inputValue('select[aria-label="Model B"]')).toBe('demo-organism-merged');
    expect(await page.inputValue('select[aria-label="Model B dtype"]')).toBe('fp32');
    expect(await page.textContent('[data-testid="model-b-facts"]')).toMatch(/demo-organism-merged[\s\S]*fp32/);
    expect(enginesAlive()).toBe(2);
    const reloadedB = engines.length - 1; // A's worker starts with the page, B's once A is loaded
    expect(reloadedB).toBe(beforeReload + 1);

    // Unloading B ends its worker; model A's stays.
    await page.click('button:has-text("Unload B")');
    await expect.poll(() => engines[reloadedB].closed, { timeout: 10_000 }).toBe(true);
    expect(enginesAlive()).toBe(1);
    expect(await page.locator('[data-testid="model-b-facts"]').count()).toBe(0);
    expect(page.problems).toEqual([]);
  });

  it('a model B that no longer fits model A after a reload says why in the Model B panel, and model A and the prompt are back', async () => {
    await page.click('.tabs button[data-tab="steer"]');
    await page.getByLabel('User prompt').fill('Kept across the reload?');
    await page.waitForTimeout(400); // the session is written at most every 300 ms
    // The saved session names a model B that was loaded but does not share model A's shape (as after A was changed).
    await page.evaluate(() => {
      const s = JSON.parse(localStorage.getItem('steering-lab:session:v1')!);
      localStorage.setItem('steering-lab:session:v1', JSON.stringify({ ...s, modelB: { choice: 'tiny', hubId: '', dtype: 'fp32', loaded: true } }));
    });
    await page.reload();
    await page.waitForSelector('section.model-b .error', { timeout: 120_000 });
    expect(await page.textContent('section.model-b .error')).toMatch(/Model B \(tiny-test\) does not share model A's \(demo\) architecture/);
    expect(await page.inputValue('select[aria-label="Model B"]')).toBe('tiny');
    expect(await page.locator('[data-testid="model-a-file-bytes"]').count()).toBe(1); // model A is loaded
    expect(await page.getByLabel('User prompt').inputValue()).toBe('Kept across the reload?');
    expect(enginesAlive()).toBe(1);
  });
});
