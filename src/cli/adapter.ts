/**
 * `--adapter DIR` / `--adapter-strength S` for every command that loads a model, and `adapter-diff`: the
 * base-vs-fine-tuned detection direction of a LoRA adapter (fine-tuned − base last-token activations per
 * layer, scored by projection, with separation and a held-out probe), both sides on one session.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AdapterFiles, Engine, LoadOptions } from '../engine/shared/api';
import { EngineError } from '../engine/shared/errors';
import { atAdapterStrength } from '../engine/clients/eval/adapterStrength';
import { detectModels } from '../engine/clients/vectors/detection';
import { writeSafetensors } from '../engine/clients/io/safetensors';
import { exportVectorJson } from '../engine/clients/io/vectorJson';
import type { Conversation } from '../engine/clients/vectors/collect';
import type { CliCommand } from './commands';

type Values = Record<string, unknown>;

export const ADAPTER_OPTIONS = { adapter: { type: 'string' }, 'adapter-strength': { type: 'string' } } as const;
export const ADAPTER_USAGE = '[--adapter DIR [--adapter-strength S]]';

/** A PEFT adapter folder: adapter_config.json and adapter_model.safetensors. */
export async function readAdapterDir(dir: string): Promise<AdapterFiles> {
  const config = join(dir, 'adapter_config.json');
  const weights = join(dir, 'adapter_model.safetensors');
  if (!existsSync(config)) throw new EngineError('bad-input', `--adapter ${dir}: no adapter_config.json there; give the folder PEFT's save_pretrained wrote.`);
  if (!existsSync(weights)) {
    const bin = existsSync(join(dir, 'adapter_model.bin')) ? ' It has adapter_model.bin: save it again with safe_serialization=True (the default since PEFT 0.7).' : '';
    throw new EngineError('bad-input', `--adapter ${dir}: no adapter_model.safetensors there.${bin}`);
  }
  return { name: dir.replace(/\/+$/, '').split('/').pop() || dir, config: await readFile(config, 'utf8'), weights: new Uint8Array(await readFile(weights)) };
}

/** The load options `--adapter` asks for. */
export async function adapterLoadOptions(v: Values): Promise<Pick<LoadOptions, 'adapter'>> {
  if (v['adapter-strength'] !== undefined && v.adapter === undefined) throw new EngineError('bad-input', '--adapter-strength needs --adapter DIR.');
  return typeof v.adapter === 'string' ? { adapter: await readAdapterDir(v.adapter) } : {};
}

/** `--adapter-strength S` (default 1, the fine-tuned model) as a number. */
export function adapterStrength(v: Values): number {
  const s = v['adapter-strength'] === undefined ? 1 : Number(v['adapter-strength']);
  if (!Number.isFinite(s)) throw new EngineError('bad-input', `--adapter-strength must be a number (0 = base model, 1 = fine-tuned); got "${String(v['adapter-strength'])}".`);
  return s;
}

/** The engine the command works on: at `--adapter-strength` when an adapter is loaded (its base-model note on stderr). */
export function adapted(engine: Engine, v: Values): Engine {
  if (v.adapter === undefined) return engine;
  const note = engine.info()?.adapter?.note;
  if (note) process.stderr.write(`note: ${note}\n`); // stderr: --json output stays one object
  return atAdapterStrength(engine, adapterStrength(v));
}

export function adapterDiffCommand(withEngine: <T>(path: string, v: Values, fn: (e: Engine) => Promise<T>) => Promise<T>, readPrompts: (file: string) => Promise<Conversation[]>): CliCommand {
  return {
    usage: 'steer-lab adapter-diff PATH --adapter DIR --prompts FILE [--out FILE(.json|.safetensors)] [--batch-size N] [--json]',
    options: { prompts: { type: 'string' }, out: { type: 'string' }, 'batch-size': { type: 'string' } },
    run: async (path, v) => {
      if (typeof v.adapter !== 'string') throw new EngineError('bad-input', 'adapter-diff needs --adapter DIR (the LoRA adapter to compare with its base model).');
      if (v['adapter-strength'] !== undefined) throw new EngineError('bad-input', 'adapter-diff compares strength 1 with strength 0; leave out --adapter-strength.');
      if (typeof v.prompts !== 'string') throw new EngineError('bad-input', 'adapter-diff needs --prompts FILE.');
      const out = v.out as string | undefined;
      if (out !== undefined && !/\.(json|safetensors)$/i.test(out)) throw new EngineError('bad-input', `--out ${out}: use a .json or .safetensors file name.`);
      const prompts = await readPrompts(v.prompts);
      return withEngine(path, v, async (engine) => {
        const batchSize = v['batch-size'] === undefined ? undefined : Number(v['batch-size']);
        const report = await detectModels(atAdapterStrength(engine, 1), atAdapterStrength(engine, 0), prompts, { batchSize });
        if (out) await writeFile(out, /\.json$/i.test(out) ? exportVectorJson(report.vectors) : writeSafetensors(report.vectors));
        return {
          // Direction per layer: mean fine-tuned − mean base last-token activation; scores are projections onto it.
          recommendedLayer: report.recommendedLayer,
          layers: report.layers,
          scores: { fineTuned: report.scores.a, base: report.scores.b },
          ...(out ? { out } : {}),
        };
      });
    },
  };
}
