/**
 * `npm run bench:browser [-- --big] [-- --device auto|webgpu|wasm] [-- --serve] [-- --json]`
 *
 * Serves a page (node:http on 127.0.0.1) that runs the steer-overhead decode benchmark in the browser:
 * the engine instruments the synthetic model in the page, then decodes with the original and the
 * instrumented graph (one steering vector active) on WebGPU when the browser has an adapter, wasm
 * otherwise, and prints tokens/s of both. Without --serve it drives Debian's /usr/bin/chromium
 * headless through playwright-core and prints the page's result; with --serve it only prints the URL
 * (open it in any browser; the result is printed when the page posts it).
 *
 * Headless Chromium's WebGPU is SwiftShader (a CPU emulation): the default model is small
 * (bench/models.ts SMALL_CONFIG); --big uses the Node decode model (hidden 1024, 8 layers, vocab 32k).
 */
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { DECODE_CONFIG, SMALL_CONFIG, ensureModel } from './models';

interface Args { big: boolean; device: 'auto' | 'webgpu' | 'wasm'; serve: boolean; json: boolean; reps: number; newTokens: number; threads: number; timeoutS: number }

function parseArgs(argv: string[]): Args {
  const a: Args = { big: false, device: 'auto', serve: false, json: false, reps: 3, newTokens: 12, threads: 1, timeoutS: 540 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const val = () => argv[++i] ?? '';
    if (k === '--big') a.big = true;
    else if (k === '--serve') a.serve = true;
    else if (k === '--json') a.json = true;
    else if (k === '--device') {
      const d = val();
      if (d !== 'auto' && d !== 'webgpu' && d !== 'wasm') throw new Error(`--device takes auto, webgpu or wasm; got "${d}"`);
      a.device = d;
    } else if (k === '--reps') a.reps = Number(val());
    else if (k === '--tokens') a.newTokens = Number(val());
    else if (k === '--threads') a.threads = Number(val());
    else if (k === '--timeout') a.timeoutS = Number(val());
    else if (k === '--help' || k === '-h') {
      process.stdout.write('usage: npm run bench:browser -- [--big] [--device auto|webgpu|wasm] [--reps N] [--tokens N] [--threads N] [--serve] [--json] [--timeout S]\n');
      process.exit(0);
    } else throw new Error(`unknown argument "${k}" (try --help)`);
  }
  if (![a.reps, a.newTokens, a.threads, a.timeoutS].every((n) => Number.isInteger(n) && n > 0)) throw new Error('--reps, --tokens, --threads and --timeout take positive integers');
  return a;
}

const log = (s: string) => process.stderr.write(`[bench:browser] ${s}\n`);
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const ortDist = fileURLToPath(new URL('../node_modules/onnxruntime-web/dist', import.meta.url));
const HTML = '<!doctype html><meta charset="utf-8"><title>Steering Lab bench</title><pre id="log"></pre><script type="module" src="/main.js"></script>';

async function bundle(): Promise<string> {
  const out = await build({
    entryPoints: [fileURLToPath(new URL('./page/main.ts', import.meta.url))],
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent',
    // onnxruntime-web loads its wasm glue itself (from wasmPaths = /ort/); nothing Node-only is reached.
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return out.outputFiles[0].text;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const cfg = args.big ? DECODE_CONFIG : SMALL_CONFIG;
  const model = ensureModel(cfg, log);
  log('bundling the page with esbuild…');
  const js = await bundle();
  const pageConfig = { numLayers: cfg.numLayers, hiddenSize: cfg.hiddenSize, vocabSize: cfg.vocabSize, device: args.device, reps: args.reps, newTokens: args.newTokens, threads: args.threads };
  let resolveResult: (r: Record<string, unknown>) => void = () => {};
  const result = new Promise<Record<string, unknown>>((r) => { resolveResult = r; });
  const send = (res: ServerResponse, type: string, body: string | Uint8Array) => {
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store', ...ISOLATION });
    res.end(body);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && url === '/result') {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => { send(res, 'text/plain', 'ok'); resolveResult(JSON.parse(body)); });
      return;
    }
    if (url === '/') return send(res, 'text/html', HTML);
    if (url === '/favicon.ico') { res.writeHead(204, ISOLATION); res.end(); return; }
    if (url === '/main.js') return send(res, 'text/javascript', js);
    if (url === '/bench-config.json') return send(res, 'application/json', JSON.stringify(pageConfig));
    if (url === '/model.onnx') return send(res, 'application/octet-stream', model.bytes);
    const ort = /^\/ort\/(ort-wasm[\w.-]*\.(?:wasm|mjs))$/.exec(url);
    if (ort && existsSync(join(ortDist, ort[1])) && readdirSync(ortDist).includes(ort[1])) {
      res.writeHead(200, { 'Content-Type': ort[1].endsWith('.wasm') ? 'application/wasm' : 'text/javascript', ...ISOLATION });
      createReadStream(join(ortDist, ort[1])).pipe(res);
      return;
    }
    res.writeHead(404, ISOLATION);
    res.end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  log(`serving ${url} (model ${(model.bytes.length / 1e6).toFixed(1)} MB, ${cfg.numLayers} layers, hidden ${cfg.hiddenSize}, vocab ${cfg.vocabSize})`);

  let close = async () => {};
  if (!args.serve) {
    const { chromium } = await import('playwright-core');
    const executablePath = '/usr/bin/chromium';
    if (!existsSync(executablePath)) throw new Error('/usr/bin/chromium is missing: apt-get update && apt-get install -y chromium (or use --serve and open the URL yourself)');
    const browser = await chromium.launch({
      executablePath,
      args: ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    close = () => browser.close();
    const page = await browser.newPage();
    page.on('console', (m) => log(`page: ${m.text()}`));
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    await page.goto(url);
  } else {
    process.stdout.write(`open ${url} in a browser (Ctrl-C to stop)\n`);
  }
  const timer = setTimeout(() => resolveResult({ error: `no result after ${args.timeoutS} s (SwiftShader is slow: try fewer --tokens/--reps)` }), args.timeoutS * 1000);
  const r = await result;
  clearTimeout(timer);
  await close();
  server.close();
  const out = { name: 'browser-steer-overhead', model: { config: cfg, bytes: model.bytes.length }, ...r };
  if (args.json) process.stdout.write(`${JSON.stringify(out)}\n`);
  else if (r.error) process.stdout.write(`browser benchmark failed: ${String(r.error)}\n`);
  else {
    process.stdout.write([
      `device          ${String(r.device)} (${String(r.why)})`,
      `adapter         ${String(r.adapter)}`,
      `model           ${cfg.numLayers} layers, hidden ${cfg.hiddenSize}, vocab ${cfg.vocabSize}, q4, ${(model.bytes.length / 1e6).toFixed(1)} MB; instrumented in the page in ${String(r.instrumentMs)} ms`,
      `original graph  ${String(r.originalTokPerSec)} tok/s`,
      `instrumented    ${String(r.steeredTokPerSec)} tok/s (one steering vector active)`,
      `ratio           ${String(r.ratio)}  (steered ÷ unsteered decode; target >= 0.97; ${String(r.reps)} interleaved reps x ${String(r.newTokens)} tokens, median step)`,
      `batched sweep   ${String(r.batchedSweepRatio)}  (${String(r.sweepRows)} coefficients one by one ${String(r.sweepSequentialMs)} ms ÷ one batch ${String(r.sweepBatchedMs)} ms, ${String(r.sweepTokens)} tokens each; target >= 3)`,
      '',
    ].join('\n'));
  }
  process.exitCode = r.error ? 1 : 0;
}

main().catch((e) => {
  log(String((e as Error).stack ?? e));
  process.exit(2);
});
