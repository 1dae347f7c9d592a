/**
 * Device and model-variant choice. Pure except for probeWebGPU, which only reads what the host exposes.
 *
 * The one hard rule (DESIGN 3): an adapter without `shader-f16` must never get a float16 model on WebGPU.
 * The native WebGPU EP refuses it, and the older JSEP backend silently computes wrong numbers. We pick a
 * non-f16 variant of the same model on WebGPU when the repo has one, else run on wasm, and say why.
 */
import type { Device, DevicePreference, ModelDtype } from '../../shared/api';
import { EngineError } from '../../shared/errors';

export interface WebGPUProbe {
  hasWebGPU: boolean;
  adapterFeatures: Set<string>;
  /** The adapter that was probed, so the session can be created on the same one (its features are what we checked). */
  adapter?: unknown;
  /** Why there is no WebGPU, or what was found, in words. */
  detail: string;
}

export interface DeviceInput {
  preference: DevicePreference;
  hasWebGPU?: boolean;
  adapterFeatures?: Set<string>;
  /** A probeWebGPU() result; stands in for hasWebGPU / adapterFeatures. */
  gpu?: WebGPUProbe;
  requestedDtype?: ModelDtype;
  /** Variants the repo has; empty when unknown (then the requested or default dtype is taken on trust). */
  availableDtypes: ModelDtype[];
}

export interface DeviceChoice { device: Device; dtype: ModelDtype; reason: string }

/** Variants whose body runs in float16 (need shader-f16 on WebGPU). */
export const F16_DTYPES: ReadonlySet<ModelDtype> = new Set<ModelDtype>(['fp16', 'q4f16']);
export const isF16 = (d: ModelDtype): boolean => F16_DTYPES.has(d);

/** Preference orders when no dtype was asked for: smallest fast variant first. */
const DEFAULTS: Record<'gpuF16' | 'gpu' | 'wasm', ModelDtype[]> = {
  gpuF16: ['q4f16', 'q4', 'fp16', 'fp32', 'q8', 'quantized', 'int8', 'uint8', 'bnb4'],
  gpu: ['q4', 'fp32', 'q8', 'quantized', 'int8', 'uint8', 'bnb4'],
  wasm: ['q4', 'q8', 'quantized', 'fp32', 'int8', 'uint8', 'bnb4', 'q4f16', 'fp16'],
};

/** Non-f16 stand-ins for an f16 variant, closest first (q4f16 -> q4 keeps the 4-bit size; fp16 -> fp32 keeps full precision). */
const F16_SUBSTITUTES: Record<string, ModelDtype[]> = {
  q4f16: ['q4', 'fp32', 'q8', 'quantized', 'int8', 'uint8', 'bnb4'],
  fp16: ['fp32', 'q4', 'q8', 'quantized', 'int8', 'uint8', 'bnb4'],
};

export function chooseDevice(input: DeviceInput): DeviceChoice {
  const hasWebGPU = input.gpu?.hasWebGPU ?? input.hasWebGPU ?? false;
  const features = input.gpu?.adapterFeatures ?? input.adapterFeatures ?? new Set<string>();
  if (input.preference === 'webgpu' && !hasWebGPU) {
    const why = input.gpu?.detail ? ` (${input.gpu.detail})` : '';
    throw new EngineError('device', `WebGPU was requested but no WebGPU adapter is available${why}. Use a browser with WebGPU enabled, or choose the wasm device.`);
  }
  if (input.preference === 'wasm' || !hasWebGPU) {
    const why = input.preference === 'wasm' ? 'wasm (CPU) was requested' : 'no WebGPU adapter is available, so the model runs on wasm (CPU)';
    return { device: 'wasm', dtype: pick(input, DEFAULTS.wasm), reason: `${capitalize(why)}.` };
  }
  if (features.has('shader-f16')) {
    const dtype = pick(input, DEFAULTS.gpuF16);
    return { device: 'webgpu', dtype, reason: `WebGPU adapter with shader-f16: running the ${dtype} variant on WebGPU.` };
  }
  return noShaderF16(input);
}

/** WebGPU without shader-f16: never an f16 variant on WebGPU. */
function noShaderF16(input: DeviceInput): DeviceChoice {
  const wanted = input.requestedDtype;
  if (!wanted || !isF16(wanted)) {
    // With an unknown variant list, take the usual non-f16 default on trust (modelFiles reports if it is missing).
    const fallback = input.availableDtypes.length === 0 ? DEFAULTS.gpu[0] : null;
    const dtype = wanted ?? firstAvailable(input.availableDtypes, DEFAULTS.gpu) ?? fallback;
    if (dtype) return { device: 'webgpu', dtype, reason: `WebGPU adapter without shader-f16: running the ${dtype} variant (not float16) on WebGPU.` };
  }
  const lacks = 'This GPU adapter lacks shader-f16, so float16 model variants cannot run on WebGPU';
  const from = wanted ?? 'q4f16';
  const substitute = firstAvailable(input.availableDtypes, F16_SUBSTITUTES[from] ?? DEFAULTS.gpu);
  if (substitute) {
    return { device: 'webgpu', dtype: substitute, reason: `${lacks}; running the ${substitute} variant on WebGPU instead${wanted ? ` of ${wanted}` : ''}.` };
  }
  const listed = input.availableDtypes.length ? `this model only has ${input.availableDtypes.join(', ')}` : 'no other variant of this model is known to exist';
  if (input.preference === 'webgpu') {
    throw new EngineError('device', `${lacks}, and ${listed}. Choose the wasm device, or a model with a q4 or fp32 variant.`);
  }
  const dtype = wanted ?? firstAvailable(input.availableDtypes, DEFAULTS.wasm) ?? 'q4f16';
  return { device: 'wasm', dtype, reason: `${lacks}, and ${listed}; running ${dtype} on wasm (CPU) instead.` };
}

/** The requested dtype, else the first preferred one the repo has, else the first preferred one. */
function pick(input: DeviceInput, order: ModelDtype[]): ModelDtype {
  return input.requestedDtype ?? firstAvailable(input.availableDtypes, order) ?? order[0];
}

/** First of `order` in `available`; with an unknown (empty) list, null so callers decide. */
function firstAvailable(available: ModelDtype[], order: ModelDtype[]): ModelDtype | null {
  return order.find((d) => available.includes(d)) ?? null;
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

interface GpuAdapterLike { features: Iterable<string> }
interface GpuLike { requestAdapter(options?: unknown): Promise<GpuAdapterLike | null> }

/** Reads navigator.gpu and the default adapter's features; never throws (Node and old browsers: no WebGPU). */
export async function probeWebGPU(): Promise<WebGPUProbe> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  const none = (detail: string): WebGPUProbe => ({ hasWebGPU: false, adapterFeatures: new Set(), detail });
  if (!gpu || typeof gpu.requestAdapter !== 'function') return none('navigator.gpu is not available in this environment');
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return none('navigator.gpu.requestAdapter() returned no adapter');
    const adapterFeatures = new Set<string>(adapter.features);
    const f16 = adapterFeatures.has('shader-f16') ? 'with' : 'without';
    return { hasWebGPU: true, adapterFeatures, adapter, detail: `WebGPU adapter ${f16} shader-f16` };
  } catch (e) {
    return none(`requesting a WebGPU adapter failed: ${(e as Error).message ?? String(e)}`);
  }
}
