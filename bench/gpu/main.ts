/**
 * The WebGPU check for a machine with a real GPU and no browser: onnxruntime-web's WebGPU execution
 * provider in Node on Dawn (bench/gpu/dawn.ts), with the project's own engine, fixtures and bench code.
 * Bundled to one .mjs by bench/gpu/bundle.ts; how to run it: bench/README.md, "Real GPU without a browser".
 *
 * Parts (each survives the failure of another; all results go into one JSON summary):
 *  parity    the device-parity requests of tests/e2e/parity.webgpu.test.ts on WebGPU and wasm vs the float64 reference;
 *  attention single-op MultiHeadAttention / GroupQueryAttention at 16…128 query positions on WebGPU vs a float64
 *            reference, and whole builder-layout prompts with `Decoder.prefillChunk` off (one pass) and on;
 *  decode    decode tok/s, time to first token and one slider move on the bench decode model, WebGPU vs wasm.
 *
 * Options: --out FILE (default $OUT/summary.json), --only parity,attention,decode, --small (the small bench
 * model and fewer repetitions: for a CPU-emulated adapter such as SwiftShader), --decode-devices webgpu,wasm.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { installDawn, type AdapterSummary } from './dawn';
import { attentionSweep } from './attention';
import { promptAttention } from './prompt';
import { runParity } from './parity';
import { runDecode } from './decode';
import type { Device } from '../../src/engine/shared/api';

interface Args { out: string; only: Set<string>; small: boolean; decodeDevices: Device[] }

function parseArgs(argv: string[]): Args {
  const get = (k: string) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : undefined; };
  const out = get('--out') ?? (process.env.OUT ? join(process.env.OUT, 'summary.json') : 'gpu-summary.json');
  const only = new Set((get('--only') ?? 'parity,attention,decode').split(','));
  for (const p of only) if (!['parity', 'attention', 'decode'].includes(p)) throw new Error(`--only: unknown part "${p}"; use parity, attention and/or decode`);
  const decodeDevices = (get('--decode-devices') ?? 'webgpu,wasm').split(',') as Device[];
  for (const d of decodeDevices) if (d !== 'webgpu' && d !== 'wasm') throw new Error(`--decode-devices: unknown device "${d}"; use webgpu and/or wasm`);
  return { out, only, small: argv.includes('--small'), decodeDevices };
}

const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

async function part<T>(name: string, summary: Record<string, unknown>, fn: () => Promise<T>): Promise<void> {
  const t0 = performance.now();
  log(`== ${name}`);
  try {
    summary[name] = await fn();
  } catch (e) {
    const err = e as Error;
    log(`${name} FAILED: ${err.stack ?? err.message}`);
    summary[name] = { error: `${err.message}${(e as { detail?: string }).detail ? ` (${(e as { detail?: string }).detail})` : ''}` };
  }
  log(`== ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const summary: Record<string, unknown> = { node: process.version, startedAt: new Date().toISOString() };
  let adapter: AdapterSummary | null = null;
  try {
    adapter = await installDawn();
  } catch (e) {
    summary.dawnError = (e as Error).message;
  }
  summary.adapter = adapter;
  log(`adapter: ${adapter ? `${adapter.vendor} / ${adapter.architecture} / ${adapter.device} / ${adapter.description}; shader-f16 ${adapter.features.includes('shader-f16')}` : `none (${summary.dawnError ?? 'requestAdapter returned null'})`}`);
  const write = () => {
    mkdirSync(dirname(args.out), { recursive: true });
    writeFileSync(args.out, `${JSON.stringify(summary, null, 1)}\n`);
  };
  if (args.only.has('attention')) {
    await part('attention', summary, async () => ({
      singleOp: { webgpu: await attentionSweep('webgpu', [1, 16, 28, 32, 64, 128], [0, 8], log) },
      prompt: await promptAttention(log),
    }));
    write();
  }
  if (args.only.has('parity')) {
    await part('parity', summary, () => runParity(log));
    write();
  }
  if (args.only.has('decode')) {
    await part('decode', summary, () => runDecode(log, args.small, args.decodeDevices));
    write();
  }
  summary.finishedAt = new Date().toISOString();
  write();
  console.log(`SUMMARY ${JSON.stringify(compact(summary))}`);
  log(`summary written to ${args.out}`);
}

/** The headline figures only (the file has the details). */
function compact(s: Record<string, unknown>): unknown {
  const att = s.attention as { singleOp?: { webgpu: { op: string; queries: number; past: number; maxRelErr: number }[] }; prompt?: unknown; error?: string } | undefined;
  return {
    adapter: s.adapter ? `${(s.adapter as AdapterSummary).vendor} ${(s.adapter as AdapterSummary).description}` : null,
    attention: att?.singleOp ? att.singleOp.webgpu.map((c) => `${c.op} S${c.queries} P${c.past} ${c.maxRelErr.toExponential(1)}`) : att,
    prompt: att?.prompt,
    parity: s.parity,
    decode: (s.decode as { headline?: unknown } | undefined)?.headline ?? s.decode,
  };
}

main().then(() => process.exit(0), (e: Error) => { console.error(e); process.exit(1); });
