/**
 * The lab in real Chromium (Debian package, headless, no GPU → wasm) with the real worker and engine,
 * on the tiny random-weights model the build serves at /models/tiny-test/resolve/main/.
 * Expects a finished `vite build` (scripts/test-all.sh builds first); run: npx vitest run -c vitest.e2e.config.ts
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
// The build must contain the tiny model (generated into public/models/ before `vite build`).
const TINY = join(ROOT, 'dist/models/tiny-test/resolve/main/config.json');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ready = existsSync(TINY) && existsSync(CHROMIUM);

describe.skipIf(!ready)('Steering Lab in Chromium (tiny test model; skipped when dist/models/tiny-test or chromium is missing)', () => {
  let server: PreviewServer;
  let ctx: BrowserContext;
  let base: string;
  let profile: string;
  const problems: string[] = [];

  beforeAll(async () => {
    server = await preview({ root: ROOT, preview: { port: 4173, strictPort: false, host: '127.0.0.1' } });
    base = server.resolvedUrls!.local[0];
    profile = mkdtempSync(join(tmpdir(), 'steer-e2e-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, viewport: { width: 1440, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(base).origin });
  });

  afterAll(async () => {
    await ctx?.close();
    await server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  async function open(url: string): Promise<Page> {
    const page = await ctx.newPage();
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(url);
    await page.waitForSelector('.panel');
    return page;
  }
  const waitDone = (page: Page) => page.waitForSelector('text=/^done ·/', { timeout: 120_000 });

  it('is cross-origin isolated and serves the onnxruntime runtime under /ort/', async () => {
    const page = await open(base);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const res = await page.request.get(new URL('/ort/ort-wasm-simd-threaded.wasm', base).href);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('application/wasm');
    await page.close();
  });

  it('loads, builds a contrast vector, generates side by side, re-runs on the slider, and shares', async () => {
    const page = await open(base);
    await page.selectOption('select[aria-label="Model"]', 'tiny');
    await page.click('text=Load model');
    await page.waitForSelector('.top .chip.ok', { timeout: 120_000 });
    expect(await page.textContent('.facts')).toMatch(/layers ×/);
    expect(await page.locator('.error').count()).toBe(0);

    await page.click('text=Build vector');
    await page.waitForSelector('.sep .chart .main-svg', { timeout: 120_000 });
    expect(await page.locator('.slot').count()).toBe(1);

    await page.click('button:has-text("Generate")');
    await waitDone(page);
    const cols = page.locator('.gen');
    expect((await cols.nth(0).textContent())!.length).toBeGreaterThan(0);
    expect((await cols.nth(1).textContent())!.length).toBeGreaterThan(0);
    await page.waitForSelector('.output .chart .main-svg');

    // Moving the slider starts a new generation at once (the previous one, if any, is cancelled).
    await page.locator('input[aria-label="Coefficient"]').fill('-3');
    await page.waitForSelector('text=/^generating/', { timeout: 10_000 }).catch(() => undefined); // may finish too fast to see
    await waitDone(page);
    expect(await page.textContent('.output')).toContain('× -3.00');
    expect(await page.locator('.error').count()).toBe(0);

    await page.getByLabel('User prompt').fill('A prompt from the link <b>not bold</b>');
    await page.click('text=Share link');
    await page.waitForSelector('text=/Link copied|Copy this link/');
    const link = await page.evaluate(() => navigator.clipboard.readText());
    expect(link).toMatch(/#s=[A-Za-z0-9_-]+$/);
    await page.close();

    // A fresh tab restores everything from the link and generates.
    const other = await open(link);
    await waitDone(other);
    expect(await other.getByLabel('User prompt').inputValue()).toBe('A prompt from the link <b>not bold</b>');
    expect(await other.locator('b').count()).toBe(0); // never rendered as HTML
    expect(await other.inputValue('input[aria-label="Coefficient value"]')).toBe('-3');
    await other.close();
    expect(problems).toEqual([]);
  });

  it('shows a bad link as a visible error and stays usable', async () => {
    const page = await open(`${base}#s=U0wBtampered`);
    await page.waitForSelector('.error');
    expect(await page.textContent('.error')).toMatch(/bad-input.*share link/i);
    await page.selectOption('select[aria-label="Model"]', 'tiny');
    await page.click('text=Load model');
    await page.waitForSelector('.top .chip.ok', { timeout: 120_000 });
    await page.close();
  });
});
