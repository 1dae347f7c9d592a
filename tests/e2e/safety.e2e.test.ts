/**
 * Hostile and broken input in real Chromium: corrupt, truncated and oversized share links, links and trait
 * packs whose strings carry script, a vector made for another hidden size, a file that is nothing at all.
 * Each must give a visible, clear message, leave the lab usable, and run no script (window.__xss stays empty:
 * alert/confirm/prompt and the __pwned() every payload calls are trapped by the harness).
 */
import type { Browser, BrowserContext } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeShareLink, type ShareState } from '../../src/engine/clients/io/shareLink';
import { exportVectorJson } from '../../src/engine/clients/io/vectorJson';
import { LAYER_CONVENTION } from '../../src/engine/clients/vectors/meta';
import {
  buildVector, columns, dismissErrors, errorTexts, expectClean, generations, launch, logLength, newContext, NO_GPU, openLab, ready, settle, shot,
  SKIP_NOTE, startPreview, workerLog, xssLog, type LabPage,
} from './harness';

/** Every payload reports itself through __pwned (trapped); none may ever run. */
const IMG = (tag: string) => `<img src=x onerror="__pwned('${tag}')">`;
const SCRIPT = (tag: string) => `<script>__pwned('${tag}')</script>`;

const vector = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i + 1));
const state = (over: Partial<ShareState> = {}): ShareState => ({
  modelId: 'tiny-test', dtype: 'fp32', vector: vector(64), traitName: 'calm', layer: 1, coeff: 3, mode: 'all',
  prompt: 'Hello there', systemPrompt: 'You are a helpful assistant.', seed: 5, temperature: 0, maxTokens: 12, ...over,
});

/** The DOM must hold no element a payload could have created. */
const injected = (page: LabPage) => page.evaluate(() => document.querySelectorAll('#root img, #root script, #root iframe, #root [onerror]').length);

describe.skipIf(!ready)(`Steering Lab with hostile and broken input (${SKIP_NOTE})`, () => {
  let server: PreviewServer;
  let base: string;
  let browser: Browser;
  let ctx: BrowserContext;

  beforeAll(async () => {
    ({ server, base } = await startPreview());
    browser = await launch(NO_GPU);
    ctx = await newContext(browser, base);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('corrupt, truncated, oversized and non-link fragments each give a clear message and run nothing', async () => {
    const good = encodeShareLink(state());
    const mid = Math.floor(good.length / 2);
    const flipped = good.slice(0, mid) + (good[mid] === 'A' ? 'B' : 'A') + good.slice(mid + 1);
    const cases: [string, string, RegExp][] = [
      ['corrupt', flipped, /share link[\s\S]*(altered|corrupt)/i],
      ['truncated', good.slice(0, mid), /share link[\s\S]*(cut short|corrupt|incomplete)/i],
      ['oversized', `#s=${'A'.repeat(40_000)}`, /share link[\s\S]*too long/i],
      ['markup', `#s=${IMG('fragment')}`, /share link[\s\S]*corrupt/i],
      ['newer version', `#s=U0wJ${'A'.repeat(20)}`, /share link[\s\S]*version 9/i],
    ];
    for (const [name, hash, message] of cases) {
      const page = await openLab(ctx, `${base}${hash}`);
      await page.waitForSelector('.errors .error');
      const errors = await errorTexts(page);
      expect(errors, name).toHaveLength(1);
      expect(errors[0], name).toMatch(message);
      expect(errors[0], name).toMatch(/^bad-input/);
      expect(await page.textContent('.top-status'), name).toContain('no model loaded'); // nothing was loaded or run
      if (name === 'corrupt') await shot(page, '10-bad-link');
      expect(await injected(page)).toBe(0);
      await expectClean(page);
      await page.close();
    }
  });

  it('a valid link with script in every string shows them as text; a link that disagrees with its model is refused', async () => {
    const hostile = state({ traitName: IMG('trait'), prompt: `${SCRIPT('prompt')} ${IMG('prompt')}`, systemPrompt: `${IMG('system')}` });
    const page = await openLab(ctx, `${base}${encodeShareLink(hostile)}`);
    await settle(page, 0);
    expect(await page.textContent('.slot-name')).toBe(IMG('trait'));
    expect(await page.getByLabel('User prompt').inputValue()).toBe(hostile.prompt);
    expect(await page.getByLabel('System prompt').inputValue()).toBe(hostile.systemPrompt);
    expect(await page.textContent('.output .column[aria-label="Steered output"] header')).toContain(IMG('trait'));
    // No trait pack is named like this vector, so the prompted column (on by default where there is one) stays off, unexplained.
    expect(await page.getByRole('switch', { name: /Prompted column/ }).isChecked()).toBe(false);
    expect(await page.locator('.output .column').count()).toBe(2);
    expect(await page.locator('.list .list-title').first().textContent()).toBe(IMG('trait'));
    expect(await injected(page)).toBe(0);
    await expectClean(page);

    // Well-formed, but its vector has 128 values and the tiny model 64: refused after loading, nothing generated.
    const from = await logLength(page);
    await page.goto(`${base}${encodeShareLink(state({ vector: vector(128), traitName: 'wide' }))}`);
    await page.waitForSelector('.errors .error', { timeout: 60_000 });
    expect((await errorTexts(page))[0]).toMatch(/Share link: This link steers with a vector of 128 values, but tiny-test has hidden size 64/);
    expect(generations(await workerLog(page), from)).toEqual([]);
    await expectClean(page);
    await page.close();
  });

  it('a trait pack with script in its strings imports as text, builds a vector, and runs nothing', async () => {
    const page = await openLab(ctx, base);
    await page.selectOption('select[aria-label="Model"]', 'tiny');
    await page.click('button:has-text("Load model")');
    await page.waitForSelector('.top .chip.ok', { timeout: 120_000 });
    const input = page.locator('input[type="file"][aria-label="Import a vector or trait pack"]');
    const file = (name: string, body: unknown) => ({ name, mimeType: 'application/json', buffer: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) });

    const pack = {
      name: IMG('pack-name'),
      description: `${SCRIPT('pack-description')} Sunny outlook, <b>always</b>.`,
      instructions: [
        { pos: `Be relentlessly optimistic. ${IMG('pos-0')}`, neg: `Be gloomy. ${SCRIPT('neg-0')}` },
        { pos: 'Look on the bright side of everything.', neg: 'Expect the worst from everything.' },
        { pos: 'Celebrate every small win.', neg: `Dwell on every small loss. <a href="javascript:__pwned('href')">x</a>` },
      ],
      extractionQuestions: ['How will tomorrow go?'],
      evaluationQuestions: [`What do you expect from next year? ${IMG('question')}`],
      evalPrompt: `Rate optimism 0-100.\nQuestion: {question}\nAnswer: {answer} ${SCRIPT('eval')}`,
    };
    await input.setInputFiles(file('optimist.json', pack));
    await page.waitForSelector('.pack');
    expect(await page.textContent('.pack-name')).toBe(pack.name);
    expect(await page.textContent('.pack')).toContain(pack.description);
    expect(await page.textContent('.pack')).toContain('3 instruction pairs · 2 questions');
    expect(await page.getByLabel('Positive prompts, one per line').inputValue()).toBe(pack.instructions.map((p) => p.pos).join('\n'));
    expect(await page.getByLabel('Negative prompts, one per line').inputValue()).toBe(pack.instructions.map((p) => p.neg).join('\n'));
    expect(await page.inputValue('.panel input[maxlength="80"]')).toBe(pack.name);
    expect(await page.locator('.app b, .app a').count()).toBe(0);

    // The pack's name becomes the vector's name: in the library, the slot, the output header, the run history.
    await buildVector(page);
    const from = await logLength(page);
    await page.click('button.run:has-text("Generate")');
    await settle(page, from);
    expect(await page.textContent('.slot-name')).toBe(pack.name);
    expect(await page.locator('.list .list-title', { hasText: 'onerror' }).count()).toBeGreaterThanOrEqual(1);
    expect((await columns(page))[1].length).toBeGreaterThan(0);
    await shot(page, '11-trait-pack');
    expect(await injected(page)).toBe(0);

    // A pack with problems: every problem is listed, by field.
    await input.setInputFiles(file('broken.json', { ...pack, instructions: [], evalPrompt: 'Rate it: {answer}' }));
    await page.waitForSelector('.errors .error');
    const [packError] = await errorTexts(page);
    expect(packError).toMatch(/^bad-input\s*Import: The trait pack has 2 problems/);
    expect(packError).toMatch(/instructions: must have at least 1 entry/);
    expect(packError).toMatch(/evalPrompt: must contain the \{question\} slot/);
    await dismissErrors(page);

    await expectClean(page);
    await page.close();
  });

  it('a vector made for another hidden size is refused with a message that says both sizes; junk files too', async () => {
    const page = await openLab(ctx, base);
    await page.selectOption('select[aria-label="Model"]', 'tiny');
    await page.click('button:has-text("Load model")');
    await page.waitForSelector('.top .chip.ok', { timeout: 120_000 });
    const input = page.locator('input[type="file"][aria-label="Import a vector or trait pack"]');
    const before = await page.locator('.list .list-title').count();

    const wide = exportVectorJson({
      vectors: vector(4 * 128),
      meta: {
        modelId: 'someone/wide-model', tap: 'hook_resid_post', pooling: 'prompt-mean', method: 'diff-in-means', counts: { pos: 4, neg: 4 },
        layerConvention: LAYER_CONVENTION, hiddenSize: 128, numLayers: 4, normalized: false, trait: IMG('vector-trait'),
      },
    });
    await input.setInputFiles({ name: 'wide.vectors.json', mimeType: 'application/json', buffer: Buffer.from(wide) });
    await page.waitForSelector('.errors .error');
    const [sizeError] = await errorTexts(page);
    expect(sizeError).toMatch(/^bad-input\s*Import: This vector \(made for "someone\/wide-model"\) has hidden size 128, but the loaded model "tiny-test" has hidden size 64/);
    expect(await page.locator('.list .list-title').count()).toBe(before); // not added
    await shot(page, '12-wrong-size-vector');
    await dismissErrors(page);

    await input.setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ hello: IMG('json') })) });
    await page.waitForSelector('.errors .error');
    expect((await errorTexts(page))[0]).toMatch(/Import: Vector JSON: "format" must be "steering-lab.vectors"/);
    await dismissErrors(page);
    await input.setInputFiles({ name: 'cat.gif', mimeType: 'image/gif', buffer: Buffer.from('GIF89a....') });
    await page.waitForSelector('.errors .error');
    expect((await errorTexts(page))[0]).toMatch(/Import: Unrecognised vector file/);

    expect(await injected(page)).toBe(0);
    expect(await xssLog(page)).toEqual([]);
    await expectClean(page);
    await page.close();
  });
});
