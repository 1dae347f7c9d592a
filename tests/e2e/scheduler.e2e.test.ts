/**
 * Issue 11's reproduction, as a new user does it on the default demo model in real headless Chromium (wasm):
 * Sweeps tab → Run sweep → Steer tab → Generate → back to Sweeps. Before the scheduler the Generate cancelled
 * the sweep (RUNNING 8/30 → CANCELLED 16/30, no message). Now the sweep completes with all its rows, and the
 * Steer tab's run either waits visibly ("waiting for Sweeps") or runs between the sweep's batches; nothing is
 * cancelled. Expects a finished `npm run build`; run: npx vitest run -c vitest.e2e.config.ts tests/e2e/scheduler.e2e.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVector, columns, errorTexts, expectClean, generations, logLength, loadSelected, NO_GPU, openLab, promptedColumn, ready, shot, SKIP_NOTE, startLabSession, workerLog, type LabPage, type LabSession } from './harness';

describe.skipIf(!ready)(`A sweep and the Steer tab share the engine (${SKIP_NOTE})`, () => {
  let lab: LabSession;
  let page: LabPage;

  beforeAll(async () => {
    lab = await startLabSession(NO_GPU); // a fresh context: no cached sweep steps in IndexedDB
    page = await openLab(lab.ctx, lab.base);
  });
  afterAll(async () => { await lab?.close(); });

  it('Run sweep, then Generate on the Steer tab: the sweep completes with all 30 rows; the Steer run waits visibly or runs beside it', async () => {
    expect(await page.inputValue('select[aria-label="Model"]')).toBe('demo');
    await loadSelected(page);
    await buildVector(page);
    const from = await logLength(page);

    // Sweeps tab with its defaults: 5 coefficients × 3 questions × (vector, random control) = 30 rows.
    await page.click('.tabs button[data-tab="sweep"]');
    await page.waitForFunction(() => (document.querySelector('select[aria-label="Vector"] option:checked')?.textContent ?? '').includes('scripture'));
    await page.click('button:has-text("Run sweep")');
    // The moment: the sweep is under way (its first batch of rows done).
    await page.waitForFunction(() => Number(document.querySelector('.step[data-step="sweep"] .step-count')?.getAttribute('data-fresh')) >= 8, undefined, { timeout: 120_000 });

    // Steer tab → Generate, while the sweep runs.
    await page.click('.tabs button[data-tab="steer"]');
    const steerFrom = await logLength(page);
    await page.click('button.run:has-text("Generate")');
    const sweepWhenClicked = await page.evaluate(() => document.querySelector('.runbar .run-state')?.textContent ?? document.querySelector('[data-testid="queue"]')?.textContent ?? '');
    // What the Steer tab says until its run is done: every status line shown, sampled as it changes.
    const seen = await page.evaluate(() => new Promise<string[]>((resolve) => {
      const out: string[] = [];
      const read = () => {
        const status = document.querySelector('.output .panel-head > span')?.textContent ?? '';
        const queue = document.querySelector('[data-testid="queue"]')?.textContent ?? '';
        const line = `${status} | ${queue}`;
        if (out[out.length - 1] !== line) out.push(line);
        if (/^done/.test(status)) resolve(out); else setTimeout(read, 20);
      };
      read();
    }));
    console.log(`Steer tab while the sweep ran: ${seen.join(' → ')}`);
    // The Steer tab's request (baseline, prompted — on by default for the scripture vector — and steered: 3 rows;
    // the sweep's batches have 6-8) and its answer. Residual-norm passes for the strength readouts are not it.
    const steerLog = await workerLog(page);
    const sent = generations(steerLog, steerFrom).filter((g) => (g.rows ?? 0) <= 3);
    expect(sent).toHaveLength(1);
    const result = sent[0].end!;
    expect(result.type).toBe('result:generate');
    expect(result.text).toHaveLength(3);
    expect(await columns(page)).toEqual([result.text![0], result.text![2]]);
    expect(await promptedColumn(page)).toBe(result.text![1]);
    expect(result.text!.every((t) => t.length > 0)).toBe(true);
    // It waited visibly for the sweep, or generated beside it; never failed or cancelled.
    expect(seen.some((l) => /waiting for Sweeps/.test(l) || /^generating/.test(l))).toBe(true);
    expect(seen.every((l) => !/cancelled|error/.test(l))).toBe(true);
    // The Generate landed while the sweep ran (else this test would prove nothing): the queue showed it.
    expect(sweepWhenClicked).toMatch(/Sweeps/);
    await shot(page, 'scheduler-steer-beside-sweep');

    // Back to Sweeps: it runs on, or has finished; it completes with every row.
    await page.click('.tabs button[data-tab="sweep"]');
    await page.waitForSelector('.step[data-step="sweep"][data-status="done"]', { timeout: 300_000 });
    expect(await page.textContent('.step[data-step="sweep"] .step-count')).toMatch(/^30\/30/);
    const table = await page.$$eval('.sweep-table tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    expect(table).toHaveLength(10); // 5 coefficients × 2 conditions
    const log = await workerLog(page);
    // Nothing was cancelled: no generate of either owner ended with 'cancelled'.
    expect(log.slice(from).filter((e) => e.dir === 'in' && e.type === 'error')).toEqual([]);
    expect(log.slice(from).filter((e) => e.dir === 'out' && e.type === 'cancel')).toEqual([]);
    // And the two owners did share the engine: a sweep batch ended after the Steer tab's generate was sent.
    const steerSent = log.findIndex((e, i) => i >= steerFrom && e.dir === 'out' && e.type === 'generate');
    expect(log.slice(steerSent).some((e) => e.type === 'result:generate' && (e.tokens?.length ?? 0) > 2)).toBe(true);
    expect(await errorTexts(page)).toEqual([]);
    await shot(page, 'scheduler-sweep-complete');
    await expectClean(page);
  });

  it('an experiment started while another runs is queued: its RunBar says whom it waits for, and both complete in order', async () => {
    const from = await logLength(page);
    await page.click('.tabs button[data-tab="sweep"]');
    await page.fill('input[aria-label="Coefficients"]', '-1, 1'); // other inputs than the first sweep: no cached step
    await page.click('button:has-text("Run sweep")');
    await page.click('.tabs button[data-tab="monitor"]');
    await page.waitForFunction(() => (document.querySelector('select[aria-label="Vector"] option:checked')?.textContent ?? '').includes('scripture'));
    await page.click('button:has-text("Run monitoring")');
    await page.waitForSelector('.runbar .run-state[data-state="waiting"]', { timeout: 10_000 });
    expect(await page.textContent('.runbar .run-state')).toBe('waiting for Sweeps');
    expect(await page.textContent('[data-testid="queue"]')).toMatch(/▶ Sweeps.*waiting: Projections/);
    await shot(page, 'scheduler-projections-queued');
    await page.waitForSelector('.step[data-step="monitor"][data-status="done"]', { timeout: 300_000 });
    await page.click('.tabs button[data-tab="sweep"]');
    expect(await page.getAttribute('.step[data-step="sweep"]', 'data-status')).toBe('done');
    expect(await page.locator('.sweep-table tbody tr').count()).toBe(4); // 2 coefficients × 2 conditions
    // Neither was cancelled by the other.
    const log = (await workerLog(page)).slice(from);
    expect(log.filter((e) => (e.dir === 'in' && e.type === 'error') || (e.dir === 'out' && e.type === 'cancel'))).toEqual([]);
    expect(await page.locator('.history .list li').count()).toBe(3); // two sweeps and the monitoring run
    await expectClean(page);
  });
});
