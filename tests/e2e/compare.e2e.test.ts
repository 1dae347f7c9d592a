/**
 * Steering beside prompting on the trained demo model (issue 12, second part), in real headless Chromium on
 * wasm: the prompted column (the scripture pack's first instruction as system prompt, no steering) comes from
 * the same request as baseline and steered, has its trace on the projection chart, survives slider moves and
 * switches off and on without being generated again; every column's tokens are tinted by h·v̂, live while
 * streaming, with the values the engine computed; an axe-core scan at 390×844 with three columns; the layer ×
 * strength map (Sweeps view) over every layer, scored by the lexical judge, and a click on a cell steers there;
 * every view's one-line statement of what it measures with which model, layer, vector and judge, and an axe
 * scan of every view at 390×844.
 * Expects a finished `npm run build`; run: npx vitest run -c vitest.e2e.config.ts tests/e2e/compare.e2e.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lexicalScore } from '../../src/engine/clients/eval/lexicalJudge';
import { scripture } from '../../src/engine/clients/eval/packs/scripture';
import { axeSerious, buildVector, chartTraces, columns, errorTexts, expectClean, generations, logLength, loadSelected, NO_GPU, openLab, promptedColumn, ready, settle, shot, shotOf, SKIP_NOTE, startLabSession, workerLog, type LabPage, type LabSession, type WorkerLogEntry } from './harness';

/** Per column as rendered: the tinted tokens' text, their titles' h·v̂ and their background. */
async function tokens(page: LabPage, col: string): Promise<{ text: string[]; value: number[]; bg: string[] }> {
  return page.$$eval(`.output .gen[data-col="${col}"] .tok`, (els) => ({
    text: els.map((e) => e.textContent ?? ''),
    value: els.map((e) => Number((e.getAttribute('title') ?? '').split('= ')[1])),
    bg: els.map((e) => (e as HTMLElement).style.background),
  }));
}

/** Switches the prompted column on or off the way a user does, by its label (the switch's input is visually hidden). */
async function setPrompted(page: LabPage, on: boolean): Promise<void> {
  const sw = page.getByRole('switch', { name: /Prompted column/ });
  if ((await sw.isChecked()) !== on) await page.locator('label.toggle', { hasText: 'Prompted column' }).click();
  expect(await sw.isChecked()).toBe(on);
}

describe.skipIf(!ready)(`Steering beside prompting on the demo model (${SKIP_NOTE})`, () => {
  let lab: LabSession;
  let page: LabPage;
  let first: WorkerLogEntry;
  let strength2 = NaN;

  beforeAll(async () => {
    lab = await startLabSession(NO_GPU);
    page = await openLab(lab.ctx, lab.base);
    expect(await page.inputValue('select[aria-label="Model"]')).toBe('demo');
    await loadSelected(page);
    await buildVector(page);
  });
  afterAll(async () => { await lab?.close(); });

  it('the prompted column is on by default for a vector with a pack instruction, is one more row of the same request, says which instruction it used, and has its trace', async () => {
    // The quick-contrast vector is named "scripture", like a built-in pack: nobody has touched the switch.
    expect(await page.getByRole('switch', { name: /Prompted column/ }).isChecked()).toBe(true);
    await page.fill('input[aria-label="Coefficient value"]', '2');
    // Watch the steered column while it streams: tinted tokens must appear before the run is done.
    await page.evaluate(() => {
      const w = window as unknown as { __liveTint: boolean };
      w.__liveTint = false;
      new MutationObserver(() => {
        const generating = /^generating/.test(document.querySelector('.output .panel-head > span')?.textContent ?? '');
        if (generating && document.querySelector('.output .gen[data-col="steered"] .tok')) w.__liveTint = true;
      }).observe(document.querySelector('.output')!, { subtree: true, childList: true, characterData: true });
    });
    const from = await logLength(page);
    await page.click('button.run:has-text("Generate")');
    first = await settle(page, from);
    expect(generations(await workerLog(page), from).map((g) => g.rows)).toEqual([3]);
    expect(await page.evaluate(() => (window as unknown as { __liveTint: boolean }).__liveTint)).toBe(true);

    expect(await page.textContent('[data-testid="prompted-instruction"]')).toContain(scripture.instructions[0].pos);
    const [baseline, steered] = await columns(page);
    const prompted = await promptedColumn(page);
    expect([baseline, prompted, steered]).toEqual(first.text);
    expect(prompted).not.toBe(baseline);
    console.log(`demo model, scripture @ +2 — lexical scripture score: baseline ${lexicalScore(baseline, scripture.markers!)}, prompted ${lexicalScore(prompted!, scripture.markers!)}, steered ${lexicalScore(steered, scripture.markers!)}`);
    console.log(`texts: ${JSON.stringify(first.text)}`);

    const chart = await chartTraces(page, first.tokens!);
    expect(chart.map((t) => t.name)).toEqual(['baseline', 'prompted', 'steered']);
    chart.forEach((t, r) => expect(t.y).toEqual(first.projections![r]));
    expect(await errorTexts(page)).toEqual([]);
    await shot(page, 'compare-prompted', 1200);
  });

  it('the Steer slot and the run history give the coefficient in units of the layer\'s residual norm, measured on the prompt', async () => {
    const readout = page.locator('[data-testid="slot-strength"]');
    await page.waitForFunction(() => /^= /.test(document.querySelector('[data-testid="slot-strength"]')?.textContent ?? ''), null, { timeout: 60_000 });
    const layer = await page.inputValue('select[aria-label="Layer"]');
    const text = (await readout.textContent())!;
    expect(text).toMatch(new RegExp(`^= \\d+\\.\\d\\d × \\|h\\| at L${layer}$`));
    strength2 = Number(await readout.getAttribute('data-strengths'));
    const norm = Number(await readout.getAttribute('data-norm'));
    expect(text).toContain(strength2.toFixed(2));
    // The steered column's title carries the same readout as the slot that steers it.
    expect(await page.textContent('[data-testid="steered-strength"]')).toBe(text);
    // strength = coeff × |v| / mean |h|: the vector norm it implies is the one the slot shows (1 decimal).
    const coeff = Number(await page.inputValue('input[aria-label="Coefficient value"]'));
    expect(coeff).toBe(2);
    const shownNorm = Number(/\|v\|=([\d.]+)/.exec((await page.textContent('.slot-head'))!)![1]);
    expect(Math.abs((strength2 * norm) / coeff - shownNorm)).toBeLessThanOrEqual(0.05 + 1e-9);
    const title = (await readout.getAttribute('title'))!;
    expect(title).toContain(`at L${layer}`);
    expect(title).toMatch(/measured on ".+" \(\d+ tokens, /);
    expect(title).toContain(await page.getByLabel('User prompt').inputValue());
    // The run just generated is in the history with the same strength and what it was measured on.
    await page.waitForSelector('.run-strength');
    const run = page.locator('.run-strength').first();
    expect(await run.textContent()).toBe(` (= ${strength2.toFixed(2)} × |h|)`);
    expect(await page.locator('.list li', { has: run }).locator('[title]').first().getAttribute('title')).toContain('mean |h|');
  });

  it('tints every token by its projection, with the engine\'s values, one scale for all columns, and a legend', async () => {
    const scale = Math.max(...first.projections!.flat().map(Math.abs));
    for (const [r, col] of ['baseline', 'prompted', 'steered'].entries()) {
      const t = await tokens(page, col);
      expect(t.text).toHaveLength(first.tokens![r]);
      expect(t.text.join('')).toBe(first.text![r]);
      t.value.forEach((v, i) => expect(v).toBeCloseTo(first.projections![r][i], 3));
      // The tint's hue is the sign and its alpha |x| / scale × 0.45 (hand computation of the rule).
      t.bg.forEach((bg, i) => {
        const x = first.projections![r][i];
        const [, rgb, a] = /^rgba\((\d+, \d+, \d+), ([\d.]+)\)$/.exec(bg) ?? [];
        if (Math.abs(x) / scale * 0.45 < 0.0005) return; // rounds to transparent
        expect(rgb).toBe(x >= 0 ? '245, 165, 36' : '110, 168, 254');
        expect(Number(a)).toBeCloseTo(Math.abs(x) / scale * 0.45, 2);
      });
    }
    const legend = await page.getAttribute('.heat-legend', 'aria-label');
    expect(legend).toMatch(/^Token tint: projection h·v̂ at L\d+/);
    expect(legend).toContain(scale.toFixed(2));
  });

  it('a slider move generates the steered row alone; baseline and prompted stay; off and on again reuses the kept prompted row', async () => {
    const [baseline] = await columns(page);
    const prompted = await promptedColumn(page);
    let from = await logLength(page);
    await page.fill('input[aria-label="Coefficient value"]', '-1');
    const moved = await settle(page, from);
    expect(generations(await workerLog(page), from).map((g) => [g.coeff, g.rows])).toEqual([[-1, 1]]);
    // Same prompt: the residual norm is not measured again, and the readout scales with the coefficient.
    expect(generations(await workerLog(page), from, { norms: true })).toHaveLength(1);
    expect(Number(await page.getAttribute('[data-testid="slot-strength"]', 'data-strengths'))).toBeCloseTo(-strength2 / 2, 10);
    expect(Number(await page.getAttribute('[data-testid="steered-strength"]', 'data-strengths'))).toBeCloseTo(-strength2 / 2, 10);
    expect((await columns(page))[0]).toBe(baseline);
    expect(await promptedColumn(page)).toBe(prompted);
    expect((await chartTraces(page, [first.tokens![0], first.tokens![1], moved.tokens![0]])).map((t) => t.y)).toEqual([first.projections![0], first.projections![1], moved.projections![0]]);

    from = await logLength(page);
    await setPrompted(page, false);
    await settle(page, from);
    expect(await promptedColumn(page)).toBeNull();
    expect(await page.locator('.output .chart').evaluate((el) => (el as unknown as { data: { name: string }[] }).data.map((t) => t.name))).toEqual(['baseline', 'steered']);

    from = await logLength(page);
    await setPrompted(page, true);
    await settle(page, from);
    expect(generations(await workerLog(page), from).map((g) => g.rows)).toEqual([1]); // kept, not generated again
    expect(await promptedColumn(page)).toBe(prompted);
    expect(await errorTexts(page)).toEqual([]);
  });

  it('has no serious or critical accessibility violations with three tinted columns, at 1280×800 and 390×844', async () => {
    expect(await axeSerious(page)).toEqual([]);
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await axeSerious(page)).toEqual([]);
    // The columns stack on a phone: each as wide as the panel.
    const widths = await page.$$eval('.output .column', (els) => els.map((e) => Math.round(e.getBoundingClientRect().width)));
    expect(widths).toHaveLength(3);
    expect(new Set(widths).size).toBe(1);
    await shot(page, 'compare-prompted-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
    await expectClean(page);
  });

  it('Sweeps gives every coefficient of the grid and of the results in units of the layer\'s residual norm on the first question', async () => {
    await page.click('.tabs button[data-tab="sweep"]');
    const question = scripture.evaluationQuestions[0];
    await page.fill('textarea[aria-label="Sweep questions"]', question);
    await page.fill('input[aria-label="Coefficients"]', '-1, 0, 1, 2');
    const grid = page.locator('[data-testid="sweep-strengths"]');
    await page.waitForFunction(() => /^= /.test(document.querySelector('[data-testid="sweep-strengths"]')?.textContent ?? ''), null, { timeout: 60_000 });
    const st = (await grid.getAttribute('data-strengths'))!.split(',').map(Number);
    // One norm for the grid: each strength is its coefficient times the same factor.
    expect(st[1]).toBe(0);
    expect(st[0]).toBeCloseTo(-st[2], 10);
    expect(st[3]).toBeCloseTo(2 * st[2], 10);
    expect(st[2]).toBeGreaterThan(0);
    expect(await grid.textContent()).toMatch(/^= −\d\.\d\d, 0, \d\.\d\d, \d\.\d\d × \|h\| at L\d$/);
    expect(await grid.getAttribute('title')).toContain(`measured on "${question}"`);
    // The results table: the sweep's own coefficients, each with its strength on the same question.
    const random = page.getByRole('switch', { name: /Random-direction control/ });
    if (await random.isChecked()) await page.locator('label.toggle', { hasText: 'Random-direction control' }).click();
    await page.click('button:has-text("Run sweep")');
    await page.waitForFunction(() => document.querySelectorAll('.sweep-table tbody tr').length === 4 && [...document.querySelectorAll('.sweep-table .strength-cell')].every((e) => /\d/.test(e.textContent ?? '')), null, { timeout: 180_000 });
    const cells = await page.$$eval('.sweep-table .strength-cell', (els) => els.map((e) => e.textContent));
    expect(cells).toEqual(st.map((x) => (x === 0 ? '0' : `${x < 0 ? '−' : ''}${Math.abs(x).toFixed(2)}`)));
    expect(await errorTexts(page)).toEqual([]);
  });

  it('the layer × strength map covers every layer × strength in batched rows, scores each cell by the lexical judge, and a click steers there', async () => {
    await page.click('.tabs button[data-tab="sweep"]');
    const from = await logLength(page);
    await page.click('button:has-text("Draw map")');
    await page.waitForSelector('.map-table tbody tr', { timeout: 120_000 });
    const L = await page.locator('.map-table tbody tr').count();
    expect(L).toBe(4); // the demo model's layers, all in the quick-contrast vector
    const strengths = [-1, -0.5, -0.25, 0, 0.25, 0.5, 1];
    const cells = await page.$$eval('.map-cell', (els) => els.map((e) => ({
      layer: Number((e as HTMLElement).dataset.layer), strength: Number((e as HTMLElement).dataset.strength), answer: e.getAttribute('title') ?? '', text: e.textContent ?? '',
    })));
    expect(cells.map((c) => [c.layer, c.strength])).toEqual([0, 1, 2, 3].flatMap((l) => strengths.map((s) => [l, s])));
    // Batched: one probe of the prompt, then the 28 rows in generate calls of several rows each.
    const all = generations(await workerLog(page), from, { norms: true });
    expect(all[0].rows).toBe(1);
    const gens = generations(await workerLog(page), from);
    expect(gens.reduce((n, g) => n + (g.rows ?? 0), 0)).toBe(28);
    expect(gens.length).toBeLessThan(28);
    // Each score is the lexical judge's reading of the cell's answer, recomputed here.
    for (const c of cells) {
      const score = lexicalScore(c.answer, scripture.markers!);
      expect(c.text.startsWith(score === null ? '—' : `${score.toFixed(0)} /`)).toBe(true);
      if (c.strength === 0) expect(c.text).toContain('coeff 0.00');
    }
    console.log(`map (trait / projection, coeff): ${cells.map((c) => `L${c.layer}×${c.strength}: ${c.text}`).join(' | ')}`);
    const gd = await page.$eval('.strength-map .chart', (el) => { const d = (el as unknown as { data: { type: string; z: (number | null)[][] }[] }).data[0]; return { type: d.type, rows: d.z.length, cols: d.z[0].length }; });
    expect(gd).toEqual({ type: 'heatmap', rows: 4, cols: 7 });
    await shotOf(page, '.strength-map', 'compare-map');

    // A click on the heatmap cell L2 × 0.5 sets the Steer slot to that layer and the cell's coefficient.
    const target = cells.find((c) => c.layer === 2 && c.strength === 0.5)!;
    const coeff = Number(/coeff (-?[\d.]+)/.exec(target.text)![1]);
    // Category axes split the plot area evenly: strength j is column j from the left, layer i row i from the bottom.
    await page.locator('.strength-map .chart').scrollIntoViewIfNeeded();
    const box = (await page.locator('.strength-map .chart .nsewdrag').boundingBox())!;
    const at = { x: box.x + ((strengths.indexOf(0.5) + 0.5) * box.width) / 7, y: box.y + box.height - ((2 + 0.5) * box.height) / 4 };
    // Plotly resolves a click to the point it last hovered: move there first, as a hand does.
    await page.mouse.move(at.x, at.y);
    await page.waitForTimeout(300);
    await page.mouse.click(at.x, at.y);
    await page.waitForSelector('[data-testid="map-note"]');
    expect(await page.textContent('[data-testid="map-note"]')).toContain(`@ L2 × +${coeff.toFixed(2)}`);
    await page.click('.tabs button[data-tab="steer"]');
    expect(await page.inputValue('select[aria-label="Layer"]')).toBe('2');
    expect(Number(await page.inputValue('input[aria-label="Coefficient value"]'))).toBe(coeff);
    const steerFrom = await logLength(page);
    await page.click('button.run:has-text("Generate")');
    await settle(page, steerFrom);
    expect(generations(await workerLog(page), steerFrom).at(-1)!.coeff).toBe(coeff);
    expect(await errorTexts(page)).toEqual([]);
  });

  it('every view says in one line what it measures with which model, layer, vector and judge; axe finds nothing serious at 390×844', async () => {
    const model = (await page.textContent('.top .chip.ok'))!.trim();
    const found: Record<string, string[]> = {};
    for (const view of ['steer', 'pipeline', 'sweep', 'monitor', 'geometry', 'detection', 'seed002']) {
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.click(`.tabs button[data-tab="${view}"]`);
      const line = (await page.locator('[data-testid="view-statement"]').first().textContent())!;
      expect(line, view).toMatch(/^Measures .+ · model .+ · layer .+ · vector .+ · judge .+/);
      expect(line, view).toContain(`model ${model}`);
      if (['steer', 'sweep', 'monitor', 'geometry'].includes(view)) {
        expect(line, view).toMatch(/layer L\d/);
        expect(line, view).toContain('vector scripture');
      }
      if (view === 'seed002') expect(line, view).toMatch(/layer every layer for detection, L\d+ for ablation · vector fine-tuned − base/);
      if (['pipeline', 'sweep', 'seed002'].includes(view)) expect(line, view).toContain('judge lexical (marker words) · pack scripture');
      await page.setViewportSize({ width: 390, height: 844 });
      found[view] = await axeSerious(page);
      await shot(page, `compare-${view}-phone`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(found).toEqual({ steer: [], pipeline: [], sweep: [], monitor: [], geometry: [], detection: [], seed002: [] });
    await expectClean(page);
  });
});
