import type { DevicePreference, LoadOptions, ModelDtype, ModelSource } from '../engine/shared/api';

export interface Preset { key: string; label: string; hubId: string; note: string; dtype: ModelDtype }

export const PRESETS: Preset[] = [
  { key: 'llama32-1b', label: 'Llama 3.2 1B Instruct', hubId: 'onnx-community/Llama-3.2-1B-Instruct', note: '16 layers · ~1 GB q4', dtype: 'q4' },
  { key: 'qwen25-05b', label: 'Qwen2.5 0.5B Instruct', hubId: 'onnx-community/Qwen2.5-0.5B-Instruct', note: '24 layers · ~0.5 GB q4', dtype: 'q4' },
  { key: 'qwen25-15b', label: 'Qwen2.5 1.5B Instruct', hubId: 'onnx-community/Qwen2.5-1.5B-Instruct', note: '28 layers · ~1.3 GB q4', dtype: 'q4' },
  { key: 'qwen3-06b', label: 'Qwen3 0.6B', hubId: 'onnx-community/Qwen3-0.6B-ONNX', note: '28 layers · ~0.6 GB q4', dtype: 'q4' },
  { key: 'smollm2-360m', label: 'SmolLM2 360M Instruct', hubId: 'HuggingFaceTB/SmolLM2-360M-Instruct', note: '32 layers · ~0.3 GB q4', dtype: 'q4' },
];

/** Served by the app itself in hub URL layout: /models/tiny-test/resolve/main/<file>. */
export const TINY_ID = 'tiny-test';
/** The trained demo model, also served by the app (scripts/make-demo-model.ts): builder GQA graph, and decomposed. */
export const DEMO_ID = 'demo';
export const DEMO_DECOMPOSED_ID = 'demo-decomposed';
export const HUB_HOST = 'https://huggingface.co/';

export const DTYPES: ModelDtype[] = ['q4', 'q4f16', 'fp16', 'fp32', 'q8', 'int8', 'uint8', 'bnb4'];

export type ModelChoice =
  | { kind: 'preset'; key: string }
  | { kind: 'hub'; id: string }
  | { kind: 'tiny' }
  | { kind: 'demo' }
  | { kind: 'demo-decomposed' }
  | { kind: 'local' };

/** Choices the app serves itself from /models/<id>/ (offline, no hub). */
const SERVED: Partial<Record<ModelChoice['kind'], string>> = { tiny: TINY_ID, demo: DEMO_ID, 'demo-decomposed': DEMO_DECOMPOSED_ID };
export const isServed = (choice: ModelChoice): boolean => choice.kind in SERVED;

/** The hub id a choice stands for; null for local folders (they cannot be shared). */
export function hubIdOf(choice: ModelChoice): string | null {
  switch (choice.kind) {
    case 'preset': return PRESETS.find((p) => p.key === choice.key)?.hubId ?? null;
    case 'hub': return choice.id.trim() || null;
    case 'tiny': case 'demo': case 'demo-decomposed': return SERVED[choice.kind]!;
    case 'local': return null;
  }
}

/** The inverse, for share links. */
export function choiceForId(id: string): ModelChoice {
  const served = (Object.keys(SERVED) as ModelChoice['kind'][]).find((k) => SERVED[k] === id);
  if (served) return { kind: served } as ModelChoice;
  const p = PRESETS.find((x) => x.hubId === id);
  return p ? { kind: 'preset', key: p.key } : { kind: 'hub', id };
}

export function hubSource(choice: ModelChoice, dtype: ModelDtype, device: DevicePreference, origin: string): { source: ModelSource; options: LoadOptions } | null {
  const id = hubIdOf(choice);
  if (!id || choice.kind === 'local') return null;
  // Always explicit: the host is process-wide state in transformers.js, so after a served model a hub
  // load would otherwise still point at this app.
  const options: LoadOptions = { dtype, device, remoteHost: isServed(choice) ? `${origin}/models/` : HUB_HOST };
  return { source: { kind: 'hub', id }, options };
}

/** transformers.js file-name suffix per dtype (onnx/model<suffix>.onnx). */
export const DTYPE_SUFFIX: Record<ModelDtype, string> = {
  fp32: '', fp16: '_fp16', q4: '_q4', q4f16: '_q4f16', q8: '_quantized', quantized: '_quantized', int8: '_int8', uint8: '_uint8', bnb4: '_bnb4',
};

export const isValidHubId = (id: string) => /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9._-]+$/.test(id.trim());
