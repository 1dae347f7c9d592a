/**
 * steer-lab: inspect and run instrumented models from the command line.
 * Errors print `{code, message}` (with --json) or the message, and exit non-zero.
 */
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { EngineError, toErrorData } from '../engine/shared/errors';
import { inspectModel } from '../engine/core/runtime/inspect';
import type { ChatMessage, GenerateRequest, ModelDtype, SteeringSpec, TapName } from '../engine/shared/api';
import { sourceOf, withEngine } from './args';
import { extraCommands } from './commands';
import { KINDS } from '../engine/shared/interventions/registry';
import { ADAPTER_OPTIONS, ADAPTER_USAGE } from './adapter';

const USAGE = `steer-lab — activation steering from the command line

  steer-lab inspect PATH [--dtype D] [--json]
  steer-lab run PATH --prompt TEXT [--system TEXT] [--raw] [--dtype D] [--max-new-tokens N]
                [--temperature T --seed S] [--steer FILE]... [--capture TAP]... ${ADAPTER_USAGE} [--json]
${Object.values(extraCommands).map((c) => `  ${c.usage}`).join('\n')}

PATH is a model folder in hub layout (config.json, tokenizer.json, onnx/model_<dtype>.onnx) or a hub id.
Layers are 0-based into model.layers; a vector for layer L acts on the output of model.layers[L].
--adapter DIR applies a PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors) in the graph to
run, vectors, sweep and project; --adapter-strength S scales it (0 = base model, 1 = fine-tuned, the default).
adapter-diff and seed002 need --adapter and compare strength 1 with strength 0 themselves; seed002 --model-b PATH
takes the fine-tuned side from a second full checkpoint of the same architecture instead.

--steer FILE holds one intervention or a list, as JSON {kind, layer, ...}; the kinds:
${KINDS.map((k) => `  ${k.kind.padEnd(7)}${k.label}: {layer, ${k.fields.map((f) => (f.optional ? `${f.key}?` : f.key)).join(', ')}}`).join('\n')}
  an add may carry "when": {layer, direction, threshold, pooling: mean|last} to act only on prompts whose
  projection passes the threshold (the output's "conditions" says, per row, the projection and whether it fired).`;


async function readSteer(files: string[]): Promise<SteeringSpec[]> {
  const specs: SteeringSpec[] = [];
  for (const f of files) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(f, 'utf8'));
    } catch (e) {
      throw new EngineError('bad-input', `--steer ${f}: cannot read it as JSON (${(e as Error).message}).`);
    }
    specs.push(...(Array.isArray(parsed) ? parsed : [parsed]) as SteeringSpec[]);
  }
  return specs;
}

async function run(path: string, v: Record<string, unknown>): Promise<unknown> {
  if (typeof v.prompt !== 'string') throw new EngineError('bad-input', 'run needs --prompt TEXT.');
  const messages: ChatMessage[] = [...(v.system ? [{ role: 'system' as const, content: String(v.system) }] : []), { role: 'user', content: v.prompt }];
  const req: GenerateRequest = {
    rows: [{ prompt: v.raw ? v.prompt : messages, steering: await readSteer((v.steer as string[]) ?? []) }],
    maxNewTokens: v['max-new-tokens'] ? Number(v['max-new-tokens']) : 32,
    sampling: v.temperature ? { temperature: Number(v.temperature), seed: Number(v.seed ?? 0) } : undefined,
    captures: (v.capture as TapName[]) ?? [],
  };
  // Through the scheduler, as every command's engine calls are (args.ts withEngine).
  const res = await withEngine(path, v, (engine) => engine.generate(req));
  const captures = Object.fromEntries(Object.entries(res.captures).map(([k, c]) => [k, { shape: c.shape, data: Array.from(c.data) }]));
  return { tokens: res.tokens, text: res.text, captures, ...(res.conditions ? { conditions: res.conditions } : {}) };
}

async function main(argv: string[]): Promise<number> {
  const [command, path, ...rest] = argv;
  const extra = extraCommands[command];
  const json = rest.includes('--json');
  try {
    const { values: v } = parseArgs({
      args: rest,
      options: {
        json: { type: 'boolean' }, dtype: { type: 'string' }, prompt: { type: 'string' }, system: { type: 'string' },
        raw: { type: 'boolean' }, 'max-new-tokens': { type: 'string' }, temperature: { type: 'string' }, seed: { type: 'string' },
        steer: { type: 'string', multiple: true }, capture: { type: 'string', multiple: true },
        ...ADAPTER_OPTIONS,
        ...(extra?.options ?? {}),
      },
    });
    if (!path || command === 'help' || command === '--help') {
      console.log(USAGE);
      return command ? 0 : 2;
    }
    let out: unknown;
    if (command === 'inspect' && (v.adapter !== undefined || v['adapter-strength'] !== undefined)) {
      throw new EngineError('bad-input', 'inspect reads the model file only; --adapter applies to run, vectors, sweep, project and adapter-diff.');
    }
    if (command === 'inspect') out = await inspectModel(sourceOf(path), { dtype: v.dtype as ModelDtype | undefined });
    else if (command === 'run') out = await run(path, v);
    else if (extra) out = await extra.run(path, v);
    else throw new EngineError('bad-input', `Unknown command "${command}".\n${USAGE}`);
    console.log(v.json ? JSON.stringify(out) : JSON.stringify(out, null, 2));
    return 0;
  } catch (e) {
    // parseArgs throws plain TypeErrors for unknown or malformed flags: those are the user's input too.
    const err = e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
      ? { code: 'bad-input', message: `${e.message}\n${USAGE}` }
      : toErrorData(e);
    if (json) console.log(JSON.stringify({ error: err }));
    else console.error(`error (${err.code}): ${err.message}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
