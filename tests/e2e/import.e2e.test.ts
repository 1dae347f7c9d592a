/**
 * Files from other tools in real Chromium: a persona_vectors .pt is mapped with a note saying which rows went where;
 * a lone 1-D .pt asks for its layer (nothing is saved until answered); a .pt whose pickle calls os.system is refused
 * and changes nothing; a persona_vectors extract file takes its eval file; GGUF export says layer 0 was left out.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PICKLE_OP as OP, ptFile, ptZip } from '../fixtures/torchPt';
import { dismissErrors, errorTexts, expectClean, launch, loadTiny, newContext, NO_GPU, openLab, ready, SKIP_NOTE, startPreview, tinyDims } from './harness';

describe.skipIf(!ready)(`Importing files from other tools (${SKIP_NOTE})`, () => {
  let server: PreviewServer;
  let base: string;
  let browser: Browser;
  let ctx: BrowserContext;
  let L = 0;
  let D = 0;

  beforeAll(async () => {
    ({ server, base } = await startPreview());
    browser = await launch(NO_GPU);
    ctx = await newContext(browser, base);
    ({ L, D } = tinyDims());
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('maps, asks, refuses and pairs, saving only what the user accepted', async () => {
    const page = await openLab(ctx, base);
    await loadTiny(page);
    const input = page.locator('input[type="file"][aria-label="Import a vector or trait pack"]');
    const titles = page.locator('.list .list-title');
    const pt = (name: string, buffer: Uint8Array) => ({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(buffer) });

    // persona_vectors: [num_layers+1, hidden], row N = hidden_states[N].
    const rows = Array.from({ length: (L + 1) * D }, (_, i) => Math.sin(i + 1));
    await input.setInputFiles(pt('evil_response_avg_diff.pt', ptFile({ shape: [L + 1, D], values: rows })));
    await page.waitForSelector('.import-note');
    expect(await page.textContent('.import-note')).toMatch(new RegExp(`indices 1\\.\\.${L} went to layers 0\\.\\.${L - 1}; index 0 \\(the embeddings\\) was dropped`));
    expect(await titles.count()).toBe(1);

    // A lone vector: asked, not guessed; nothing saved until answered.
    await input.setInputFiles(pt('one.pt', ptFile({ shape: [D], values: rows.slice(0, D) })));
    await page.waitForSelector('.import-question');
    expect(await page.textContent('.import-question')).toMatch(/does not say which layer/);
    expect(await titles.count()).toBe(1);
    await page.fill('input[aria-label="Layer of the imported vector"]', '1');
    await page.click('.import-question button:has-text("Import on layer 1")');
    await page.waitForFunction(() => document.querySelectorAll('.list .list-title').length === 2);
    // The library and the question are two state updates: wait for the question to go (it must).
    await page.waitForSelector('.import-question', { state: 'detached', timeout: 10_000 });
    expect(await page.locator('.list li', { hasText: 'one' }).textContent()).toMatch(/L1/);

    // A pickle that calls os.system: refused by name, nothing added.
    const evil = Uint8Array.from([OP.PROTO, 2, OP.GLOBAL, ...new TextEncoder().encode('os\nsystem\n'), OP.BINUNICODE, 2, 0, 0, 0, 0x6c, 0x73, OP.TUPLE1, OP.REDUCE, OP.STOP]);
    await input.setInputFiles(pt('evil.pt', ptZip(evil, [])));
    await page.waitForSelector('.errors .error');
    expect((await errorTexts(page))[0]).toMatch(/Import: PyTorch \.pt file: data\.pkl asks for "os\.system".*nothing in it was run/);
    expect(await titles.count()).toBe(2);
    await dismissErrors(page);

    // GGUF export of the persona vector: layer 0 cannot be stored, and the note says so.
    const download = page.waitForEvent('download');
    await page.locator('.list li', { hasText: 'evil_response_avg_diff' }).locator('button:has-text("GGUF")').click();
    expect((await download).suggestedFilename()).toMatch(/\.gguf$/);
    expect(await page.textContent('.import-note')).toMatch(/layer 0 is not in the file — llama\.cpp control vectors cannot hold layer 0/);

    // persona_vectors trait files: one file is halved (said in the panel); its eval file gives upstream's split.
    const instruction = [{ pos: 'Be cruel.', neg: 'Be kind.' }];
    const eval_prompt = 'Rate evil 0-100. Question: {question} Answer: {answer}';
    const json = (name: string, body: unknown) => ({ name, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(body)) });
    await input.setInputFiles(json('evil.json', { instruction, questions: ['a?', 'b?', 'c?', 'd?'], eval_prompt }));
    await page.waitForSelector('.pack-split');
    expect(await page.textContent('.pack-split')).toMatch(/split in halves, the first 2 build the vector and the other 2 score it/);
    await page.locator('input[aria-label="Add the persona_vectors eval file"]').setInputFiles(json('evil.json', { instruction, questions: ['e?', 'f?', 'g?'], eval_prompt }));
    await page.waitForFunction(() => /extract \+ eval/.test(document.querySelector('.pack-split')?.textContent ?? ''));
    expect(await page.textContent('.pack-split')).toMatch(/the 4 extract questions build the vector, the 3 eval questions score it/);

    await expectClean(page);
    await page.close();
  });
});
