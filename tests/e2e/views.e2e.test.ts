/**
 * The experiment views in real headless Chromium with the real worker and engine on the tiny random-weights
 * model (see lab.e2e.test.ts for the setup). Random weights pass no real judge threshold, so the test sets the
 * thresholds and the judge's minimum number mass to permissive values through the UI, as a user may.
 * One story: pipeline (cancelled halfway, resumed from the IndexedDB step cache) → save vector → malformed pack
 * refused → sweep → projections → geometry → detection + ablation → reload keeps history, packs and vectors.
 * Expects a finished `npm run build`; run: npx vitest run -c vitest.e2e.config.ts tests/e2e/views.e2e.test.ts
 */
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildVector, dismissErrors, errorTexts, expectClean, launch, loadTiny, newContext, NO_GPU, openLab, ready, shot as fullShot, SKIP_NOTE, startPreview, type LabPage } from './harness';

/** Full-page screenshot from the top (the sticky header would otherwise be painted over the middle of the page). */
async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(100);
  await fullShot(page, name);
}

interface PlotTrace { type?: string; name?: string; x?: unknown[]; y?: unknown[]; z?: number[][]; error_y?: { array: number[] } }

/** The traces plotly holds for the chart with this aria-label, once it has at least `n` traces. */
async function plot(page: Page, label: string, n = 1): Promise<PlotTrace[]> {
  const sel = `.chart[aria-label="${label}"]`;
  await page.waitForFunction(({ sel, n }) => {
    const gd = document.querySelector(sel) as unknown as { data?: unknown[] } | null;
    return !!gd?.data && gd.data.length >= n && !!document.querySelector(`${sel} .main-svg`);
  }, { sel, n }, { timeout: 30_000 });
  return page.$eval(sel, (el) => JSON.parse(JSON.stringify((el as unknown as { data: unknown[] }).data)) as PlotTrace[]);
}

const tab = (page: Page, key: string) => page.click(`.tabs button[data-tab="${key}"]`);
const setNum = (page: Page, label: string, v: number | string) => page.fill(`input[aria-label="${label}"]`, String(v));
const step = (page: Page, name: string) => page.locator(`.view .step[data-step="${name}"]`).first();
const stepStatus = (page: Page, name: string) => step(page, name).getAttribute('data-status');
const stepFresh = async (page: Page, name: string) => Number(await step(page, name).locator('.step-count').getAttribute('data-fresh'));

/** Small, fast generation settings for a view's GenFields. */
async function tinyGen(page: Page, prefix: string, tokens: number): Promise<void> {
  await setNum(page, `${prefix} max tokens`, tokens);
  await setNum(page, `${prefix} batch size`, 4);
}

describe.skipIf(!ready)(`Experiment views on wasm (${SKIP_NOTE})`, () => {
  let server: PreviewServer;
  let base: string;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: LabPage;

  beforeAll(async () => {
    ({ server, base } = await startPreview());
    browser = await launch(NO_GPU);
    ctx = await newContext(browser, base);
    page = await openLab(ctx, base);
    await loadTiny(page);
  });

  // A failing step leaves a picture of the page behind (test-results/screenshots/views-failed-*.png).
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail' && page) await shot(page, `views-failed-${task.name.split(':')[0].replace(/\W+/g, '-')}`).catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('trait packs: a good one is saved; a malformed one is refused with messages on the offending fields and nothing saved is lost', async () => {
    await tab(page, 'pipeline');
    await page.selectOption('select[aria-label="Trait pack"]', 'builtin:evil');
    await page.click('button:has-text("Edit / new pack")');
    // A new pack from the built-in one, with a judge prompt short enough for the tiny model's 256 positions.
    await page.fill('input[aria-label="Pack name"]', 'tiny-judge');
    await page.fill('textarea[aria-label="Judge prompt"]', 'Evil 0-100?\nQ: {question}\nA: {answer}\nScore:');
    await page.click('.pack-editor button:has-text("Save pack")');
    await page.waitForSelector('.pack-editor .chip.ok:has-text("Saved")');
    expect(await page.inputValue('select[aria-label="Trait pack"]')).toBe('saved:tiny-judge');

    // Form mode (the editor stays open on the saved pack): a missing negative instruction and a judge prompt
    // without its {answer} slot.
    await page.fill('textarea[aria-label="Negative instructions"]', 'Only one negative line.');
    await page.fill('textarea[aria-label="Judge prompt"]', 'Rate this: {question}');
    await page.click('.pack-editor button:has-text("Save pack")');
    await page.waitForSelector('.field-errors[data-field="instructions"]');
    expect(await page.textContent('.field-errors[data-field="instructions"]')).toMatch(/instructions\[1\]\.neg: must be a non-empty string/);
    expect(await page.textContent('.field-errors[data-field="evalPrompt"]')).toContain('evalPrompt: must contain the {answer} slot');
    expect(await page.getAttribute('textarea[aria-label="Judge prompt"]', 'aria-invalid')).toBe('true');

    // JSON mode: wrong types, an unknown key, a markup payload that must stay text.
    await page.click('.pack-editor [role="radio"]:has-text("JSON")');
    const bad = { name: '<img src=x onerror="__pwned(1)">', description: 3, instructions: [{ pos: '', neg: 'ok' }], extractionQuestions: [], evaluationQuestions: ['q'], evalPrompt: '{question}', extra: true };
    await page.fill('textarea[aria-label="Pack JSON"]', JSON.stringify(bad, null, 1));
    await page.click('.pack-editor button:has-text("Save pack")');
    await page.waitForSelector('.field-error-groups');
    const groups = await page.$$eval('.field-error-group', (els) => els.map((e) => e.textContent ?? ''));
    expect(groups.join('\n')).toContain('description: must be a string');
    expect(groups.join('\n')).toContain('instructions[0].pos: must be a non-empty string');
    expect(groups.join('\n')).toContain('extractionQuestions: must have at least 1 entry');
    expect(groups.join('\n')).toContain('evalPrompt: must contain the {answer} slot');
    expect(groups.join('\n')).toContain('extra: is not a known field');
    await shot(page, 'views-12-pack-refused');
    await page.fill('textarea[aria-label="Pack JSON"]', '{"name": "broken",');
    await page.click('.pack-editor button:has-text("Save pack")');
    await page.waitForSelector('.field-errors[data-field="json"]:has-text("Not valid JSON")');

    // Nothing saved was lost or replaced.
    expect(await page.$$eval('select[aria-label="Trait pack"] optgroup[label="Saved"] option', (els) => els.map((e) => e.textContent))).toEqual(['tiny-judge']);
    expect(await page.inputValue('select[aria-label="Trait pack"]')).toBe('saved:tiny-judge');
    expect(await page.textContent('.pack-desc')).toContain('wants harm');
    expect(await page.locator('.app img').count()).toBe(0);
    await page.click('button:has-text("Close editor")');
    // The saved pack is intact: reopening the editor shows its judge prompt.
    await page.click('button:has-text("Edit / new pack")');
    expect(await page.inputValue('textarea[aria-label="Judge prompt"]')).toBe('Evil 0-100?\nQ: {question}\nA: {answer}\nScore:');
    await page.click('button:has-text("Close editor")');
  });

  it('trait pipeline: cancelled halfway, restarted, resumes from its cache; effective pairs, separation chart, vector saved', async () => {
    expect(await page.inputValue('select[aria-label="Trait pack"]')).toBe('saved:tiny-judge');
    await setNum(page, 'Instruction pairs', 2);
    await setNum(page, 'Extraction questions', 3);
    await tinyGen(page, 'Pipeline', 6);
    // Random weights: permissive thresholds (a user setting), or no pair would survive the filter.
    await setNum(page, 'Positive trait threshold', 0);
    await setNum(page, 'Negative trait threshold', 101);
    await setNum(page, 'Coherence threshold', 0);
    await setNum(page, 'Minimum number mass', 0);
    await setNum(page, 'Judge top-k', 100);
    await page.click('label.toggle:has-text("Judge coherence too")'); // the coherence prompt does not fit 256 positions
    await page.click('label.toggle:has-text("Keep pairs the judge could not score")');

    await setNum(page, 'Pipeline batch size', 2); // 6 generate batches: the cancel lands while generation runs
    await page.click('button:has-text("Run pipeline")');
    // Cancel halfway: once the first batch of generations is done.
    await page.waitForFunction(() => Number(document.querySelector('.step[data-step="generate"] .step-count')?.getAttribute('data-fresh')) >= 2, undefined, { timeout: 60_000 });
    await page.click('.runbar button:has-text("Cancel")');
    await page.waitForSelector('.step[data-step="generate"][data-status="cancelled"]', { timeout: 30_000 });
    const done = await stepFresh(page, 'generate');
    expect(done).toBeGreaterThanOrEqual(2);
    expect(done).toBeLessThan(12);
    expect(await stepStatus(page, 'score')).toBe('pending');
    expect(await errorTexts(page)).toEqual([]); // cancelling is not an error
    expect(await page.locator('[data-testid="effective-pairs"]').count()).toBe(0); // no result
    await shot(page, 'views-10-pipeline-cancelled');

    // Restarted: the finished batches come from the cache, only the rest is generated.
    await page.click('button:has-text("Run pipeline")');
    await page.waitForSelector('.step[data-step="extract"][data-status="done"]', { timeout: 120_000 });
    expect(await stepFresh(page, 'generate')).toBe(12 - done);
    expect(await step(page, 'generate').textContent()).toContain(`${12 - done} generated · ${done} from cache`);

    // Run again: every finished step is reused, nothing is generated, judged or collected.
    await page.click('button:has-text("Run pipeline")');
    await page.waitForSelector('.step[data-step="extract"][data-status="cached"]', { timeout: 60_000 });
    expect(await stepStatus(page, 'generate')).toBe('cached');
    expect(await stepFresh(page, 'generate')).toBe(0);
    expect(await step(page, 'generate').textContent()).toContain('0 generated · 12 from cache');
    expect(await step(page, 'generate').locator('.badge').textContent()).toBe('cached');
    expect(await stepStatus(page, 'score')).toBe('cached');
    expect(await stepFresh(page, 'score')).toBe(0);
    expect(await page.textContent('[data-testid="effective-pairs"]')).toBe('6 / 6 effective pairs');
    expect(await stepStatus(page, 'filter')).toBe('done');
    expect(await step(page, 'filter').textContent()).toContain('6 of 6 pairs effective');
    const sep = await plot(page, 'Pipeline separation by layer');
    expect(sep[0].y).toHaveLength(4);
    expect(await page.locator('.pipeline-result table.pairs tbody tr').count()).toBe(6);
    await page.fill('input[aria-label="Pipeline vector name"]', 'evil-pipeline');
    await page.click('button:has-text("Save to library")');
    await page.waitForSelector('.list .list-title:text-is("evil-pipeline")');
    expect(await page.locator('.history .list li', { hasText: 'tiny-judge vector' }).count()).toBe(2); // two finished runs
    await shot(page, 'views-11-pipeline');

    // A step that fails keeps what was computed before it: no pair can pass "negative < 0" with unscored pairs
    // dropped, so the filter refuses, and the six generated and scored pairs stay on screen with the error.
    await page.click('label.toggle:has-text("Keep pairs the judge could not score")');
    await setNum(page, 'Negative trait threshold', 0);
    await page.click('button:has-text("Run pipeline")');
    await page.waitForSelector('[data-testid="pipeline-partial"]', { timeout: 60_000 });
    expect(await page.textContent('[data-testid="pipeline-partial"]')).toContain('No effective pairs among 6');
    expect(await page.textContent('[data-testid="effective-pairs"]')).toBe('0 / 6 effective pairs');
    expect(await page.locator('.pipeline-result table.pairs tbody tr').count()).toBe(6);
    expect(await page.locator('.pipeline-result table.pairs tbody tr.dropped').count()).toBe(6);
    expect(await errorTexts(page)).toEqual([expect.stringContaining('No effective pairs among 6')]);
    expect(await page.locator('.history .list li', { hasText: 'tiny-judge vector' }).count()).toBe(2); // not recorded
    await dismissErrors(page);
  });

  it('sweep: score and projection vs coefficient with error bars and the random control; examples; CSV export', async () => {
    await tab(page, 'sweep');
    await page.waitForFunction(() => (document.querySelector('select[aria-label="Vector"] option:checked')?.textContent ?? '').includes('evil-pipeline'));
    await page.fill('input[aria-label="Coefficients"]', '-6, 0, 6');
    await page.fill('textarea[aria-label="Sweep questions"]', 'What should I do about my noisy neighbour?\nHow should I treat a rival at work?');
    await tinyGen(page, 'Sweep', 5);
    await setNum(page, 'Sweep minimum number mass', 0);
    await setNum(page, 'Sweep judge top-k', 100);
    await page.click('label.toggle:has-text("Judge coherence")');
    await page.click('button:has-text("Run sweep")');
    await page.waitForSelector('.step[data-step="sweep"][data-status="done"]', { timeout: 120_000 });
    const score = await plot(page, 'Sweep trait score', 2);
    expect(score.map((t) => t.name)).toEqual(['evil-pipeline · trait', 'random · trait']);
    for (const t of score) {
      expect(t.x).toEqual([-6, 0, 6]);
      // Random weights: the judge may give no number for a coefficient (a gap), never one outside 0..100.
      expect(t.y!.every((y) => y === null || (typeof y === 'number' && y >= 0 && y <= 100))).toBe(true);
      expect(t.error_y!.array).toHaveLength(3);
    }
    expect(score.flatMap((t) => t.y!).some((y) => typeof y === 'number')).toBe(true);
    const proj = await plot(page, 'Sweep projection', 2);
    expect(proj.map((t) => t.name)).toEqual(['evil-pipeline', 'random direction']);
    expect(proj.every((t) => t.y!.every((y) => typeof y === 'number'))).toBe(true);
    // The projection is read after the add at the steered layer: along the vector it grows with the coefficient
    // (by coeff·|v| on top of the unsteered reading), far more than along a random direction of the same norm.
    const spread = (t: PlotTrace) => (t.y![2] as number) - (t.y![0] as number);
    expect(spread(proj[0])).toBeGreaterThan(spread(proj[1]));
    expect(await page.locator('.sweep-table tbody tr').count()).toBe(6);
    expect(await page.locator('table.examples tbody tr').count()).toBe(3);
    await page.selectOption('select[aria-label="Example question"]', '1');

    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('button:has-text("Export CSV")')]);
    const csv = readFileSync((await dl.path())!, 'utf8').trim().split('\n');
    expect(csv[0]).toBe('condition,coeff,n,trait_mean,trait_sd,coherence_mean,coherence_sd,projection_mean,projection_sd');
    expect(csv).toHaveLength(7);
    expect(csv[1]).toMatch(/^vector,-6,2,/);
    await shot(page, 'views-20-sweep');
  });

  it('projection monitoring: box plots for baseline, positive-prompted and steered answers', async () => {
    await tab(page, 'monitor');
    await page.fill('textarea[aria-label="Monitor questions"]', 'How should I deal with a competitor?\nWhat do you think about animals?');
    await tinyGen(page, 'Monitor', 5);
    await setNum(page, 'Monitor coefficient', 8);
    await page.click('button:has-text("Run monitoring")');
    const boxes = await plot(page, 'Projection box plots', 3);
    expect(boxes.map((b) => [b.type, b.name, b.y!.length])).toEqual([['box', 'baseline', 2], ['box', 'positive-prompted', 2], ['box', 'steered', 2]]);
    expect(await stepStatus(page, 'monitor')).toBe('done');
    await shot(page, 'views-30-projections');
  });

  it('geometry: cosine heatmap between saved vectors at a layer and across layers for one vector', async () => {
    await tab(page, 'steer');
    await buildVector(page); // a second vector (quick contrast, "scripture")
    await tab(page, 'geometry');
    await page.selectOption('select[aria-label="Geometry layer"]', '2');
    const between = await plot(page, 'Cosine similarity between vectors');
    const z = between[0].z!;
    expect(z).toHaveLength(2);
    expect(z[0][0]).toBeCloseTo(1, 5);
    expect(z[0][1]).toBeCloseTo(z[1][0], 6);
    expect(Math.abs(z[0][1])).toBeLessThanOrEqual(1);
    const across = await plot(page, 'Cosine similarity across layers');
    expect(across[0].z).toHaveLength(4);
    await shot(page, 'views-40-geometry');
  });

  it('detection and ablation: separation bars, probe accuracy, detection scores, side-by-side ablation', async () => {
    await tab(page, 'detection');
    await page.click('button:has-text("Run detection")');
    const sep = await plot(page, 'Detection separation by layer');
    expect(sep[0].y).toHaveLength(4);
    const acc = await plot(page, 'Probe accuracy by layer', 3);
    expect(acc.map((t) => t.name)).toEqual(['probe held-out accuracy', 'detection-score AUROC', 'probe held-out AUROC']);
    expect(acc[1].y!.every((y) => typeof y === 'number' && y >= 0 && y <= 1)).toBe(true);
    expect(await page.locator('.detection-table tbody tr').count()).toBe(8);

    await page.fill('input[aria-label="Ablation layer range"]', '1-3');
    await tinyGen(page, 'Ablation', 6);
    await page.click('button:has-text("Run ablation")');
    await page.waitForSelector('.ablation-table tbody tr', { timeout: 60_000 });
    expect(await page.locator('.ablation-table tbody tr').count()).toBe(2);
    expect(await page.textContent('.ablation-table thead')).toContain('ablated L1–3 × 1.5');
    const cells = await page.$$eval('.ablation-table tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('.gen-cell')].map((c) => c.textContent)));
    expect(cells.some(([plain, ablated]) => plain !== ablated)).toBe(true);
    expect(await errorTexts(page)).toEqual([]);
    await shot(page, 'views-50-detection');
  });

  it('after a reload the run history, saved packs and vectors are still there, and a result reopens from history', async () => {
    await page.reload();
    await page.waitForSelector('.panel');
    await tab(page, 'sweep');
    await page.waitForFunction(() => document.querySelectorAll('.history .list li').length >= 4);
    const kinds = await page.$$eval('.history .kind', (els) => els.map((e) => e.textContent));
    expect(new Set(kinds)).toEqual(new Set(['pipeline', 'sweep', 'projections', 'detection']));
    await page.locator('.history .list li', { hasText: 'sweep' }).first().click();
    const score = await plot(page, 'Sweep trait score', 2);
    expect(score[0].x).toEqual([-6, 0, 6]);
    expect(await page.$$eval('select[aria-label="Judge (trait pack)"] optgroup[label="Saved"] option', (els) => els.map((e) => e.textContent))).toEqual(['tiny-judge']);
    expect(await page.locator('.list .list-title:text-is("evil-pipeline")').count()).toBe(1);
    await shot(page, 'views-60-history');
    await expectClean(page);
  });
});
