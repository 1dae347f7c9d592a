/**
 * Shared plumbing for the browser tests: the built lab served by `vite preview` (which also serves the tiny
 * test model in hub layout at /models/tiny-test/resolve/main/), Debian's headless Chromium through
 * playwright-core, and pages instrumented to observe what the app does without changing it:
 *  - every message between the page and the engine worker is logged (window.__wlog), so tests can count
 *    generations started, cancelled and finished, and read each result's token counts;
 *  - alert/confirm/prompt and a global `__pwned()` that injected payloads would call are trapped
 *    (window.__xss): a test that feeds script-laden strings asserts this stays empty.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { expect } from 'vitest';
import { RESIDUAL_NORM_LABEL } from '../../src/engine/clients/vectors/strength';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = join(ROOT, 'test-results/screenshots');
/**
 * Whether the browser tests can run: Chromium present and, for the lab, the build (with the tiny model
 * generated into public/models/ before `vite build`). Outside CI a missing piece skips them with the
 * note below; under CI=true it is an error, so a browser test can never pass by not running.
 */
export function browserReady(needsBuild: boolean): boolean {
  const missing = [
    ...(existsSync(CHROMIUM) ? [] : [`${CHROMIUM} (Debian package chromium)`]),
    ...(!needsBuild || existsSync(join(ROOT, 'dist/models/tiny-test/resolve/main/config.json')) ? [] : ['the lab build (npm run build)']),
  ];
  if (missing.length && process.env.CI === 'true') throw new Error(`The browser tests cannot run under CI=true: missing ${missing.join(' and ')}.`);
  return missing.length === 0;
}
export const ready = browserReady(true);
export const SKIP_NOTE = 'needs `npm run build` (dist/models/tiny-test) and /usr/bin/chromium, else skipped (never under CI=true)';

const BASE_ARGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const NO_GPU = ['--disable-gpu'];
export const WEBGPU = ['--enable-unsafe-webgpu'];

export async function startPreview(): Promise<{ server: PreviewServer; base: string }> {
  const server = await preview({ root: ROOT, logLevel: 'warn', preview: { port: 4173, strictPort: false, host: '127.0.0.1' } });
  return { server, base: server.resolvedUrls!.local[0] };
}

export function launch(extra: string[]): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...BASE_ARGS, ...extra] });
}

export async function newContext(browser: Browser, base: string): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(base).origin });
  return ctx;
}

/** The tiny test model's layer count and hidden size, read from the build's config. */
export function tinyDims(): { L: number; D: number } {
  const cfg = JSON.parse(readFileSync(join(ROOT, 'dist/models/tiny-test/resolve/main/config.json'), 'utf8'));
  return { L: cfg.num_hidden_layers, D: cfg.hidden_size };
}

/** The built lab served, one browser with `flags` and a fresh context: what the lab's e2e files start from. */
export interface LabSession { server: PreviewServer; base: string; browser: Browser; ctx: BrowserContext; close(): Promise<void> }

export async function startLabSession(flags: string[]): Promise<LabSession> {
  const { server, base } = await startPreview();
  const browser = await launch(flags);
  const ctx = await newContext(browser, base);
  return { server, base, browser, ctx, close: async () => { await browser.close(); await server.close(); } };
}

/** One entry per message across the worker boundary (payloads reduced to what the tests check). */
export interface WorkerLogEntry {
  dir: 'out' | 'in';
  type: string;
  id: number;
  /** performance.now() in the page, ms. */
  t: number;
  target?: number;
  /** out generate: the steered (last) row's first coefficient. */
  coeff?: number | null;
  /** out generate: how many rows were asked for (the Steer view sends 1 when it keeps the baseline). */
  rows?: number;
  /** out generate: the first row's label (a residual-norm pass says RESIDUAL_NORM_LABEL). */
  label?: string;
  /** in error: its code. */
  code?: string;
  /** in token: row and step. */
  row?: number;
  /** in generate result: tokens per row, projections per row, texts. */
  tokens?: number[];
  projections?: number[][] | null;
  text?: string[];
  /** in load result: device and dtype. */
  device?: string;
  dtype?: string;
}

function instrument(): void {
  const w = window as unknown as Record<string, unknown>;
  const xss: string[] = [];
  const log: unknown[] = [];
  w.__xss = xss;
  w.__wlog = log;
  w.__pwned = (tag: unknown) => { xss.push(`payload ran: ${String(tag)}`); };
  w.alert = (m: unknown) => { xss.push(`alert: ${String(m)}`); };
  w.confirm = (m: unknown) => { xss.push(`confirm: ${String(m)}`); return false; };
  w.prompt = (m: unknown) => { xss.push(`prompt: ${String(m)}`); return null; };
  const Native = window.Worker;
  window.Worker = class extends Native {
    constructor(url: string | URL, opts?: WorkerOptions) {
      super(url, opts);
      this.addEventListener('message', (e: MessageEvent) => {
        const m = e.data ?? {};
        const entry: Record<string, unknown> = { dir: 'in', type: m.type, id: m.id, t: Math.round(performance.now()) };
        if (m.type === 'error') entry.code = m.error?.code;
        if (m.type === 'token') entry.row = m.event?.row;
        if (m.type === 'result' && m.op === 'generate') {
          entry.type = 'result:generate';
          entry.tokens = m.value.tokens.map((t: number[]) => t.length);
          entry.projections = m.value.projections ?? null;
          entry.text = m.value.text;
        }
        if (m.type === 'result' && m.op === 'load') { entry.type = 'result:load'; entry.device = m.value.device; entry.dtype = m.value.dtype; }
        log.push(entry);
      });
    }
    override postMessage(m: unknown, t?: unknown): void {
      const msg = (m ?? {}) as { type?: string; id?: number; target?: number; request?: { rows?: { steering?: { coeff?: number }[]; label?: string }[] } };
      const rows = msg.request?.rows;
      log.push({ dir: 'out', type: msg.type, id: msg.id, t: Math.round(performance.now()), target: msg.target, rows: rows?.length, label: rows?.[0]?.label, coeff: rows?.[rows.length - 1]?.steering?.find((s) => s.coeff !== undefined)?.coeff ?? null });
      super.postMessage(m, t as Transferable[]);
    }
  } as typeof Worker;
}

export interface LabPage extends Page { problems: string[] }

/** A page of the lab with the instrumentation above; page errors and dialogs are collected as problems. */
export async function openLab(ctx: BrowserContext, url: string): Promise<LabPage> {
  const page = (await ctx.newPage()) as LabPage;
  page.problems = [];
  await page.addInitScript(instrument);
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => { page.problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
  await page.goto(url);
  await page.waitForSelector('.panel');
  return page;
}

export const workerLog = (page: Page): Promise<WorkerLogEntry[]> => page.evaluate(() => (window as unknown as { __wlog: WorkerLogEntry[] }).__wlog);
export const logLength = async (page: Page): Promise<number> => (await workerLog(page)).length;
export const xssLog = (page: Page): Promise<string[]> => page.evaluate(() => (window as unknown as { __xss: string[] }).__xss);

/** Picks the tiny test model (and optionally dtype / device) and loads it; resolves once the header shows it. */
export async function loadTiny(page: Page, opts: { dtype?: string; device?: string } = {}): Promise<void> {
  await page.selectOption('select[aria-label="Model"]', 'tiny');
  if (opts.dtype) await page.selectOption('select[aria-label="Weights dtype"]', opts.dtype);
  if (opts.device) await page.selectOption('select[aria-label="Device"]', opts.device);
  await loadSelected(page);
}

/** Presses Load model on whatever the model panel holds; resolves once the worker answered and the header shows the model. */
export async function loadSelected(page: Page): Promise<void> {
  const from = await logLength(page);
  await page.click('button:has-text("Load model")');
  await page.waitForFunction((n) => (window as unknown as { __wlog: WorkerLogEntry[] }).__wlog.slice(n).some((e) => e.type === 'result:load' || (e.dir === 'in' && e.type === 'error')), from, { timeout: 120_000 });
  await page.waitForSelector('.top .chip.ok', { timeout: 10_000 });
}

/** Builds the quick-contrast vector from whatever the form holds; resolves once its slot and chart exist. */
export async function buildVector(page: Page): Promise<void> {
  const slots = await page.locator('.slot').count();
  await page.click('button:has-text("Build vector")');
  await page.waitForSelector('.sep .chart .main-svg', { timeout: 120_000 });
  await page.waitForFunction((n) => document.querySelectorAll('.slot').length >= Math.max(1, n), slots);
}

/**
 * Generate requests sent since log index `from`, and what the worker answered to each. The prompt-only passes
 * that measure residual norms for the "× |h|" readouts run whenever a prompt is new, so they are left out
 * unless `norms` asks for them.
 */
export function generations(log: WorkerLogEntry[], from = 0, { norms = false } = {}) {
  const sent = log.slice(from).filter((e) => e.dir === 'out' && e.type === 'generate' && (norms || e.label !== RESIDUAL_NORM_LABEL));
  return sent.map((s) => {
    const end = log.findIndex((e) => e.dir === 'in' && e.id === s.id && (e.type === 'result:generate' || e.type === 'error'));
    return { id: s.id, coeff: s.coeff, rows: s.rows, sentAt: log.indexOf(s), endAt: end, end: end >= 0 ? log[end] : null, ms: end >= 0 ? log[end].t - s.t : null };
  });
}

/**
 * Waits until every generation sent since `from` has ended in the worker, the last one with a result, and
 * the page shows it (status "done", the result's texts in their columns). The request's rows are the baseline
 * (unless kept), the prompted row (when that column is on and not kept) and the steered row, last; a result
 * with fewer rows leaves the kept columns as they were. Returns that result.
 */
export async function settle(page: Page, from: number): Promise<WorkerLogEntry> {
  await page.waitForFunction(([n, normLabel]) => {
    const log = (window as unknown as { __wlog: WorkerLogEntry[] }).__wlog;
    const sent = log.slice(n as number).filter((e) => e.dir === 'out' && e.type === 'generate' && e.label !== normLabel);
    if (!sent.length) return false;
    const ended = (id: number) => log.find((e) => e.dir === 'in' && e.id === id && (e.type === 'result:generate' || e.type === 'error'));
    return sent.every((s) => ended(s.id)) && ended(sent[sent.length - 1].id)!.type === 'result:generate';
  }, [from, RESIDUAL_NORM_LABEL] as const, { timeout: 120_000 });
  const gens = generations(await workerLog(page), from);
  const result = gens[gens.length - 1].end!;
  await page.waitForFunction((texts) => {
    const col = (k: string) => document.querySelector(`.output .gen[data-col="${k}"]`)?.textContent ?? null;
    const n = texts.length;
    const prompted = col('prompted') !== null;
    const baseOk = n === 1 || (prompted && n === 2) || col('baseline') === texts[0];
    const promptedOk = !prompted || n < 3 || col('prompted') === texts[1];
    return /^done/.test(document.querySelector('.output .panel-head > span')?.textContent ?? '') && col('steered') === texts[n - 1] && baseOk && promptedOk;
  }, result.text!, { timeout: 10_000 });
  return result;
}

/** The baseline and steered output columns as shown. */
export const columns = (page: Page): Promise<[string, string]> =>
  page.$$eval('.output .gen', (els) => ['baseline', 'steered'].map((k) => els.find((e) => (e as HTMLElement).dataset.col === k)?.textContent ?? '') as [string, string]);

/** The prompted output column as shown, or null when it is not. */
export const promptedColumn = (page: Page): Promise<string | null> =>
  page.$$eval('.output .gen[data-col="prompted"]', (els) => els[0]?.textContent ?? null);

/** The projection chart's traces as plotly holds them (gd.data), once it shows `points` per row. */
export async function chartTraces(page: Page, points: number[]): Promise<{ name: string; x: number[]; y: number[] }[]> {
  const sel = '.output .chart';
  await page.waitForFunction(({ sel, points }) => {
    const gd = document.querySelector(sel) as unknown as { data?: { y: number[] }[] } | null;
    return !!gd?.data && gd.data.length === points.length && gd.data.every((t, r) => t.y.length === points[r]);
  }, { sel, points }, { timeout: 10_000 });
  return page.$eval(sel, (el) => (el as unknown as { data: { name: string; x: number[]; y: number[] }[] }).data.map((t) => ({ name: t.name, x: [...t.x], y: [...t.y] })));
}

/** Visible error banners' text. */
export const errorTexts = (page: Page): Promise<string[]> => page.$$eval('.errors .error', (els) => els.map((e) => e.textContent ?? ''));

export async function dismissErrors(page: Page): Promise<void> {
  while (await page.locator('.errors .error').count()) await page.locator('.errors .error button[aria-label="Dismiss"]').first().click();
}

/** Saves test-results/screenshots/<name>.png: the full page, or its top `height` pixels. */
export async function shot(page: Page, name: string, height?: number): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const width = page.viewportSize()?.width ?? 1440;
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true, ...(height ? { clip: { x: 0, y: 0, width, height } } : {}) });
}

/**
 * A screenshot of one element (a panel, a view), for pictures that show one thing. The viewport is made as tall
 * as the page meanwhile: scrolled into a short one, the element would be partly under the sticky header.
 */
export async function shotOf(page: Page, selector: string, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const size = page.viewportSize() ?? { width: 1280, height: 800 };
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.setViewportSize({ width: size.width, height: await page.evaluate(() => document.documentElement.scrollHeight) });
  try {
    await page.locator(selector).first().screenshot({ path: join(SHOTS, `${name}.png`) });
  } finally { await page.setViewportSize(size); }
}

/** The common end-of-test checks: nothing ran that should not have, no uncaught page errors. */
export async function expectClean(page: LabPage): Promise<void> {
  expect(await xssLog(page)).toEqual([]);
  expect(page.problems).toEqual([]);
}

/** Serious and critical axe-core violations on the page as it is now: "rule: node, node". */
export async function axeSerious(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: join(ROOT, 'node_modules/axe-core/axe.min.js') });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}
