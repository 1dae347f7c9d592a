/**
 * The bare engine page (tests/e2e/engine-page) built once and served with fixture repos in hub layout,
 * opened in Debian's headless Chromium on WebGPU (SwiftShader, --enable-unsafe-webgpu) or wasm.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { buildFixture } from '../fixtures/hubRepo';
import { fixtureConfig } from '../fixtures/weights';
import type { FixtureConfig } from '../fixtures/spec';
import type { DevicePreference, ModelDtype, ModelInfo } from '../../src/engine/shared/api';
import type { JsonAdapter, JsonRequest } from './engine-page/main';

const ROOT = new URL('../..', import.meta.url).pathname;
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ORT = join(ROOT, 'node_modules/onnxruntime-web/dist');

/** A fixture repo served at /models/<id>/: its config and the extra dtypes written beside `dtype`. */
export type RepoSpec = Partial<FixtureConfig> & { extra?: FixtureConfig['dtype'][] };

export interface RunResult {
  /** Each row's prompt token ids. */
  ids: number[][];
  tokens: number[][];
  padLeft: number[];
  promptLengths: number[];
  projections: number[][] | null;
  captures: Record<string, { shape: [number, number, number]; data: number[] }>;
}
export type CaseOutput = { info: ModelInfo; results: (RunResult | { error: { code: string; message: string } })[] } | { error: { code: string; message: string } };

function fixtureFiles(repos: Record<string, RepoSpec>): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [id, { extra, ...cfg }] of Object.entries(repos)) {
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
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream', 'Content-Length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const ARGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface EnginePages {
  /** A fresh page of the engine on a WebGPU-capable browser (true) or a GPU-less one (false). */
  page(webgpu: boolean): Promise<Page>;
  close(): Promise<void>;
}

/** Builds the engine page, serves it with `repos`, and hands out pages; close() tears everything down. */
export async function startEnginePages(repos: Record<string, RepoSpec>): Promise<EnginePages> {
  const outDir = mkdtempSync(join(tmpdir(), 'steer-engine-page-'));
  await build({
    configFile: false, logLevel: 'error', root: join(ROOT, 'tests/e2e/engine-page'),
    resolve: { dedupe: ['onnxruntime-web', 'onnxruntime-common'] },
    build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 10_000 },
  });
  const server = await serve(outDir, fixtureFiles(repos));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const browsers = new Map<boolean, Browser>();
  async function page(webgpu: boolean): Promise<Page> {
    if (!browsers.has(webgpu)) {
      browsers.set(webgpu, await chromium.launch({ executablePath: CHROMIUM, args: [...ARGS, ...(webgpu ? ['--enable-unsafe-webgpu'] : ['--disable-gpu'])] }));
    }
    const p = await browsers.get(webgpu)!.newPage();
    const problems: string[] = [];
    p.on('pageerror', (e) => problems.push(e.message));
    p.on('requestfailed', (r) => problems.push(`${r.url()} ${r.failure()?.errorText}`));
    await p.goto(base);
    await p.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', undefined, { timeout: 20_000 })
      .catch((e: Error) => { throw new Error(`${e.message}\n${problems.join('\n')}`); });
    return p;
  }
  return {
    page,
    close: async () => {
      await Promise.all([...browsers.values()].map((b) => b.close()));
      await new Promise((r) => server.close(r));
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** Runs `requests` on one model and device in the page (one engine, loaded once). */
export const runRequests = (p: Page, id: string, dtype: ModelDtype, device: DevicePreference, requests: JsonRequest[], adapter?: JsonAdapter): Promise<CaseOutput> =>
  p.evaluate((c) => (window as unknown as { runRequests(c: unknown): Promise<CaseOutput> }).runRequests(c), { id, dtype, device, requests, adapter });

/** The adapter's features (null without WebGPU). */
export const gpuFeatures = (p: Page): Promise<string[] | null> =>
  p.evaluate(() => (window as unknown as { gpuFeatures(): Promise<string[] | null> }).gpuFeatures());
