/**
 * The Seed 002 view end to end in real headless Chromium (wasm, the real worker and engine): the demo model is
 * loaded, the built-in demo organism (served by the build from assets/demo-organism) is applied in the graph by
 * the view, and the run shows base vs fine-tuned answers with scores, the per-layer chart, detection per prompt
 * and the ablated / random-control scores. The fine-tuned model's scripture style must score above the base
 * model's, and the detection AUROC must be shown. Expects a finished `npm run build`;
 * run: npx vitest run -c vitest.e2e.config.ts tests/e2e/seed002.e2e.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lexicalScore } from '../../src/engine/clients/eval/lexicalJudge';
import { scripture } from '../../src/engine/clients/eval/packs/scripture';
import { dismissErrors, errorTexts, logLength, NO_GPU, openLab, ready, shot, shotOf, SKIP_NOTE, startLabSession, workerLog, type LabPage, type LabSession, type WorkerLogEntry } from './harness';

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
    const from = await logLength(page);
    await page.click('button:has-text("Load model")');
    await page.waitForFunction((n) => (window as unknown as { __wlog: WorkerLogEntry[] }).__wlog.slice(n).some((e) => e.type === 'result:load' || (e.dir === 'in' && e.type === 'error')), from, { timeout: 60_000 });
    await page.waitForSelector('.top .chip.ok', { timeout: 10_000 });

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
