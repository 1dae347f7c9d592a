/**
 * The engine in real headless Chromium (Debian's), on WebGPU (SwiftShader via --enable-unsafe-webgpu)
 * and on wasm: fp32 and q4 fixtures must match across devices, and an f16 model on an adapter
 * without shader-f16 must be refused or fall back — never run with wrong numbers.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture } from '../fixtures/hubRepo';
import { fixtureConfig } from '../fixtures/weights';
import { relErr } from '../helpers/compare';
import { browserReady } from './harness';
import type { FixtureConfig } from '../fixtures/spec';

const ROOT = new URL('../..', import.meta.url).pathname;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ORT = join(ROOT, 'node_modules/onnxruntime-web/dist');

const REPOS: Record<string, Partial<FixtureConfig> & { extra?: FixtureConfig['dtype'][] }> = {
  'fixtures/llama-builder': { family: 'llama', layout: 'builder', attention: 'mha', dtype: 'q4', extra: ['fp32', 'q4f16'] },
  'fixtures/qwen-decomposed': { family: 'qwen2', layout: 'decomposed', dtype: 'fp32', extra: ['q4'] },
  'fixtures/fp16-only': { family: 'llama', layout: 'decomposed', dtype: 'fp16' },
};

type CaseResult = { info?: { device: string; dtype: string; deviceReason: string }; tokens?: number[][]; capture?: number[]; error?: { code: string; message: string } };

function files(): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [id, { extra, ...cfg }] of Object.entries(REPOS)) {
    const repo = buildFixture(fixtureConfig(cfg), { extraDtypes: extra });
    for (const [path, bytes] of Object.entries(repo.files)) out.set(`/models/${id}/resolve/main/${path}`, bytes);
  }
  return out;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

function serve(pageDir: string, models: Map<string, Uint8Array>): Promise<Server> {
  const server = createServer((req, res) => {
    const raw = normalize(decodeURIComponent(new URL(req.url!, 'http://x').pathname));
    const path = raw === '/' ? '/index.html' : raw;
    const file = (dir: string, rel: string) => (existsSync(join(dir, rel)) && !rel.endsWith('/') ? readFileSync(join(dir, rel)) : undefined);
    const body = models.get(path) ?? (path.startsWith('/ort/') ? file(ORT, path.slice(5)) : file(pageDir, path));
    if (!body) {
      if (process.env.DEBUG_E2E) console.log('404', path);
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream', 'Content-Length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const ARGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

describe.skipIf(!browserReady(false))('engine in headless Chromium', () => {
  let server: Server;
  let outDir: string;
  let base: string;
  const browsers: Browser[] = [];

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'steer-engine-page-'));
    await build({
      configFile: false, logLevel: 'error', root: join(ROOT, 'tests/e2e/engine-page'),
      resolve: { dedupe: ['onnxruntime-web', 'onnxruntime-common'] },
      build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 10_000 },
    });
    server = await serve(outDir, files());
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await Promise.all(browsers.map((b) => b.close()));
    await new Promise((r) => server?.close(r));
    rmSync(outDir, { recursive: true, force: true });
  });

  async function page(webgpu: boolean): Promise<Page> {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...ARGS, ...(webgpu ? ['--enable-unsafe-webgpu'] : ['--disable-gpu'])] });
    browsers.push(browser);
    const p = await browser.newPage();
    const problems: string[] = [];
    p.on('pageerror', (e) => problems.push(e.message));
    p.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    p.on('requestfailed', (r) => problems.push(`${r.url()} ${r.failure()?.errorText}`));
    await p.goto(base);
    await p.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', undefined, { timeout: 20_000 })
      .catch((e: Error) => { throw new Error(`${e.message}\n${problems.join('\n')}`); });
    await p.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
    return p;
  }

  const run = (p: Page, id: string, dtype: string, device: string): Promise<CaseResult> =>
    p.evaluate((c) => (window as unknown as { runCase(c: unknown): Promise<CaseResult> }).runCase(c), { id, dtype, device });

  it('WebGPU and wasm agree on fp32 and q4 fixtures (both layouts)', async () => {
    const gpu = await page(true);
    const cpu = await page(false);
    expect(await gpu.evaluate(() => (window as unknown as { gpuFeatures(): Promise<string[] | null> }).gpuFeatures())).not.toBeNull();
    for (const [id, dtype] of [['fixtures/qwen-decomposed', 'fp32'], ['fixtures/qwen-decomposed', 'q4'], ['fixtures/llama-builder', 'fp32'], ['fixtures/llama-builder', 'q4']]) {
      const g = await run(gpu, id, dtype, 'webgpu');
      const w = await run(cpu, id, dtype, 'wasm');
      expect(g.error, `${id} ${dtype} webgpu`).toBeUndefined();
      expect(w.error, `${id} ${dtype} wasm`).toBeUndefined();
      expect(g.info!.device).toBe('webgpu');
      expect(w.info!.device).toBe('wasm');
      expect(g.tokens, `${id} ${dtype}`).toEqual(w.tokens);
      expect(g.tokens![1], 'steering changes the text').not.toEqual(g.tokens![0]);
      expect(relErr(g.capture!, w.capture!), `${id} ${dtype}`).toBeLessThan(1e-3);
    }
  });

  it('without shader-f16, an f16 model falls back to a non-f16 variant and says why, or is refused', async () => {
    const gpu = await page(true);
    const features = await gpu.evaluate(() => (window as unknown as { gpuFeatures(): Promise<string[]> }).gpuFeatures());
    expect(features).not.toContain('shader-f16'); // SwiftShader: the case real users hit on some GPUs
    const fallback = await run(gpu, 'fixtures/llama-builder', 'q4f16', 'auto');
    expect(fallback.error).toBeUndefined();
    expect(fallback.info!.dtype === 'q4f16' && fallback.info!.device === 'webgpu').toBe(false);
    expect(fallback.info!.deviceReason).toMatch(/shader-f16/);
    const refused = await run(gpu, 'fixtures/fp16-only', 'fp16', 'webgpu');
    expect(refused.error?.code).toBe('device');
    expect(refused.error?.message).toMatch(/shader-f16/);
  });
});
