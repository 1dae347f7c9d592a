import { describe, expect, it } from 'vitest';
import { readAdapterFiles } from '../../src/app/adapterFiles';

const CONFIG = JSON.stringify({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['q_proj'] });
const WEIGHTS = new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0, 123, 125]);
/** A File as an <input webkitdirectory> gives it: its path inside the picked folder. */
const inFolder = (f: File, path: string): File => Object.defineProperty(f, 'webkitRelativePath', { value: path });

describe('readAdapterFiles', () => {
  it('reads the two PEFT files, whatever else was picked, named after their folder', async () => {
    const files = [
      inFolder(new File(['# card'], 'README.md'), 'my-lora/README.md'),
      inFolder(new File([WEIGHTS], 'adapter_model.safetensors'), 'my-lora/adapter_model.safetensors'),
      inFolder(new File([CONFIG], 'adapter_config.json'), 'my-lora/adapter_config.json'),
    ];
    const a = await readAdapterFiles(files);
    expect(a.name).toBe('my-lora');
    expect(a.config).toBe(CONFIG);
    expect(Array.from(a.weights)).toEqual(Array.from(WEIGHTS));
  });

  it('two loose files get a generic name', async () => {
    const a = await readAdapterFiles([new File([CONFIG], 'adapter_config.json'), new File([WEIGHTS], 'adapter_model.safetensors')]);
    expect(a.name).toBe('your adapter');
  });

  it('says which file is missing, and what to do with a pickled adapter', async () => {
    await expect(readAdapterFiles([new File([CONFIG], 'adapter_config.json')])).rejects.toThrow(/Pick both adapter_config.json and adapter_model.safetensors .*got adapter_config.json\.$/);
    await expect(readAdapterFiles([new File([CONFIG], 'adapter_config.json'), new File([WEIGHTS], 'adapter_model.bin')])).rejects.toThrow(/safe_serialization=True/);
    await expect(readAdapterFiles([])).rejects.toThrow(/got nothing/);
  });
});
