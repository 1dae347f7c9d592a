/**
 * PEFT LoRA adapters (`adapter_config.json` + `adapter_model.safetensors`), read into plain float32
 * matrices for the graph edit of onnx/lora.ts. PEFT's layer `W x` becomes `W x + s·B(A x)` with
 * A [r, in], B [out, r] and s = lora_alpha / r (lora_alpha / √r with use_rslora); dropout only acts
 * while training and is ignored. Only what this lab can apply exactly is accepted: plain LoRA on the
 * attention and MLP projections of the decoder layers; anything else is refused, naming what was found.
 */
import { EngineError } from '../../shared/errors';
import { assertFinite } from '../../shared/linalg';
import { BYTES_PER, floatsToF32, readSafetensorsHeader, type FloatDtype } from '../../shared/tensorBytes';
import type { AdapterFiles, AdapterInfo } from '../../shared/api';

export type { AdapterFiles } from '../../shared/api';

export const LORA_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraModule = (typeof LORA_MODULES)[number];

export interface LoraWeight {
  layer: number;
  module: LoraModule;
  rank: number;
  inFeatures: number;
  outFeatures: number;
  /** [rank, in] row-major, as PEFT stores lora_A.weight. */
  a: Float32Array;
  /** [out, rank] row-major, as PEFT stores lora_B.weight. */
  b: Float32Array;
}

/** The adapter as read: what ModelInfo reports of it (baseModel is adapter_config's base_model_name_or_path), with its matrices. */
export interface LoraAdapter extends Omit<AdapterInfo, 'modules' | 'layers' | 'note'> {
  modules: LoraModule[];
  /** Sorted by layer, then module order of LORA_MODULES. */
  weights: LoraWeight[];
}


const bad = (m: string): EngineError => new EngineError('bad-input', `LoRA adapter: ${m}`);

// PEFT saves `base_model.model.<HF module path>.lora_A.weight`; older saves keep the adapter name (`.default`).
const KEY = /^(?:base_model\.model\.)?(?:model\.)?layers\.(\d+)\.(?:self_attn|mlp)\.(\w+)\.lora_([AB])(?:\.default)?\.weight$/;
const FLOATS = new Set<string>(['F32', 'F16', 'BF16', 'F64']);

interface Config { rank: number; alpha: number; rslora: boolean; targets: string[] | null; baseModel?: string }

function readConfig(text: string): Config {
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw bad(`adapter_config.json is not valid JSON (${e instanceof Error ? e.message : String(e)}).`);
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw bad('adapter_config.json must be a JSON object.');
  if (c.peft_type !== undefined && c.peft_type !== 'LORA') throw bad(`peft_type is ${JSON.stringify(c.peft_type)}; only LORA adapters can be applied.`);
  if (c.use_dora === true) throw bad('use_dora is true; DoRA rescales the merged weight per column and cannot be added as a parallel branch. Use a plain LoRA adapter.');
  if (c.fan_in_fan_out === true) throw bad('fan_in_fan_out is true (GPT-2 style Conv1D weights); only Linear projections of Llama/Qwen-style decoders are supported.');
  for (const key of ['rank_pattern', 'alpha_pattern'] as const) {
    const v = c[key];
    if (v && typeof v === 'object' && Object.keys(v).length) throw bad(`${key} sets per-module values (${Object.keys(v).join(', ')}); only one rank and alpha for every module is supported.`);
  }
  const saved = c.modules_to_save;
  if (Array.isArray(saved) && saved.length) throw bad(`modules_to_save lists ${saved.join(', ')}: the adapter replaces whole modules, which only a full checkpoint can carry.`);
  if (!Number.isInteger(c.r) || (c.r as number) <= 0) throw bad(`"r" is ${JSON.stringify(c.r)}; adapter_config.json needs the rank as a positive integer.`);
  const alpha = c.lora_alpha ?? 8; // PEFT's default
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw bad(`"lora_alpha" is ${JSON.stringify(alpha)}; it must be a number.`);
  const t = c.target_modules;
  const targets = Array.isArray(t) ? t.map(String) : null; // a regex string is checked through the tensors only
  const baseModel = typeof c.base_model_name_or_path === 'string' && c.base_model_name_or_path ? c.base_model_name_or_path : undefined;
  return { rank: c.r as number, alpha, rslora: c.use_rslora === true, targets, baseModel };
}

function tensorsOf(bytes: Uint8Array): Map<string, { shape: number[]; data: Float32Array }> {
  const f = readSafetensorsHeader(bytes);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const t of f.tensors) {
    if (!FLOATS.has(t.dtype)) throw bad(`tensor "${t.name}" has dtype ${t.dtype}; LoRA weights must be floating point (F32, F16, BF16 or F64).`);
    const dtype = t.dtype as FloatDtype;
    const count = t.shape.reduce((x, y) => x * y, 1);
    if (t.end - t.begin !== count * BYTES_PER[dtype]) throw bad(`tensor "${t.name}" has ${t.end - t.begin} bytes; shape [${t.shape}] of ${dtype} needs ${count * BYTES_PER[dtype]}.`);
    const data = floatsToF32(bytes, f.dataStart + t.begin, count, dtype);
    assertFinite(data, `LoRA tensor "${t.name}"`);
    out.set(t.name, { shape: t.shape, data });
  }
  return out;
}

/** Parses and checks an adapter; shapes against the model are checked where the graph is edited. */
export function readLoraAdapter(files: AdapterFiles): LoraAdapter {
  const cfg = readConfig(files.config);
  const pairs = new Map<string, { layer: number; module: string; A?: { shape: number[]; data: Float32Array }; B?: { shape: number[]; data: Float32Array } }>();
  for (const [name, t] of tensorsOf(files.weights)) {
    const m = KEY.exec(name);
    if (!m) throw bad(`tensor "${name}" is not a lora_A/lora_B weight of a decoder layer's projection (expected e.g. base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight).`);
    const [, layer, module, which] = m;
    const key = `${layer}.${module}`;
    const p = pairs.get(key) ?? { layer: Number(layer), module };
    p[which as 'A' | 'B'] = t;
    pairs.set(key, p);
  }
  if (!pairs.size) throw bad('adapter_model.safetensors holds no LoRA weights.');
  const weights: LoraWeight[] = [];
  for (const p of pairs.values()) {
    const where = `layers.${p.layer}.${p.module}`;
    if (!(LORA_MODULES as readonly string[]).includes(p.module)) throw bad(`${where}: "${p.module}" is not a projection LoRA can be applied to here (${LORA_MODULES.join(', ')}).`);
    if (cfg.targets && !cfg.targets.includes(p.module)) throw bad(`${where} has weights but target_modules (${cfg.targets.join(', ')}) does not list ${p.module}.`);
    if (!p.A || !p.B) throw bad(`${where} has lora_${p.A ? 'A' : 'B'} but no lora_${p.A ? 'B' : 'A'}.`);
    if (p.A.shape.length !== 2 || p.B.shape.length !== 2) throw bad(`${where}: lora_A and lora_B must be 2-D (found [${p.A.shape}] and [${p.B.shape}]).`);
    const [r, inFeatures] = p.A.shape;
    const [outFeatures, rB] = p.B.shape;
    if (r !== rB) throw bad(`${where}: rank mismatch, lora_A is [${p.A.shape}] (rank ${r}) but lora_B is [${p.B.shape}] (rank ${rB}).`);
    if (r !== cfg.rank) throw bad(`${where} has rank ${r} but adapter_config.json says r = ${cfg.rank}.`);
    weights.push({ layer: p.layer, module: p.module as LoraModule, rank: r, inFeatures, outFeatures, a: p.A.data, b: p.B.data });
  }
  const order = (w: LoraWeight) => w.layer * LORA_MODULES.length + LORA_MODULES.indexOf(w.module);
  weights.sort((x, y) => order(x) - order(y));
  const scale = cfg.rslora ? cfg.alpha / Math.sqrt(cfg.rank) : cfg.alpha / cfg.rank;
  return {
    name: files.name ?? cfg.baseModel ?? 'adapter',
    ...(cfg.baseModel ? { baseModel: cfg.baseModel } : {}),
    rank: cfg.rank,
    alpha: cfg.alpha,
    rslora: cfg.rslora,
    scale,
    modules: LORA_MODULES.filter((m) => weights.some((w) => w.module === m)),
    weights,
  };
}

/** A hub name without its organisation and the suffixes ONNX and quantized re-uploads add ("-ONNX", "-q4f16"). */
function coreName(id: string): string {
  let name = (id.replace(/\/+$/, '').split('/').pop() ?? id).toLowerCase();
  for (let prev = ''; prev !== name;) {
    prev = name;
    name = name.replace(/[-_.](onnx|gguf|mlx|awq|gptq|bnb4?|q4f16|q4|q8|int8|fp16|fp32|bf16)$/, '');
  }
  return name;
}

/**
 * What to tell the user about the adapter's base model. Shapes are checked exactly elsewhere; a same-shaped
 * model can still be another checkpoint (base vs instruct), which only the names can hint at. Null when the
 * names agree.
 */
export function baseModelNote(baseModel: string | undefined, modelId: string): string | null {
  if (!baseModel) return 'The adapter does not say which base model it was trained for (no base_model_name_or_path); its shapes match this model.';
  if (coreName(baseModel) === coreName(modelId)) return null;
  return `The adapter was trained for ${baseModel}; the loaded model is ${modelId}. Their shapes match, but a different checkpoint of the same architecture (base vs instruct, another fine-tune) gives different results.`;
}
