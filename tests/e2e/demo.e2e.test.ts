/**
 * The README walkthrough on the trained demo model, as a newcomer does it in real headless Chromium (wasm): the
 * lab opens on "Demo model (trained)"; Load model; Build vector on the default quick contrast; Generate; drag the
 * coefficient to +2. The steered column takes up the scripture register, the baseline stays plain. The
 * register is read with the lexical judge and the scripture pack's markers, as the acceptance tier does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lexicalScore } from '../../src/engine/clients/eval/lexicalJudge';
import { scripture } from '../../src/engine/clients/eval/packs/scripture';
import { buildVector, columns, errorTexts, logLength, loadSelected, NO_GPU, openLab, ready, settle, shot, SKIP_NOTE, startLabSession, type LabPage, type LabSession } from './harness';

describe.skipIf(!ready)(`The demo model in the lab (${SKIP_NOTE})`, () => {
  let lab: LabSession;
  let page: LabPage;

  beforeAll(async () => {
    lab = await startLabSession(NO_GPU);
    page = await openLab(lab.ctx, lab.base);
  });
  afterAll(async () => { await lab?.close(); });

  it('opens on the demo model, loads it offline in seconds, and steers its register with the default quick contrast', async () => {
    expect(await page.inputValue('select[aria-label="Model"]')).toBe('demo');
    const t0 = Date.now();
    await loadSelected(page);
    // Measured ~2 s here (SwiftShader-less wasm on a loaded 2-core VM); 20 s leaves room, a hub model takes minutes.
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(await page.textContent('.facts')).toMatch(/4 layers × 128/);

    await buildVector(page);
    let at = await logLength(page);
    await page.click('button.run:has-text("Generate")');
    await settle(page, at);
    at = await logLength(page);
    await page.fill('input[aria-label="Coefficient value"]', '2');
    await settle(page, at);
    const [baseline, steered] = await columns(page);
    // Measured: baseline "It is normal to have mixed feelings about beginning. …" (0); steered
    // "The most important thing is unto the LORD, the LORD thy God, and thy God." (100).
    expect(lexicalScore(baseline, scripture.markers!)).toBeLessThan(10);
    expect(lexicalScore(steered, scripture.markers!)).toBeGreaterThan(50);
    expect(await errorTexts(page)).toEqual([]);
    await shot(page, 'demo-steered');
  });

  it('the trait pipeline runs offline on the scripture pack, scored by the lexical judge, and says so', async () => {
    await page.click('.tabs button[data-tab="pipeline"]');
    expect(await page.inputValue('select[aria-label="Trait pack"]')).toBe('builtin:scripture');
    await page.click('button:has-text("Run pipeline")');
    await page.waitForSelector('[data-testid="effective-pairs"]', { timeout: 120_000 });
    // Defaults: 2 instruction pairs × 3 questions, greedy. Scripture answers carry the markers, plain ones none.
    const [kept, total] = ((await page.textContent('[data-testid="effective-pairs"]')) ?? '').split(/\D+/).filter(Boolean).map(Number);
    expect(total).toBe(6);
    expect(kept).toBeGreaterThanOrEqual(2);
    expect(await page.textContent('[data-testid="pipeline-judge"]')).toBe('Scored by the lexical (marker words) judge.');
    expect(await errorTexts(page)).toEqual([]);
    await shot(page, 'demo-pipeline');
  });
});
