/**
 * The Steer slot's cap and condition (issue 16, the lab side) on the trained demo model in real headless
 * Chromium (wasm, the real worker and engine): a condition whose threshold is chosen from two labelled prompt
 * sets by ROC fires on a scripture-style prompt and not on a plain one (the steered column says so); a cap at
 * a percentile of the prompt's projections holds the steered projections under it against a +2 push (read from
 * the projection chart's traces); bad input shows its message beside the control and loses nothing; axe-core
 * finds no serious or critical violation on the new controls; run history (clicking a run restores its slot),
 * a reload and a share link keep the cap and the condition. Expects a finished `npm run build`; run:
 *   npx vitest run -c vitest.e2e.config.ts tests/e2e/kinds.e2e.test.ts
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeSerious, buildVector, errorTexts, expectClean, logLength, loadSelected, NO_GPU, openLab, ready, settle, shot, SKIP_NOTE, startLabSession, type LabPage, type LabSession, type WorkerLogEntry } from './harness';

// Held out: neither is one of the quick-contrast lines the ROC is read from (the lab's defaults).
const SCRIPTURE_PROMPT = 'Thou shalt love thy neighbour, and the LORD shall bless thee all thy days.';
const PLAIN_PROMPT = 'What is a practical way to plan a weekly budget?';

async function generate(page: Page): Promise<WorkerLogEntry> {
  const from = await logLength(page);
  await page.click('button.run:has-text("Generate")');
  return settle(page, from);
}

/** The steered trace of the projection chart as plotly holds it, once it has `n` points. */
async function steeredTrace(page: Page, n: number): Promise<number[]> {
  await page.waitForFunction((n) => {
    const gd = document.querySelector('.output .chart') as unknown as { data?: { name: string; y: number[] }[] } | null;
    return gd?.data?.find((t) => t.name === 'steered')?.y.length === n;
  }, n, { timeout: 10_000 });
  return page.$eval('.output .chart', (el) => [...(el as unknown as { data: { name: string; y: number[] }[] }).data.find((t) => t.name === 'steered')!.y]);
}

/** Flips a slot switch the way a user does, by clicking it (its input is visually hidden). */
async function setSwitch(page: Page, name: string, on: boolean): Promise<void> {
  const sw = page.getByRole('switch', { name });
  if ((await sw.isChecked()) !== on) await page.locator(`label.toggle:has(input[aria-label="${name}"])`).click();
  expect(await sw.isChecked()).toBe(on);
}

const fired = (page: Page) => page.$$eval('[data-testid="conditions"] li', (els) => els.map((e) => (e as HTMLElement).dataset.fired));

describe.skipIf(!ready)(`Cap and condition in the Steer slot, demo model (${SKIP_NOTE})`, () => {
  let lab: LabSession;
  let page: LabPage;
  let capMax = NaN;
  let threshold = NaN;

  beforeAll(async () => {
    lab = await startLabSession(NO_GPU);
    page = await openLab(lab.ctx, lab.base);
    expect(await page.inputValue('select[aria-label="Model"]')).toBe('demo');
    await loadSelected(page);
    await buildVector(page); // the default quick contrast: scripture lines against plain ones
    await page.getByLabel('Max tokens').fill('24');
    await generate(page);
  });
  afterAll(async () => { await lab?.close(); });

  it('a condition with its threshold from an ROC on two labelled sets fires on a scripture prompt and not on a plain one', async () => {
    await setSwitch(page, 'Gate the scripture add on a condition', true);
    await page.click('.cond-ctl summary');
    const from = await logLength(page);
    await page.click('button:has-text("Read projections and draw ROC")');
    await page.waitForSelector('[data-testid="roc-auc"]', { timeout: 60_000 });
    await page.waitForSelector('.cond-ctl .chart .main-svg', { timeout: 20_000 });
    await settle(page, from); // the picked threshold re-runs the steered row
    const rocText = (await page.textContent('[data-testid="roc-auc"]'))!;
    const auc = Number(/AUROC ([\d.]+)/.exec(rocText)![1]);
    threshold = Number(await page.inputValue('input[aria-label="Condition threshold"]'));
    // The ROC chart holds the curve the text summarises: from (1,1) at the lowest cut to (0,0) at the highest.
    const curve = await page.$eval('.cond-ctl .chart', (el) => (el as unknown as { data: { name: string; x: number[]; y: number[] }[] }).data.find((t) => t.name === 'ROC')!);
    expect([curve.x[0], curve.y[0], curve.x.at(-1), curve.y.at(-1)]).toEqual([1, 1, 0, 0]);
    // Trapezoids under the drawn curve: the area the text states (thresholds.ts computes it by rank sum).
    let area = 0;
    for (let i = 1; i < curve.x.length; i++) area += (curve.x[i - 1] - curve.x[i]) * (curve.y[i - 1] + curve.y[i]) / 2;
    expect(area).toBeCloseTo(auc, 3);
    expect(auc).toBeGreaterThan(0.9);
    expect(Number.isFinite(threshold)).toBe(true);

    await page.getByLabel('User prompt').fill(SCRIPTURE_PROMPT);
    await generate(page);
    expect(await fired(page)).toEqual(['true']);
    const onScripture = (await page.textContent('[data-testid="condition-projection"]'))!;
    await page.getByLabel('User prompt').fill(PLAIN_PROMPT);
    await generate(page);
    expect(await fired(page)).toEqual(['false']);
    const onPlain = (await page.textContent('[data-testid="condition-projection"]'))!;
    // The shown projection is above the threshold where it fired and not above it where it did not.
    const proj = (t: string) => Number(/h·û = (-?[\d.]+)/.exec(t)![1]);
    expect(proj(onScripture)).toBeGreaterThan(threshold);
    expect(proj(onPlain)).toBeLessThanOrEqual(threshold);
    // The unsteered baseline column says no condition is evaluated there.
    expect(await page.textContent('.column[aria-label="Baseline output"] .cond-note')).toMatch(/no condition is evaluated/);
    console.log(`condition (demo model, wasm): AUROC ${auc}, threshold ${threshold}; "${onScripture}" fired, "${onPlain}" did not`);
    expect(await errorTexts(page)).toEqual([]);
    await shot(page, 'kinds-condition');
  });

  it('a NaN threshold shows its message beside the field and the slot keeps its threshold', async () => {
    const coeff = await page.inputValue('input[aria-label="Coefficient value"]');
    await page.fill('input[aria-label="Condition threshold"]', 'NaN');
    const msg = page.locator('[data-testid="threshold-msg"]');
    await expect.poll(() => msg.textContent()).toMatch(/threshold: must be a finite number.*got NaN.*keeps threshold/);
    expect(await page.inputValue('input[aria-label="Condition threshold"]')).toBe('NaN');
    expect(await page.inputValue('input[aria-label="Coefficient value"]')).toBe(coeff);
    // The field sits in the condition control, the message right under it.
    expect(await page.locator('.cond-ctl [data-testid="threshold-msg"]').count()).toBe(1);
    await generate(page); // still gated with the last valid threshold
    expect(await fired(page)).toEqual(['false']);
    await page.fill('input[aria-label="Condition threshold"]', String(threshold));
    expect(await msg.count()).toBe(0);
    await setSwitch(page, 'Gate the scripture add on a condition', false);
  });

  it('a cap at a percentile of the prompt\'s projections holds the steered projections under it against a +2 push', async () => {
    await page.getByLabel('User prompt').fill(PLAIN_PROMPT);
    await page.fill('input[aria-label="Coefficient value"]', '2');
    const pushed = await generate(page);
    const pushedY = await steeredTrace(page, pushed.tokens!.at(-1)!);
    await setSwitch(page, 'Cap the projection onto scripture', true);
    await page.click('.cap-ctl summary');
    await page.click('.cap-ctl button:has-text("Read projections")');
    await page.waitForSelector('[data-testid="cap-percentile"]', { timeout: 60_000 });
    await page.waitForSelector('.cap-ctl .chart .main-svg', { timeout: 20_000 });
    // Per prompt, the distribution is each prompt's mean: one value for the one current prompt.
    await page.click('.cap-ctl [role="radio"]:has-text("per prompt")');
    expect(await page.textContent('[data-testid="cap-percentile"]')).toMatch(/over 1 prompts$/);
    await page.click('.cap-ctl [role="radio"]:has-text("per token")');
    const pct = (await page.textContent('[data-testid="cap-percentile"]'))!;
    // The histogram holds every prompt token's projection and marks the percentile with a line at its value.
    const hist = await page.$eval('.cap-ctl .chart', (el) => {
      const gd = el as unknown as { data: { x: number[] }[]; layout: { shapes: { x0: number }[] } };
      return { n: gd.data[0].x.length, x: [...gd.data[0].x], line: gd.layout.shapes[0].x0 };
    });
    expect(pct).toContain(`over ${hist.n} tokens`);
    const sorted = [...hist.x].sort((a, b) => a - b);
    const at = 0.9 * (hist.n - 1), lo = Math.floor(at);
    expect(hist.line).toBeCloseTo(sorted[lo] + (at - lo) * (sorted[lo + 1] - sorted[lo]), 9); // numpy's linear percentile, by hand
    const from = await logLength(page);
    await page.click('button:has-text("Set max")');
    const held = await settle(page, from);
    capMax = Number(await page.inputValue('input[aria-label="Cap maximum"]'));
    expect(capMax).toBeCloseTo(hist.line, 9);
    const heldY = await steeredTrace(page, held.tokens!.at(-1)!);
    console.log(`cap (demo model, wasm): max h·û = p90 = ${capMax.toFixed(3)}; +2 push peaks at ${Math.max(...pushedY).toFixed(3)}, capped peaks at ${Math.max(...heldY).toFixed(3)}`);
    expect(Math.max(...pushedY)).toBeGreaterThan(capMax + 0.5); // the push goes past the band …
    for (const y of heldY) expect(y).toBeLessThanOrEqual(capMax + 1e-3); // … and the cap holds every token under it (float32)
    expect(await errorTexts(page)).toEqual([]);
    await shot(page, 'kinds-cap');
  });

  it('min above max shows its message beside the fields, keeps what was typed and the last valid band', async () => {
    await page.fill('input[aria-label="Cap minimum"]', String(capMax + 5));
    const msg = page.locator('.cap-ctl [data-testid="cap-msg"]');
    await expect.poll(() => msg.textContent()).toMatch(/is above max .*swap them.*keeps its last valid band/);
    expect(await page.inputValue('input[aria-label="Cap minimum"]')).toBe(String(capMax + 5));
    expect(await page.inputValue('input[aria-label="Cap maximum"]')).toBe(String(capMax));
    expect(await page.inputValue('input[aria-label="Coefficient value"]')).toBe('2');
    const res = await generate(page);
    for (const y of await steeredTrace(page, res.tokens!.at(-1)!)) expect(y).toBeLessThanOrEqual(capMax + 1e-3);
    await page.fill('input[aria-label="Cap minimum"]', '');
    expect(await msg.count()).toBe(0);
  });

  it('axe-core finds no serious or critical violation with both controls on and both helpers open', async () => {
    const from = await logLength(page);
    await setSwitch(page, 'Gate the scripture add on a condition', true);
    await page.click('.cond-ctl summary');
    await page.click('button:has-text("Read projections and draw ROC")');
    await page.waitForSelector('.cond-ctl .chart .main-svg', { timeout: 60_000 });
    await page.waitForSelector('.cap-ctl .chart .main-svg');
    // Scanned at rest: mid-run the Generate button is swapping for Stop (a colour transition axe can catch half-way).
    await settle(page, from);
    await page.waitForTimeout(300);
    const found = await axeSerious(page);
    console.log(`axe-core serious/critical on the cap and condition controls: ${found.length}`);
    expect(found).toEqual([]);
  });

  it('run history (listing and restoring), a reload and a share link keep the cap and the condition', async () => {
    await generate(page);
    const history = (await page.locator('.list li').filter({ hasText: 'cap h·û' }).first().textContent())!;
    expect(history).toContain(`cap h·û∈[−∞, ${capMax.toFixed(3)}]`);
    expect(history).toContain(`if scripture@L`);

    await page.waitForTimeout(400); // the session is written at most every 300 ms
    await page.reload();
    await page.waitForSelector('.slot');
    await page.waitForFunction(() => document.querySelector('.top .chip.ok'), null, { timeout: 60_000 });
    expect(Number(await page.inputValue('input[aria-label="Cap maximum"]'))).toBe(capMax);
    expect(await page.getByLabel('Gate the scripture add on a condition').isChecked()).toBe(true);
    expect(Number(await page.inputValue('input[aria-label="Condition threshold"]'))).toBe(threshold);

    // Clicking the capped, gated run in the history brings its slot back after the slot was changed.
    await page.fill('input[aria-label="Cap maximum"]', '');
    await setSwitch(page, 'Gate the scripture add on a condition', false);
    await page.fill('input[aria-label="Coefficient value"]', '5');
    await page.locator('.list li').filter({ hasText: 'cap h·û' }).first().click();
    await expect.poll(() => page.inputValue('input[aria-label="Cap maximum"]')).toBe(String(capMax));
    expect(await page.getByLabel('Gate the scripture add on a condition').isChecked()).toBe(true);
    expect(Number(await page.inputValue('input[aria-label="Condition threshold"]'))).toBe(threshold);
    expect(await page.inputValue('input[aria-label="Coefficient value"]')).toBe('2');
    expect(await page.inputValue('input[aria-label="Cap minimum"]')).toBe('');
    await page.waitForSelector('button.run:has-text("Generate")', { timeout: 60_000 }); // whatever the edits started has ended

    await page.click('button:has-text("Share link")');
    await page.waitForSelector('text=/Link copied/');
    const link = await page.evaluate(() => navigator.clipboard.readText());
    const fresh = await lab.browser.newContext({ viewport: { width: 1440, height: 1000 } });
    try {
      const other = await openLab(fresh, link);
      const result = await settle(other, 0);
      expect(Number(await other.inputValue('input[aria-label="Cap maximum"]'))).toBeCloseTo(capMax, 9);
      expect(await other.inputValue('input[aria-label="Cap minimum"]')).toBe('');
      expect(await other.getByLabel('Gate the scripture add on a condition').isChecked()).toBe(true);
      expect(Number(await other.inputValue('input[aria-label="Condition threshold"]'))).toBe(threshold);
      expect(await other.inputValue('input[aria-label="Coefficient value"]')).toBe('2');
      // The link's prompt is the plain one: the reopened slot evaluates its condition and it does not fire.
      expect(await fired(other)).toEqual(['false']);
      expect(result.text!.length).toBeGreaterThan(0);
      expect(await errorTexts(other)).toEqual([]);
      await expectClean(other);
    } finally { await fresh.close(); }
    await expectClean(page);
  });
});

