/**
 * The only module that imports onnxruntime. Browsers get `onnxruntime-web/webgpu` (the native
 * WebGPU execution provider plus wasm; the default bundle's older JSEP WebGPU backend silently
 * returns wrong numbers for f16 models on adapters without shader-f16). Node gets the package's
 * Node build: the WebGPU bundle keeps a Node process from exiting after a session was created.
 */
import type * as OrtModule from 'onnxruntime-web';
import { EngineError } from '../../shared/errors';
import type { Device } from '../../shared/api';
import { watchRuntimeMemory } from './memory';

// Before onnxruntime creates its wasm memory, so the lab can say how much it takes.
watchRuntimeMemory();
const isNode = typeof process !== 'undefined' && !!process.versions?.node;
// The Node specifier goes through a variable so browser bundlers never pull the Node build in.
const nodeBuild = 'onnxruntime-web';
const ort: typeof OrtModule = isNode ? await import(/* @vite-ignore */ nodeBuild) : await import('onnxruntime-web/webgpu');
if (isNode) ort.env.wasm.numThreads = 1;

export type Tensor = OrtModule.Tensor;
export type TensorType = 'float32' | 'float16' | 'int64' | 'int32';

export interface RuntimeConfig {
  /** Where the .wasm/.mjs runtime files are served (browser). */
  wasmPaths?: string;
  numThreads?: number;
}

export function configureRuntime(c: RuntimeConfig): void {
  if (c.wasmPaths) ort.env.wasm.wasmPaths = c.wasmPaths;
  if (c.numThreads !== undefined) ort.env.wasm.numThreads = c.numThreads;
  ort.env.logLevel = 'error';
}

export interface SessionOptions {
  device: Device;
  externalData: { path: string; data: Uint8Array }[];
  /** Outputs to leave on the GPU (KV cache) when running on WebGPU. */
  keepOnDevice: string[];
}

export interface Session {
  readonly device: Device;
  run(feeds: Record<string, Tensor>, fetches: string[]): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

export async function createSession(model: Uint8Array, opts: SessionOptions): Promise<Session> {
  const options: OrtModule.InferenceSession.SessionOptions = {
    executionProviders: [opts.device],
    graphOptimizationLevel: 'all',
    externalData: opts.externalData.map((e) => ({ path: e.path, data: e.data })),
  };
  if (opts.device === 'webgpu') {
    options.preferredOutputLocation = Object.fromEntries(opts.keepOnDevice.map((n) => [n, 'gpu-buffer' as const]));
  }
  let session: OrtModule.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model, options);
  } catch (e) {
    throw sessionError(e, opts.device);
  }
  return {
    device: opts.device,
    run: (feeds, fetches) => session.run(feeds, fetches),
    release: () => session.release(),
  };
}

function sessionError(e: unknown, device: Device): EngineError {
  const msg = e instanceof Error ? e.message : String(e);
  if (device === 'webgpu' && /f16|float16|shader/i.test(msg)) {
    return new EngineError('device', `WebGPU cannot run this model on this GPU: ${msg}. Choose a non-f16 variant (q4 or fp32) or the wasm device.`);
  }
  return new EngineError('unsupported-model', `onnxruntime could not create a session for this model on ${device}: ${msg}`);
}

export function tensor(type: TensorType, data: Float32Array | Uint16Array | BigInt64Array | Int32Array, dims: number[]): Tensor {
  return new ort.Tensor(type, data as never, dims);
}

/** Reads a tensor's data to the CPU (a GPU tensor is downloaded). */
export async function readData(t: Tensor): Promise<unknown> {
  return t.location === 'cpu' ? t.data : t.getData();
}

export function disposeTensor(t: Tensor | undefined): void {
  if (t && t.location !== 'cpu' && t.location !== 'none') t.dispose();
}
