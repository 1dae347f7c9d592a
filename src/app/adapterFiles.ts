/** A user's LoRA adapter picked in the browser (files or a folder), read into the engine's AdapterFiles. */
import type { AdapterFiles } from '../engine/shared/api';
import { EngineError } from '../engine/shared/errors';

/** A PEFT adapter from picked files (the two files, or a folder holding them). */
export async function readAdapterFiles(files: File[]): Promise<AdapterFiles> {
  const find = (name: string) => files.find((f) => f.name === name);
  const config = find('adapter_config.json');
  const weights = find('adapter_model.safetensors');
  if (!config || !weights) {
    const bin = find('adapter_model.bin') ? ' adapter_model.bin is a pickle: save the adapter again with safe_serialization=True.' : '';
    throw new EngineError('bad-input', `Pick both adapter_config.json and adapter_model.safetensors (the folder PEFT's save_pretrained wrote); got ${files.map((f) => f.name).join(', ') || 'nothing'}.${bin}`);
  }
  const folder = (weights as File & { webkitRelativePath?: string }).webkitRelativePath?.split('/')[0];
  return { name: folder || 'your adapter', config: await config.text(), weights: new Uint8Array(await weights.arrayBuffer()) };
}
