/**
 * The lab as a new user meets it (issue 12, first part), in real headless Chromium on wasm with the tiny
 * model: time to the first chart and its loading note, every rough edge the issue lists (fields, layout at
 * 1280×800 and 390×844, share links that fail, imports, absurd vectors, long prompts, slider ranges, the views'
 * labels and defaults, negative separation), accessibility (names, arrow keys, focus ring, an axe-core scan of
 * every view, a keyboard-only journey) and screenshots of every view at both sizes in test-results/screenshots.
 * Expects a finished `npm run build`; run: npx vitest run -c vitest.e2e.config.ts tests/e2e/teach.e2e.test.ts
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeShareLink } from '../../src/engine/clients/io/shareLink';
import { exportVectorJson } from '../../src/engine/clients/io/vectorJson';
import { LAYER_CONVENTION, type VectorSet } from '../../src/engine/clients/vectors/meta';
import { ptFile } from '../fixtures/torchPt';
import {
  axeSerious, buildVector, dismissErrors, errorTexts, expectClean, launch, loadTiny, logLength, NO_GPU, openLab, ready, settle, shot, SKIP_NOTE,
  startPreview, tinyDims, workerLog, type LabPage,
} from './harness';

const VIEWS = ['steer', 'pipeline', 'sweep', 'monitor', 'geometry', 'detection', 'seed002'] as const;
const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;

/** A vector set of the tiny model's shape with one layer filled by `fill(i)`. */
function vectorSet(L: number, D: number, layer: number, trait: string, fill: (i: number) => number): VectorSet {
  const vectors = new Float32Array(L * D);
  for (let i = 0; i < D; i++) vectors[layer * D + i] = fill(i);
  return {
    vectors,
    meta: { modelId: 'tiny-test', tap: 'hook_resid_post', pooling: 'unknown', method: 'imported', counts: { pos: 0, neg: 0 }, layerConvention: LAYER_CONVENTION, hiddenSize: D, numLayers: L, layers: [layer], normalized: false, trait },
  };
}

const rect = (page: Page, sel: string) => page.locator(sel).first().evaluate((el) => { const r = el.getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height }; });
const overlap = (a: { left: number; right: number; top: number; bottom: number }, b: typeof a) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
const libraryNames = (page: Page) => page.$$eval('.list .list-title', (els) => els.map((e) => e.textContent ?? ''));

/** Presses Tab until the focused element matches `sel` (a keyboard user's way there). */
async function tabTo(page: Page, sel: string, max = 120): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => !!document.activeElement?.matches(s), sel)) return;
  }
  throw new Error(`Tab never reached ${sel}`);
}

describe.skipIf(!ready)(`The lab as a teacher meets it (${SKIP_NOTE})`, () => {
  let server: PreviewServer;
  let base: string;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: LabPage;
  let L = 0;
  let D = 0;

  beforeAll(async () => {
    ({ server, base } = await startPreview());
    browser = await launch(NO_GPU);
    ctx = await browser.newContext({ viewport: SIZES.desktop, deviceScaleFactor: 1 });
    ({ L, D } = tinyDims());
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('plotly comes as the cartesian partial bundle; Build vector → first chart is timed; a slow chart says "loading chart…"', async () => {
    const scripts: { url: string; bytes: number }[] = [];
    // Plotly is fetched once the page is idle after its first paint: listen from before it opens.
    ctx.on('response', (r) => { if (/plotly/.test(r.url())) void r.body().then((b) => scripts.push({ url: r.url(), bytes: b.length })).catch(() => undefined); });
    page = await openLab(ctx, base);
    await loadTiny(page);
    // Time from the click to the separation chart drawn, and from its data (the chart's box) to the drawing.
    await page.evaluate(() => {
      const w = window as unknown as { __t: Record<string, number> };
      w.__t = {};
      new MutationObserver(() => {
        if (!w.__t.data && document.querySelector('.sep .chart-box')) w.__t.data = performance.now();
        if (!w.__t.drawn && document.querySelector('.sep .chart .main-svg')) w.__t.drawn = performance.now();
      }).observe(document.body, { childList: true, subtree: true });
    });
    const t0 = await page.evaluate(() => performance.now());
    await buildVector(page);
    const t = await page.evaluate(() => (window as unknown as { __t: Record<string, number> }).__t);
    const toChart = t.drawn - t0, afterData = t.drawn - t.data;
    console.log(`time to first chart: Build vector → chart ${toChart.toFixed(0)} ms (chart drawn ${afterData.toFixed(0)} ms after its data)`);
    expect(afterData).toBeLessThan(2000);
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.every((s) => /plotly-cartesian/.test(s.url))).toBe(true);
    expect(Math.max(...scripts.map((s) => s.bytes))).toBeLessThan(2_000_000);
    expect(await page.locator('.sep .chart-loading').count()).toBe(0);

    // A network that holds plotly back until the chart's box has said it is loading; then it draws.
    const slow = await browser.newContext({ viewport: SIZES.desktop });
    let release = () => {};
    const gate = new Promise<void>((r) => { release = r; });
    try {
      await slow.route(/plotly-cartesian/, async (route) => { await gate; await route.continue(); });
      const p2 = await openLab(slow, base);
      await loadTiny(p2);
      await p2.click('button:has-text("Build vector")');
      await p2.waitForSelector('.sep .chart-loading:has-text("loading chart…")', { timeout: 120_000 });
      release();
      await p2.waitForSelector('.sep .chart .main-svg', { timeout: 60_000 });
      expect(await p2.locator('.sep .chart-loading').count()).toBe(0);
      await expectClean(p2);
    } finally { release(); await slow.close(); }
  });

  it('max tokens: clearing leaves it empty, out-of-range values are explained inline and hold Generate back', async () => {
    const field = page.getByLabel('Max tokens');
    const generate = page.locator('button.run:has-text("Generate")');
    await field.fill('');
    expect(await field.inputValue()).toBe('');
    expect(await page.textContent('.prompt-fields')).toMatch(/Enter max tokens: a whole number from 1 to 1024\./);
    await expect.poll(() => generate.isDisabled()).toBe(true);
    await field.pressSequentially('32');
    expect(await field.inputValue()).toBe('32');
    await expect.poll(() => generate.isDisabled()).toBe(false);
    for (const [typed, says] of [['-5', /-5 is out of range/], ['1e9', /from 1 to 1024 \(the lab's limit per generation\); 1e9 is out of range/]] as const) {
      await field.fill(typed);
      expect(await field.inputValue()).toBe(typed);
      expect(await page.textContent('.prompt-fields')).toMatch(says);
      await expect.poll(() => generate.isDisabled()).toBe(true);
    }
    await field.fill('24');
    expect(await page.locator('.prompt-fields .field-msg').count()).toBe(0);
  });

  it('an over-long pasted prompt is kept whole and refused with its length, never cut silently', async () => {
    const prompt = page.getByLabel('User prompt');
    const before = await prompt.inputValue();
    await prompt.fill('sea '.repeat(25_000));
    expect((await prompt.inputValue()).length).toBe(100_000);
    expect(await page.textContent('.prompt-panel')).toMatch(/The prompt is 100,000 characters; the lab takes at most 4,000/);
    await expect.poll(() => page.locator('button.run:has-text("Generate")').isDisabled()).toBe(true);
    await prompt.fill(before);
    await expect.poll(() => page.locator('button.run:has-text("Generate")').isDisabled()).toBe(false);
  });

  it('coefficient: the slider widens to hold what the exact box takes; PageUp/PageDown move a tenth of the span', async () => {
    const slider = page.locator('input[type="range"][aria-label="Coefficient"]');
    const exact = page.locator('input[aria-label="Coefficient value"]');
    expect([await slider.getAttribute('min'), await slider.getAttribute('max')]).toEqual(['-10', '10']);
    await exact.fill('30');
    expect([await slider.getAttribute('min'), await slider.getAttribute('max'), await slider.inputValue()]).toEqual(['-50', '50', '30']);
    await slider.focus();
    await page.keyboard.press('PageUp');
    expect(await exact.inputValue()).toBe('35');
    await page.keyboard.press('PageDown');
    await page.keyboard.press('PageDown');
    expect(await exact.inputValue()).toBe('25');
    await page.keyboard.press('ArrowLeft');
    expect(await exact.inputValue()).toBe('24.5');
    await exact.fill('1250');
    expect(await page.textContent('.slot')).toMatch(/The coefficient must be a number from -1000 to 1000; 1250 is out of range/);
    expect(await slider.inputValue()).toBe('24.5');
    await exact.fill('4');
  });

  it('at 1280×800 the Positions control is whole; toggles have names; the radio group follows the arrow keys', async () => {
    const group = page.locator('.slot [role="radiogroup"][aria-label="Positions"]');
    const g = await rect(page, '.slot [role="radiogroup"]');
    const slot = await rect(page, '.slot');
    expect(g.right).toBeLessThanOrEqual(slot.right);
    expect(await group.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    for (const b of await group.locator('[role="radio"]').all()) {
      const r = await b.evaluate((el) => el.getBoundingClientRect().toJSON() as DOMRect);
      expect(r.left).toBeGreaterThanOrEqual(g.left - 0.5);
      expect(r.right).toBeLessThanOrEqual(g.right + 0.5);
    }
    expect(await page.getByRole('switch', { name: 'Steer with scripture' }).count()).toBe(1);
    expect(await page.getByRole('switch', { name: 'Ablate the scripture direction' }).count()).toBe(1);

    await group.locator('[aria-checked="true"]').focus();
    await page.keyboard.press('ArrowRight');
    expect(await group.locator('[aria-checked="true"]').textContent()).toBe('prompt');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('prompt');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    expect(await group.locator('[aria-checked="true"]').textContent()).toBe('response');
    await page.keyboard.press('Home');
    expect(await group.locator('[aria-checked="true"]').textContent()).toBe('all');
    // Keyboard focus is drawn: a solid outline at least 2 px wide.
    const ring = await page.evaluate(() => { const s = getComputedStyle(document.activeElement!); return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) }; });
    expect(ring.style).toBe('solid');
    expect(ring.width).toBeGreaterThanOrEqual(2);
    await shot(page, 'teach-steer-1280x800');
  });

  it('at 390×844 the sliders, the coefficient value and the header chip are usable and do not overlap', async () => {
    await page.setViewportSize(SIZES.phone);
    await page.locator('.ctl.ablate .toggle').click();
    expect(await page.getByRole('switch', { name: 'Ablate the scripture direction' }).isChecked()).toBe(true);
    const coeff = await rect(page, 'input[type="range"][aria-label="Coefficient"]');
    const ablate = await rect(page, 'input[type="range"][aria-label="Ablation strength"]');
    expect(coeff.width).toBeGreaterThanOrEqual(200);
    expect(ablate.width).toBeGreaterThanOrEqual(100);
    const label = await rect(page, '.ctl.coeff .ctl-label > span:first-child');
    const value = await rect(page, '.ctl.coeff .ctl-label .value');
    expect(overlap(label, value)).toBe(false);
    expect(value.right).toBeLessThanOrEqual(SIZES.phone.width);
    const chip = page.locator('.top .chip.ok');
    const c = await rect(page, '.top .chip.ok');
    expect(c.left).toBeGreaterThanOrEqual(0);
    expect(c.right).toBeLessThanOrEqual(SIZES.phone.width);
    expect(await chip.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    // The prompt's number fields keep their labels apart, and the output columns stack.
    expect(await page.$$eval('.prompt-fields .field-label', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent))).toEqual([]);
    const cols = await page.$$eval('.output .column', (els) => els.map((e) => e.getBoundingClientRect().toJSON() as DOMRect));
    expect(cols[1].top).toBeGreaterThanOrEqual(cols[0].bottom);
    // Nothing on the page is wider than the phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(SIZES.phone.width);
    await page.locator('.ctl.ablate .toggle').click();
    await shot(page, 'teach-steer-390x844');
    await page.setViewportSize(SIZES.desktop);
  });

  it('identical prompts on both sides: negative separation is flagged, not passed off as a chosen layer', async () => {
    const pos = await page.getByLabel('Positive prompts, one per line').inputValue();
    const neg = await page.getByLabel('Negative prompts, one per line').inputValue();
    await page.getByLabel('Negative prompts, one per line').fill(pos);
    // Wait for this build's own vector (the chart of the previous one is already on the page).
    const count = () => page.evaluate(() => [...document.querySelectorAll('.list .list-title')].filter((e) => e.textContent === 'scripture').length);
    const before = await count();
    await page.click('button:has-text("Build vector")');
    await expect.poll(count, { timeout: 120_000 }).toBe(before + 1);
    await page.waitForSelector('.negative-sep');
    expect(await page.textContent('.negative-sep')).toMatch(/Negative separation (on every layer|at the steered layer L\d)/);
    // The leave-one-out separation of identical sets is negative on every layer: the bars are drawn red.
    await page.waitForFunction(() => {
      const colors = (document.querySelector('.sep .chart') as unknown as { data?: { marker: { color: string[] } }[] }).data?.[0].marker.color ?? [];
      return colors.length > 1 && colors.filter((c) => c === '#f85149').length === colors.length - 1;
    });
    // Back to the real contrast, built again so one scripture vector is in the library and in play.
    await page.getByLabel('Negative prompts, one per line').fill(neg);
    while (await count()) await page.locator('.list li', { hasText: 'scripture' }).first().locator('button[aria-label^="Delete"]').click();
    await buildVector(page);
    await expect.poll(count, { timeout: 120_000 }).toBe(1);
  });

  it('importing the same file twice keeps one copy and says so; a same-named other vector is numbered', async () => {
    const input = page.locator('input[type="file"][aria-label="Import a vector or trait pack"]');
    const file = (name: string, text: string) => ({ name, mimeType: 'application/json', buffer: Buffer.from(text) });
    const calm = exportVectorJson(vectorSet(L, D, 1, 'calm', (i) => Math.cos(i)));
    const before = (await libraryNames(page)).length;
    await input.setInputFiles(file('calm.vectors.json', calm));
    await page.waitForFunction((n) => document.querySelectorAll('.list .list-title').length === n + 1, before);
    await input.setInputFiles(file('calm.vectors.json', calm));
    await page.waitForSelector('.import-note:has-text("already in the library; kept one copy")');
    expect((await libraryNames(page)).filter((n) => n === 'calm')).toHaveLength(1);
    await input.setInputFiles(file('calm2.vectors.json', exportVectorJson(vectorSet(L, D, 2, 'calm', (i) => Math.sin(i)))));
    await page.waitForSelector('.import-note:has-text("calm (2)")');
    expect((await libraryNames(page)).filter((n) => /^calm/.test(n)).sort()).toEqual(['calm', 'calm (2)']);
  });

  it('a vector with |v| = 5.6e30 or with NaN is refused with a message, and nothing is added', async () => {
    const input = page.locator('input[type="file"][aria-label="Import a vector or trait pack"]');
    const before = await libraryNames(page);
    // |v| = 5.6e30: all of it on one coordinate. Scrolled to the bottom, the message must still be in view.
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await input.setInputFiles({ name: 'huge.vectors.json', mimeType: 'application/json', buffer: Buffer.from(exportVectorJson(vectorSet(L, D, 1, 'huge', (i) => (i === 0 ? 5.6e30 : 0)))) });
    await page.waitForSelector('.errors .error');
    expect((await errorTexts(page))[0]).toMatch(/huge: the vector at layer 1 has norm 5\.60e\+30, over the limit/);
    const box = await rect(page, '.errors.floating .error');
    expect(box.top).toBeGreaterThanOrEqual(0);
    expect(box.bottom).toBeLessThanOrEqual(SIZES.desktop.height);
    await dismissErrors(page);
    const nan = Array.from({ length: (L + 1) * D }, (_, i) => (i === D + 3 ? NaN : Math.sin(i)));
    await input.setInputFiles({ name: 'nan_response_avg_diff.pt', mimeType: 'application/octet-stream', buffer: Buffer.from(ptFile({ shape: [L + 1, D], values: nan })) });
    await page.waitForSelector('.errors .error');
    expect((await errorTexts(page))[0]).toMatch(/NaN/);
    await dismissErrors(page);
    expect(await libraryNames(page)).toEqual(before);
  });

  it('share links that cannot be replayed store nothing: wrong layer, wrong hidden size, unreachable model', async () => {
    const state = { modelId: 'tiny-test', dtype: 'fp32' as const, traitName: 'linked', layer: 1, coeff: 3, mode: 'all' as const, prompt: 'hi', systemPrompt: '', seed: 1, temperature: 0, maxTokens: 8 };
    const unit = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.cos(i) / 4);
    const cases = [
      { what: 'wrong layer', hash: encodeShareLink({ ...state, layer: L + 5, vector: unit(D) }), says: new RegExp(`layer ${L + 5}, but tiny-test has ${L} layers`) },
      { what: 'wrong hidden size', hash: encodeShareLink({ ...state, vector: unit(D / 2) }), says: new RegExp(`a vector of ${D / 2} values, but tiny-test has hidden size ${D}`) },
      { what: 'unreachable model', hash: encodeShareLink({ ...state, modelId: 'nobody-here/no-such-model', vector: unit(D) }), says: /could not be loaded.*was not added to the library/ },
    ];
    for (const c of cases) {
      const fresh = await browser.newContext({ viewport: SIZES.desktop });
      try {
        const p = await openLab(fresh, `${base}${c.hash}`);
        await p.waitForFunction(() => [...document.querySelectorAll('.errors .error')].some((e) => /Share link/.test(e.textContent ?? '')), undefined, { timeout: 120_000 });
        const errs = (await errorTexts(p)).join(' | ');
        expect(errs, c.what).toMatch(c.says);
        expect(errs, c.what).not.toMatch(/rows\[|prompt activations only/);
        expect(await libraryNames(p), c.what).toEqual([]);
        await p.reload();
        await p.waitForSelector('.panel');
        await p.waitForTimeout(300);
        expect(await libraryNames(p), `${c.what}, after reload`).toEqual([]);
      } finally { await fresh.close(); }
    }
  });

  it('Projections says it reads answers back without steering and opens on the vector\'s own pack; Geometry says "1 vector" at the vector\'s layer', async () => {
    const layer = await page.inputValue('.slot select[aria-label="Layer"]');
    await page.click('[data-tab="monitor"]');
    await page.waitForSelector('.what-it-measures');
    expect(await page.textContent('.what-it-measures')).toMatch(/read back\s+without steering/);
    // The pack follows the vector's name ("optimism" → the optimistic pack); a name no pack has leaves it alone.
    const packIs = (key: string) => page.waitForFunction((k) => (document.querySelector('select[aria-label="Trait pack"]') as HTMLSelectElement | null)?.value === k, key);
    await page.locator('input[type="file"][aria-label="Import a vector or trait pack"]').setInputFiles({ name: 'optimism.vectors.json', mimeType: 'application/json', buffer: Buffer.from(exportVectorJson(vectorSet(L, D, 1, 'optimism', (i) => Math.sin(2 * i)))) });
    await page.waitForSelector('select[aria-label="Vector"] option:text-is("optimism")', { state: 'attached' });
    await page.selectOption('select[aria-label="Vector"]', { label: 'optimism' });
    await packIs('builtin:optimistic');
    await page.selectOption('select[aria-label="Trait pack"]', 'builtin:evil');
    await page.selectOption('select[aria-label="Vector"]', { label: 'scripture' });
    await packIs('builtin:scripture');
    await page.selectOption('select[aria-label="Vector"]', { label: 'calm' });
    await page.waitForTimeout(200);
    expect(await page.inputValue('select[aria-label="Trait pack"]')).toBe('builtin:scripture');

    // Geometry with one vector of this model's size at the steered layer.
    await page.click('[data-tab="steer"]');
    for (const name of ['calm (2)', 'calm', 'optimism']) await page.locator('.list li', { hasText: name }).first().locator('button[aria-label^="Delete"]').click();
    await page.waitForFunction(() => ![...document.querySelectorAll('.list .list-title')].some((e) => /^(calm|optimism)/.test(e.textContent ?? '')));
    const names = await libraryNames(page);
    await page.click('[data-tab="geometry"]');
    await page.waitForSelector('.geometry-between');
    expect(await page.inputValue('select[aria-label="Geometry layer"]')).toBe(layer);
    expect(await page.textContent('.geometry-between .panel-head'), names.join(', ')).toContain(`1 vector at L${layer}`);
  });

  it('Detection: the probe chart has an x-axis title and the AUROC line is explained', async () => {
    await page.click('[data-tab="detection"]');
    await page.click('button:has-text("Run detection")');
    await page.waitForSelector('.detection-charts .chart .main-svg', { timeout: 180_000 });
    await page.waitForFunction(() => { const charts = [...document.querySelectorAll('.detection-charts .chart')]; return charts.length === 2 && charts.every((c) => c.querySelector('.main-svg')); });
    const titles = await page.$$eval('.detection-charts .chart', (els) => els.map((el) => (el as unknown as { layout: { xaxis: { title: { text: string } } } }).layout.xaxis.title.text));
    expect(titles).toEqual(['layer', 'layer']);
    expect(await page.textContent('.auroc-explained')).toMatch(/AUROC [\d.]+ in-sample.*the direction has seen them.*held out.*trained without each prompt.*0\.50 is chance/s);
  });

  it('axe-core finds no serious or critical violation in any view at 1280×800; screenshots of every view at both sizes', async () => {
    const found: Record<string, string[]> = {};
    for (const view of VIEWS) {
      await page.setViewportSize(SIZES.desktop);
      await page.click(`[data-tab="${view}"]`);
      await page.waitForSelector(view === 'steer' ? '.output' : `[data-view="${view}"]`);
      await page.waitForTimeout(200);
      found[view] = await axeSerious(page);
      await shot(page, `view-${view}-1280x800`);
      await page.setViewportSize(SIZES.phone);
      await page.waitForTimeout(200);
      await shot(page, `view-${view}-390x844`);
    }
    await page.setViewportSize(SIZES.desktop);
    console.log(`axe-core serious/critical violations per view: ${VIEWS.map((v) => `${v} ${found[v].length}`).join(', ')}`);
    expect(found).toEqual(Object.fromEntries(VIEWS.map((v) => [v, []])));
    await page.click('[data-tab="steer"]');
    await expectClean(page);
  });

  it('keyboard only: load the model, build the vector, steer and generate without the mouse; a reload brings the session back, Seed 002 settings included', async () => {
    const kb = await browser.newContext({ viewport: SIZES.desktop });
    try {
      const p = await openLab(kb, base);
      await tabTo(p, 'select[aria-label="Model"]');
      await p.keyboard.type('Tiny');
      expect(await p.inputValue('select[aria-label="Model"]')).toBe('tiny');
      await tabTo(p, 'button:is(.primary):not([disabled])');
      expect(await p.evaluate(() => document.activeElement?.textContent)).toBe('Load model');
      await p.keyboard.press('Enter');
      await p.waitForSelector('.top .chip.ok', { timeout: 120_000 });
      await tabTo(p, 'button.primary.wide:not([disabled])');
      expect(await p.evaluate(() => document.activeElement?.textContent)).toBe('Build vector');
      await p.keyboard.press('Enter');
      await p.waitForSelector('.slot', { timeout: 120_000 });
      await tabTo(p, 'input[type="range"][aria-label="Coefficient"]');
      await p.keyboard.press('PageUp');
      await p.keyboard.press('ArrowRight');
      expect(await p.inputValue('input[aria-label="Coefficient value"]')).toBe('5.1');
      const from = await logLength(p);
      await tabTo(p, 'button.run');
      expect(await p.evaluate(() => document.activeElement?.textContent)).toBe('Generate');
      await p.keyboard.press('Enter');
      const result = await settle(p, from);
      expect(result.text![1].length).toBeGreaterThan(0);
      const sent = (await workerLog(p)).slice(from).filter((e) => e.dir === 'out' && e.type === 'generate');
      expect(sent.at(-1)!.coeff).toBeCloseTo(5.1, 5);
      await expectClean(p);

      // A reload restores the session: the model loads again from the cache, the slot, the prompt and the open view return.
      await p.getByLabel('User prompt').fill('Tell me of the hills.');
      await p.click('[data-tab="seed002"]');
      await p.fill('input[aria-label="Seed 002 seeds"]', '5, 6');
      await p.fill('textarea[aria-label="Seed 002 questions"]', 'Who keeps the lighthouse?');
      await p.fill('input[aria-label="Seed 002 max tokens"]', '12');
      await p.click('[data-tab="geometry"]');
      await p.waitForTimeout(500); // the session is written at most every 300 ms
      await p.reload();
      await p.waitForSelector('.top .chip.ok', { timeout: 120_000 });
      expect(await p.getAttribute('[data-tab="geometry"]', 'aria-selected')).toBe('true');
      await p.click('[data-tab="steer"]');
      expect(await p.inputValue('input[aria-label="Coefficient value"]')).toBe('5.1');
      expect(await p.getByLabel('User prompt').inputValue()).toBe('Tell me of the hills.');
      expect(await p.textContent('.slot-name')).toBe('scripture');
      await p.click('[data-tab="seed002"]');
      expect(await p.inputValue('input[aria-label="Seed 002 seeds"]')).toBe('5, 6');
      expect(await p.inputValue('textarea[aria-label="Seed 002 questions"]')).toBe('Who keeps the lighthouse?');
      expect(await p.inputValue('input[aria-label="Seed 002 max tokens"]')).toBe('12');
      await p.click('[data-tab="steer"]');
      await expectClean(p);
    } finally { await kb.close(); }
  });
});
